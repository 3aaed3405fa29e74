// npm run bench:server: echo throughput and handshake rate of the reference server against a
// `ws` package server, measured with the same raw-socket load generator in the same run.
//
// Each server runs in a child process (one core each for server and load generator). Rounds
// alternate between the servers so that machine noise hits both alike; the table reports the
// median of the rounds and the ratio holdfast / ws (> 1 means holdfast is faster).
// Every loop is bounded in count and time.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { maskedFrame } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, '..', 'dist', 'server.js'))) {
  console.error('dist/server.js is missing: run `npm run build` first');
  process.exit(1);
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUN_TIMEOUT_MS = 60_000;
const SIZES = [
  { label: '16 B', size: 16, count: 50_000 },
  { label: '1 KiB', size: 1024, count: 30_000 },
  { label: '64 KiB', size: 64 * 1024, count: 1_500 },
  { label: '1 MiB', size: 1024 * 1024, count: 100 },
];
const HANDSHAKES = 1_000;
const HANDSHAKE_CONCURRENCY = 8;
const WINDOW_BYTES = 4 * 1024 * 1024; // bytes in flight before the generator waits for echoes

async function startServer(kind) {
  const child = spawn(process.execPath, [join(here, 'server-child.mjs'), kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = await once(child.stdout, 'data');
  return { port: Number(String(chunk).trim()), stop: async () => { child.stdin.end(); await once(child, 'exit'); } };
}

function handshake(port) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    const expected = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    let head = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('handshake timed out')); }, 5000);
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
    socket.on('connect', () => {
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on('data', function onData(data) {
      head += data.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      clearTimeout(timer);
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(expected)) {
        socket.destroy();
        reject(new Error(`bad handshake answer: ${head.split('\r\n')[0]}`));
        return;
      }
      resolve(socket);
    });
  });
}

/** A masked client frame (FIN, binary) carrying `payload`. */
function serverFrameLength(len) {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + len;
}

/** Sends `count` echo messages of `size` bytes with a bounded window; resolves with seconds taken. */
async function echoRun(port, size, count) {
  const socket = await handshake(port);
  socket.setNoDelay(true);
  const frame = maskedFrame(0x2, randomBytes(size));
  const answerBytes = serverFrameLength(size);
  const total = answerBytes * count;
  const window = Math.max(1, Math.floor(WINDOW_BYTES / frame.length));
  let received = 0;
  let sent = 0;
  const started = process.hrtime.bigint();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo run timed out (${size} B × ${count})`)), RUN_TIMEOUT_MS);
    const pump = () => {
      const acked = Math.floor(received / answerBytes);
      while (sent < count && sent - acked < window) {
        socket.write(frame);
        sent++;
      }
    };
    socket.on('data', (data) => {
      received += data.length;
      if (received >= total) { clearTimeout(timer); resolve(); return; }
      pump();
    });
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  socket.destroy();
  return seconds;
}

async function handshakeRun(port) {
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < HANDSHAKES) {
      next++;
      const socket = await handshake(port);
      socket.destroy();
    }
  };
  await Promise.all(Array.from({ length: HANDSHAKE_CONCURRENCY }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const servers = { holdfast: await startServer('holdfast'), ws: await startServer('ws') };
const results = {}; // label -> kind -> [seconds]
try {
  // Warm-up: JIT both servers before measuring.
  for (const kind of Object.keys(servers)) {
    await echoRun(servers[kind].port, 1024, 5_000);
    await echoRun(servers[kind].port, 65536, 200);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['holdfast', 'ws'] : ['ws', 'holdfast'];
    for (const { label, size, count } of SIZES) {
      for (const kind of order) {
        ((results[label] ??= {})[kind] ??= []).push(await echoRun(servers[kind].port, size, count));
      }
    }
    for (const kind of order) {
      ((results.handshakes ??= {})[kind] ??= []).push(await handshakeRun(servers[kind].port));
    }
  }
} finally {
  await Promise.all(Object.values(servers).map((server) => server.stop()));
}

const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
console.log(`bench:server, median of ${ROUNDS} rounds (node ${process.version}); ratio = holdfast / ws\n`);
console.log('echo'.padEnd(10), 'holdfast msg/s'.padStart(15), 'MB/s'.padStart(8), 'ws msg/s'.padStart(12), 'MB/s'.padStart(8), 'ratio'.padStart(7));
for (const { label, size, count } of SIZES) {
  const h = count / median(results[label].holdfast);
  const w = count / median(results[label].ws);
  console.log(label.padEnd(10), fmt(h).padStart(15), fmt((h * size) / 1e6).padStart(8), fmt(w).padStart(12), fmt((w * size) / 1e6).padStart(8), `${(h / w).toFixed(2)}x`.padStart(7));
}
const hh = HANDSHAKES / median(results.handshakes.holdfast);
const hw = HANDSHAKES / median(results.handshakes.ws);
console.log('\nhandshakes/s'.padEnd(11), fmt(hh).padStart(15), ''.padStart(8), fmt(hw).padStart(12), ''.padStart(8), `${(hh / hw).toFixed(2)}x`.padStart(7));
