// npm run bench:client: messages per second echoed through holdfast's `connect()` (the built
// client, dist/index.js, over the `ws` package) against a raw `ws` WebSocket, in the same run,
// both talking to the reference server's echo (dist/server.js in its own process, via
// bench/server-child.mjs).
//
// The raw client uses the same WebSocket API holdfast drives (`binaryType = 'arraybuffer'`,
// `onmessage`), so both receive a string for text and an ArrayBuffer for binary, and neither
// parses the JSON-shaped row (an application would parse it either way; holdfast also has to look
// at it, because a frame with a "type" member may be a protocol message: that is the cost shown).
//
// A run sends COUNT messages with WINDOW (64) in flight: 64 at once, then one more per echo, until
// COUNT echoes are back (every echo's size is checked). Rounds alternate which client goes first;
// the table reports the median of ROUNDS (default 5) and the ratio holdfast / raw (goal >= 0.95),
// and the client process's CPU time per message (steadier than throughput on a shared machine).
// Rows run with `heartbeat: false`, except the last, which repeats the JSON row with the default
// heartbeat (25 s interval: no ping is sent during a run, but every inbound message is noted).
// Request/response throughput against a hand-written loop is `npm run bench:rpc`.
// Every loop is bounded in count, and every run in time.
import WebSocket from 'ws';
import { median, requireDist, scaled, startServer } from './common.mjs';

requireDist('index.js', 'server.js');
const { connect } = await import('../dist/index.js');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUN_TIMEOUT_MS = 30_000;
const WINDOW = 64;

const text = (n) => 'x'.repeat(n);
const chat = JSON.stringify({ type: 'chat', room: 'a', text: text(256 - 36) });
const ROWS = [
  { label: 'text 16 B', data: text(16), count: scaled(40_000) },
  { label: 'text 1 KiB', data: text(1024), count: scaled(30_000) },
  { label: 'binary 64 KiB', data: new Uint8Array(64 * 1024).fill(7).buffer, count: scaled(3_000) },
  { label: `JSON-shaped ${chat.length} B`, data: chat, count: scaled(30_000) },
  { label: `JSON-shaped ${chat.length} B, heartbeat on`, data: chat, count: scaled(30_000), heartbeat: true },
];

const sizeOf = (data) => (typeof data === 'string' ? data.length : data.byteLength);

/** A client is { send(data), onMessage(fn), close() }; `onMessage` receives string | ArrayBuffer. */
async function holdfastClient(url, heartbeat) {
  const socket = connect(url, { WebSocket, heartbeat: heartbeat ? undefined : false, environment: false });
  await new Promise((resolve, reject) => {
    const off = socket.on('open', () => (off(), resolve()));
    setTimeout(() => reject(new Error('holdfast client did not open')), 5000).unref();
  });
  let listener = () => {};
  socket.on('message', (data) => listener(data));
  return {
    send: (data) => socket.send(data),
    onMessage: (fn) => (listener = fn),
    close: () => socket.close(),
  };
}

async function rawClient(url) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let listener = () => {};
  ws.onmessage = (event) => listener(event.data);
  return { send: (data) => ws.send(data), onMessage: (fn) => (listener = fn), close: () => ws.close() };
}

/**
 * Sends `count` copies of `data` with WINDOW in flight; resolves with echoed messages per second
 * and the client process's CPU time per message in µs (the clients take turns, so it is theirs).
 */
function drive(client, data, count) {
  const size = sizeOf(data);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const timer = setTimeout(() => reject(new Error(`run did not finish within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
    client.onMessage((echo) => {
      if (sizeOf(echo) !== size) {
        clearTimeout(timer);
        reject(new Error(`echo of ${sizeOf(echo)} B, expected ${size} B`));
        return;
      }
      received++;
      if (received === count) {
        clearTimeout(timer);
        const cpu = process.cpuUsage(cpu0);
        resolve({ rate: count / ((performance.now() - t0) / 1000), cpu: (cpu.user + cpu.system) / count });
      } else if (sent < count) {
        sent++;
        client.send(data);
      }
    });
    for (; sent < Math.min(WINDOW, count); sent++) client.send(data);
  });
}

const server = await startServer('holdfast');
const clients = {
  holdfast: await holdfastClient(server.url, false),
  holdfastHeartbeat: await holdfastClient(server.url, true),
  raw: await rawClient(server.url),
};
try {
  // Warm-up: let the JIT settle on every path before measuring.
  for (const row of ROWS.slice(0, 4)) {
    for (const client of Object.values(clients)) await drive(client, row.data, Math.min(row.count, scaled(3_000)));
  }
  const results = [];
  for (const row of ROWS) {
    const ours = row.heartbeat ? clients.holdfastHeartbeat : clients.holdfast;
    const rates = { holdfast: [], raw: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['holdfast', 'raw'] : ['raw', 'holdfast'];
      for (const name of order) rates[name].push(await drive(name === 'raw' ? clients.raw : ours, row.data, row.count));
    }
    const [holdfast, raw, holdfastCpu, rawCpu] = [
      median(rates.holdfast.map((r) => r.rate)),
      median(rates.raw.map((r) => r.rate)),
      median(rates.holdfast.map((r) => r.cpu)),
      median(rates.raw.map((r) => r.cpu)),
    ];
    results.push({ label: row.label, count: row.count, holdfast, raw, ratio: holdfast / raw, holdfastCpu, rawCpu });
  }
  console.log(`echoed messages/s, ${WINDOW} in flight, median of ${ROUNDS} rounds (holdfast rows: heartbeat off unless noted)`);
  console.log('row'.padEnd(34), 'msgs/run'.padStart(9), 'holdfast'.padStart(10), 'raw ws'.padStart(10), 'ratio'.padStart(7), '  CPU µs/msg: holdfast  raw ws');
  for (const r of results) {
    console.log(r.label.padEnd(34), String(r.count).padStart(9), r.holdfast.toFixed(0).padStart(10), r.raw.toFixed(0).padStart(10), r.ratio.toFixed(2).padStart(7), r.holdfastCpu.toFixed(1).padStart(22), r.rawCpu.toFixed(1).padStart(7));
  }
} finally {
  for (const client of Object.values(clients)) client.close();
  await server.stop();
}
