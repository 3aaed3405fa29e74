// npm run bench:server: echo throughput, handshake rate and memory per idle connection of the
// reference server against a `ws` package server, measured with the same raw-socket load
// generator in the same run.
//
// Each server runs in a child process (one core each for server and load generator). Rounds
// alternate between the servers so that machine noise hits both alike; the tables report the
// median of the rounds and the ratio holdfast / ws (> 1 means holdfast is faster; for memory,
// < 1 means holdfast uses less). Handshakes are timed one at a time (sequential) and 8 at a time
// (parallel), with the server's CPU time per handshake beside the rate. Memory: a fresh child per round, started with --expose-gc and the server's default
// options; its process.memoryUsage() after gc before and after opening IDLE_CONNECTIONS
// connections that then send nothing, divided by their number ("heap+ext" adds Buffers and
// other memory outside the V8 heap).
// Env: BENCH_ROUNDS (5), BENCH_MEMORY_ROUNDS (3), BENCH_IDLE_CONNECTIONS (5000),
// BENCH_ONLY (a comma-separated subset of echo, handshakes, memory).
// Every loop is bounded in count and time.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { maskedFrame, median, rawHandshake, requireDist, scaled } from './common.mjs';

requireDist('server.js');
const here = dirname(fileURLToPath(import.meta.url));

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUN_TIMEOUT_MS = 60_000;
const SIZES = [
  { label: '16 B', size: 16, count: scaled(50_000) },
  { label: '1 KiB', size: 1024, count: scaled(30_000) },
  { label: '64 KiB', size: 64 * 1024, count: scaled(1_500) },
  { label: '1 MiB', size: 1024 * 1024, count: scaled(100) },
];
const HANDSHAKES = scaled(1_000);
const HANDSHAKE_MODES = [
  { label: 'sequential', concurrency: 1 },
  { label: 'parallel', concurrency: 8 },
];
const WINDOW_BYTES = 4 * 1024 * 1024; // bytes in flight before the generator waits for echoes
const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 5_000);
const MEMORY_ROUNDS = Number(process.env.BENCH_MEMORY_ROUNDS ?? 3);
const OPEN_CONCURRENCY = 32;
const ONLY = new Set((process.env.BENCH_ONLY ?? 'echo,handshakes,memory').split(',').map((part) => part.trim()));

/**
 * Starts bench/server-child.mjs with --expose-gc; `mem()` resolves with its memory after gc.
 * `defaults`: the holdfast server with its default options (pings on).
 */
