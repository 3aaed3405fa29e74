// npm run bench:rpc: request round trips per second through `socket.request('echo', …)` (the
// built client, dist/index.js, over the `ws` package, heartbeat off) against a hand-written
// id-correlated request loop on a raw `ws` client socket. Both talk to the same reference server
// (dist/server.js, in its own process via bench/server-child.mjs) in the same run.
//
// Two modes: sequential (1 request in flight) and pipelined (WINDOW in flight). Rounds alternate
// between the two clients so that machine noise hits both alike; the table reports the median
// of the rounds and the ratio holdfast / raw (1.0 = no overhead; the goal is >= 0.9).
// It also reports the client process's CPU time (user + system) per round trip: the two clients
// take turns, so each run's CPU is its own client's, and it varies less than throughput when
// other work shares the machine.
// Every loop is bounded in count, and every run in time.
import { once } from 'node:events';
import WebSocket from 'ws';
import { median, requireDist, scaled, startServer } from './common.mjs';

requireDist('index.js', 'server.js');
const { connect, rpc } = await import('../dist/index.js');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUN_TIMEOUT_MS = 60_000;
const WINDOW = 64;
const MODES = [
  { label: 'sequential (1 in flight)', count: scaled(5_000), inFlight: 1 },
  { label: `pipelined (${WINDOW} in flight)`, count: scaled(50_000), inFlight: WINDOW },
];
const PARAMS = { text: 'hello', n: 42, list: [1, 2, 3] };

/** The holdfast client: `call()` is `socket.request('echo', params)`. */
async function holdfastClient(url) {
  const socket = connect(url, { WebSocket, heartbeat: false, environment: false, use: [rpc({ timeout: RUN_TIMEOUT_MS })] });
  await new Promise((resolve, reject) => {
    const offOpen = socket.on('open', () => (offOpen(), resolve()));
    setTimeout(() => reject(new Error('holdfast client did not open')), 5000).unref();
  });
  return { call: (params) => socket.request('echo', params), close: () => socket.close() };
}

/** The baseline: what an application would write by hand on a bare `ws` socket. */
async function rawClient(url) {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  const pending = new Map();
  let nextId = 1;
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const message = JSON.parse(String(data));
    const settle = pending.get(message.id);
    if (!settle) return;
    pending.delete(message.id);
    if (message.error) settle.reject(new Error(message.error.message));
    else settle.resolve(message.result);
  });
  return {
    call: (params) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ type: 'request', id, method: 'echo', params }));
      }),
    close: () => ws.close(),
  };
}

/**
 * Runs `count` calls with at most `inFlight` outstanding; resolves with calls per second and the
 * process CPU time per call in microseconds.
 */
function drive(client, count, inFlight) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const timer = setTimeout(() => reject(new Error(`run did not finish within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
    const next = () => {
      if (started >= count) return;
      started++;
      client.call(PARAMS).then(() => {
        done++;
        if (done === count) {
          clearTimeout(timer);
          const cpu = process.cpuUsage(cpu0);
          resolve({ rate: count / ((performance.now() - t0) / 1000), cpu: (cpu.user + cpu.system) / count });
        } else next();
      }, (error) => {
        clearTimeout(timer);
        reject(error);
      });
    };
    for (let i = 0; i < inFlight; i++) next();
  });
}


const server = await startServer();
const clients = { holdfast: await holdfastClient(server.url), raw: await rawClient(server.url) };
try {
  // Warm-up: let the JIT settle on both paths before measuring.
  for (const client of Object.values(clients)) await drive(client, 2_000, WINDOW);
  const rows = [];
  for (const mode of MODES) {
    const results = { holdfast: [], raw: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which client goes first in each round.
      const order = round % 2 === 0 ? ['holdfast', 'raw'] : ['raw', 'holdfast'];
      for (const name of order) results[name].push(await drive(clients[name], mode.count, mode.inFlight));
    }
    const [holdfast, raw] = ['holdfast', 'raw'].map((name) => ({
      rate: median(results[name].map((r) => r.rate)),
      cpu: median(results[name].map((r) => r.cpu)),
    }));
    rows.push({ mode: mode.label, holdfast, raw, ratio: holdfast.rate / raw.rate });
  }
  console.log(`request round trips/s, median of ${ROUNDS} rounds, echo of ${JSON.stringify(PARAMS).length} B of JSON params`);
  console.log('mode'.padEnd(28), 'holdfast'.padStart(10), 'raw ws'.padStart(10), 'ratio'.padStart(7), '  client CPU µs/call: holdfast  raw ws');
  for (const { mode, holdfast, raw, ratio } of rows) {
    const cpu = `${holdfast.cpu.toFixed(1).padStart(32)} ${raw.cpu.toFixed(1).padStart(7)}`;
    console.log(mode.padEnd(28), holdfast.rate.toFixed(0).padStart(10), raw.rate.toFixed(0).padStart(10), ratio.toFixed(2).padStart(7), cpu);
  }
} finally {
  for (const client of Object.values(clients)) client.close();
  await server.stop();
}
