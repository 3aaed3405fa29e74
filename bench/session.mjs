// npm run bench:session: echo throughput through `session()` against plain `send()`, both the
// built client (dist/index.js) over the `ws` package, heartbeat off, against the same reference
// server (dist/server.js, sessions on, in its own process via bench/server-child.mjs) in the same
// run. Each run sends COUNT messages with at most WINDOW echoes outstanding and ends when the
// last echo is back, so both clients move the same data both ways.
//
// Rounds alternate between the two clients so that machine noise hits both alike; the table
// reports the median of the rounds, the ratio session / plain (goal >= 0.8), and the session
// ack frames per 1,000 messages in each direction (counted on the client's `frame` hook).
// Every loop is bounded in count, and every run in time.
import WebSocket from 'ws';
import { median, requireDist, scaled, startServer } from './common.mjs';

requireDist('index.js', 'server.js');
const { connect, session } = await import('../dist/index.js');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUN_TIMEOUT_MS = 60_000;
const WINDOW = 256;
const MODES = [
  { label: 'text, 32 B', count: scaled(30_000), make: (i) => `message number ${String(i).padStart(10, '0')}!!!!!` },
  { label: 'binary, 1 KiB', count: scaled(10_000), make: () => new Uint8Array(1024).fill(7) },
];

/** Counts session ack frames both ways: a feature of its own, on the `frame` hook. */
function ackCounter(counts) {
  return (host) => {
    host.hook({
      frame(data, outbound) {
        if (typeof data === 'string' && data.startsWith('{"type":"session","ack"')) counts[outbound ? 'up' : 'down']++;
      },
    });
    return {};
  };
}

async function client(url, withSession, countAcks = false) {
  const counts = { up: 0, down: 0 };
  const use = withSession ? [session(), ...(countAcks ? [ackCounter(counts)] : [])] : [];
  const socket = connect(url, { WebSocket, heartbeat: false, environment: false, use });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the client did not open')), 5000);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    if (withSession) {
      const off = socket.onSession(() => (off(), ready()));
    } else {
      const off = socket.on('open', () => (off(), ready()));
    }
  });
  let onEcho = () => {};
  socket.on('message', () => onEcho());
  return { socket, counts, setOnEcho: (fn) => void (onEcho = fn) };
}

/** Sends `count` messages, at most WINDOW unanswered; resolves with messages per second. */
function drive(c, mode) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let echoed = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const timer = setTimeout(() => reject(new Error(`run did not finish within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
    const pump = () => {
      while (sent < mode.count && sent - echoed < WINDOW) c.socket.send(mode.make(sent++));
    };
    c.setOnEcho(() => {
      echoed++;
      if (echoed === mode.count) {
        clearTimeout(timer);
        const cpu = process.cpuUsage(cpu0);
        resolve({ rate: mode.count / ((performance.now() - t0) / 1000), cpu: (cpu.user + cpu.system) / mode.count });
      } else pump();
    });
    pump();
  });
}

const server = await startServer();
const clients = { session: await client(server.url, true), plain: await client(server.url, false) };
// Acks are counted on a client of their own, outside the timed runs: counting costs a little per frame.
const counted = await client(server.url, true, true);
try {
  for (const c of Object.values(clients)) await drive(c, { ...MODES[0], count: scaled(5_000) }); // warm-up
  const rows = [];
  for (const mode of MODES) {
    const rates = { session: [], plain: [] };
    const acks = { up: 0, down: 0, messages: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['session', 'plain'] : ['plain', 'session'];
      for (const name of order) rates[name].push(await drive(clients[name], mode));
    }
    const before = { ...counted.counts };
    await drive(counted, mode);
    acks.up = counted.counts.up - before.up;
    acks.down = counted.counts.down - before.down;
    acks.messages = mode.count;
    const s = median(rates.session.map((r) => r.rate));
    const p = median(rates.plain.map((r) => r.rate));
    // The ratio of each round's pair, then their median: noise that lasts longer than a round cancels out.
    const ratio = median(rates.session.map((r, i) => r.rate / rates.plain[i].rate));
    const cpu = { s: median(rates.session.map((r) => r.cpu)), p: median(rates.plain.map((r) => r.cpu)) };
    rows.push({ mode: mode.label, s, p, ratio, cpu, up: (1000 * acks.up) / acks.messages, down: (1000 * acks.down) / acks.messages });
  }
  console.log(`echoed messages/s, median of ${ROUNDS} rounds, ${WINDOW} in flight; ratio: median of the rounds' session/plain ratios`);
  console.log('mode'.padEnd(16), 'session()'.padStart(10), 'send()'.padStart(10), 'ratio'.padStart(7), 'acks/1000 up'.padStart(13), 'down'.padStart(6), '  client CPU µs/msg: session() send()');
  for (const r of rows) {
    console.log(
      r.mode.padEnd(16),
      r.s.toFixed(0).padStart(10),
      r.p.toFixed(0).padStart(10),
      r.ratio.toFixed(2).padStart(7),
      r.up.toFixed(1).padStart(13),
      r.down.toFixed(1).padStart(6),
      `${r.cpu.s.toFixed(1).padStart(30)} ${r.cpu.p.toFixed(1).padStart(6)}`,
    );
  }
} finally {
  for (const c of [...Object.values(clients), counted]) c.socket.close();
  await server.stop();
}