async function startServer(kind, defaults = false) {
  const args = ['--expose-gc', join(here, 'server-child.mjs'), kind];
  if (defaults) args.push('defaults');
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async () => {
    let timer;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the ${kind} server child did not answer`)), 30_000); });
    try {
      const { value, done } = await Promise.race([lines.next(), timeout]);
      if (done) throw new Error(`the ${kind} server child exited`);
      return value;
    } finally {
      clearTimeout(timer);
    }
  };
  const port = Number(await nextLine());
  return {
    port,
    mem: async () => { child.stdin.write('mem\n'); return JSON.parse(await nextLine()); },
    /** CPU time the child has used so far, in µs (user + system). */
    cpu: async () => { child.stdin.write('cpu\n'); const { user, system } = JSON.parse(await nextLine()); return user + system; },
    stop: async () => { child.stdin.end(); await once(child, 'exit'); },
  };
}

/** Bytes of a server frame (unmasked) carrying `len` payload bytes. */
function serverFrameLength(len) {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + len;
}

/** Sends `count` echo messages of `size` bytes with a bounded window; resolves with seconds taken. */
async function echoRun(port, size, count) {
  const socket = await rawHandshake(port);
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

/**
 * `HANDSHAKES` handshakes, `concurrency` at a time, each socket destroyed once upgraded; resolves
 * with the seconds taken and the server's CPU time per handshake in µs (less sensitive to a
 * busy machine than the rate).
 */
async function handshakeRun(server, concurrency) {
  const { port } = server;
  const cpuBefore = await server.cpu();
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < HANDSHAKES) {
      next++;
      const socket = await rawHandshake(port);
      socket.destroy();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Closing is part of a handshake's cost: let the server see the last sockets go.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { seconds, cpu: ((await server.cpu()) - cpuBefore) / HANDSHAKES };
}

const heapOf = (m) => m.heapUsed + m.external; // external includes arrayBuffers

/**
 * A fresh server child: memory after gc before and after `IDLE_CONNECTIONS` upgraded connections
 * that send nothing more, per connection. A few connections are opened and closed first, so that
 * code the first connection loads is in the baseline.
 */
async function idleMemoryRun(kind) {
  const server = await startServer(kind, true);
  const sockets = [];
  try {
    for (let i = 0; i < 50; i++) (await rawHandshake(server.port)).destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = await server.mem();
    let next = 0;
    const worker = async () => {
      while (next < IDLE_CONNECTIONS) {
        next++;
        sockets.push(await rawHandshake(server.port, 30_000));
      }
    };
    await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await server.mem();
    return {
      rss: (after.rss - before.rss) / IDLE_CONNECTIONS,
      heap: (after.heapUsed - before.heapUsed) / IDLE_CONNECTIONS,
      all: (heapOf(after) - heapOf(before)) / IDLE_CONNECTIONS,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
}

const KINDS = ['holdfast', 'ws'];
const results = {}; // label -> kind -> [seconds]
const push = (label, kind, value) => ((results[label] ??= {})[kind] ??= []).push(value);
if (ONLY.has('echo') || ONLY.has('handshakes')) {
  const servers = { holdfast: await startServer('holdfast'), ws: await startServer('ws') };
  try {
    // Warm-up: JIT both servers before measuring.
    for (const kind of KINDS) {
      await echoRun(servers[kind].port, 1024, 5_000);
      await echoRun(servers[kind].port, 65536, 200);
      await handshakeRun(servers[kind], 8);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
      if (ONLY.has('echo')) {
        for (const { label, size, count } of SIZES) {
          for (const kind of order) push(label, kind, await echoRun(servers[kind].port, size, count));
        }
      }
      if (ONLY.has('handshakes')) {
        for (const { label, concurrency } of HANDSHAKE_MODES) {
          for (const kind of order) push(label, kind, await handshakeRun(servers[kind], concurrency));
        }
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
}
if (ONLY.has('memory')) {
  for (let round = 0; round < MEMORY_ROUNDS; round++) {
    const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of order) push('memory', kind, await idleMemoryRun(kind));
  }
}

const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const ratio = (h, w) => `${(h / w).toFixed(2)}x`.padStart(7);
console.log(`bench:server, median of ${ROUNDS} rounds (node ${process.version}); ratio = holdfast / ws\n`);
if (ONLY.has('echo')) {
  console.log('echo'.padEnd(12), 'holdfast msg/s'.padStart(15), 'MB/s'.padStart(8), 'ws msg/s'.padStart(12), 'MB/s'.padStart(8), 'ratio'.padStart(7));
  for (const { label, size, count } of SIZES) {
    const h = count / median(results[label].holdfast);
    const w = count / median(results[label].ws);
    console.log(label.padEnd(12), fmt(h).padStart(15), fmt((h * size) / 1e6).padStart(8), fmt(w).padStart(12), fmt((w * size) / 1e6).padStart(8), ratio(h, w));
  }
  console.log('');
}
if (ONLY.has('handshakes')) {
  console.log('handshakes/s'.padEnd(12), 'holdfast'.padStart(15), 'CPU µs'.padStart(8), 'ws'.padStart(12), 'CPU µs'.padStart(8), 'ratio'.padStart(7));
  for (const { label, concurrency } of HANDSHAKE_MODES) {
    const h = HANDSHAKES / median(results[label].holdfast.map((r) => r.seconds));
    const w = HANDSHAKES / median(results[label].ws.map((r) => r.seconds));
    const hc = median(results[label].holdfast.map((r) => r.cpu));
    const wc = median(results[label].ws.map((r) => r.cpu));
    console.log(`${label} (${concurrency})`.padEnd(12), fmt(h).padStart(15), fmt(hc).padStart(8), fmt(w).padStart(12), fmt(wc).padStart(8), ratio(h, w));
  }
  console.log('(CPU µs: server CPU time per handshake, user + system, median; lower is better)');
  console.log('');
}
if (ONLY.has('memory')) {
  console.log(`memory per idle connection, KiB (${IDLE_CONNECTIONS} connections, default options, median of ${MEMORY_ROUNDS} rounds; ratio < 1: holdfast uses less)`);
  console.log(''.padEnd(12), 'holdfast'.padStart(15), ''.padStart(8), 'ws'.padStart(12), ''.padStart(8), 'ratio'.padStart(7));
  for (const [field, label] of [['rss', 'RSS'], ['heap', 'heap'], ['all', 'heap+ext']]) {
    const h = median(results.memory.holdfast.map((m) => m[field])) / 1024;
    const w = median(results.memory.ws.map((m) => m[field])) / 1024;
    console.log(label.padEnd(12), h.toFixed(2).padStart(15), ''.padStart(8), w.toFixed(2).padStart(12), ''.padStart(8), ratio(h, w));
  }
}
