// npm run soak:server: does the reference server's memory stay flat under floods from peers that
// misbehave, or grow with the attack? The same floods run against a `ws` package server in the
// same run, for comparison.
//
// Each server runs in its own process (bench/soak-server-child.mjs, --expose-gc) with its default
// options, a fresh one per flood. A flood is sent in four equal quarters; after each, the child is
// asked for process.memoryUsage() after gc, and the table shows heapUsed + external (Buffers
// included) above the child's baseline, in MiB. "growth" is q4 − q1: what the last three quarters
// of the attack added. The floods, all bounded in count and time:
//   fragments    a persistent attacker: per quarter 12 connections, each an unfinished binary
//                message followed by 20,000 empty continuation frames (a connection the server
//                does not close is kept open until the end).
//   drip         4 connections each send the header of one 8 MiB binary frame, then per quarter
//                32 KiB of its payload one byte per write (one TCP segment each), so the server
//                receives thousands of one-byte chunks of an unfinished frame.
//   slow reader  one client that never reads sends 16 × 1 MiB binary messages per quarter (the
//                echoes have nowhere to go).
//   ping flood   one client that never reads sends 50,000 pings with 125-byte payloads per quarter.
//   broadcast    a chat of two: one client never reads; the other sends 1,024 chat events of
//                16 KiB per quarter, each broadcast to both, waiting for its own copy each time.
// After the flood the attackers are closed and memory is sampled once more ("after").
//
// Exits 1 when, for the reference server, growth exceeds SOAK_SERVER_MAX_GROWTH_MIB (default 4)
// in any flood, or its process dies. The ws rows are informational.
// Env: SOAK_SERVER_MODULE (path or URL of another build of the server to test instead of
// dist/server.js, e.g. an older one, to see the check fail), SOAK_SERVER_MAX_GROWTH_MIB,
// SOAK_SERVER_FLOODS (a comma-separated subset of the floods, by name).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskedFrame, rawHandshake, requireDist } from './common.mjs';

requireDist('server.js');
const here = dirname(fileURLToPath(import.meta.url));
const MAX_GROWTH_MIB = Number(process.env.SOAK_SERVER_MAX_GROWTH_MIB ?? 4);
const TOTAL_TIMEOUT_MS = 300_000;
const QUARTERS = 4;
const MiB = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

const watchdog = setTimeout(() => {
  console.error(`soak:server timed out after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
watchdog.unref();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true when `promise` settles within `ms`, false otherwise. */
const within = (promise, ms) => Promise.race([promise.then(() => true, () => true), sleep(ms).then(() => false)]);

/** Starts a soak child; `mem()` resolves with its memory after gc, or undefined once it has died. */
async function startChild(kind) {
  const env = { ...process.env };
  const child = spawn(process.execPath, ['--expose-gc', join(here, 'soak-server-child.mjs'), kind], { stdio: ['pipe', 'pipe', 'inherit'], env });
  let exited = false;
  const gone = once(child, 'exit').then(() => { exited = true; });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (ms) => {
    const result = await Promise.race([lines.next(), gone.then(() => ({ done: true })), sleep(ms).then(() => ({ done: true }))]);
    return result.done ? undefined : result.value;
  };
  const port = Number(await nextLine(30_000)); // a loaded machine can take seconds to start a child
  if (!port) throw new Error(`the ${kind} soak child did not start`);
  return {
    port,
    get exited() { return exited; },
    async mem() {
      if (exited) return undefined;
      child.stdin.write('mem\n');
      const line = await nextLine(30_000);
      return line === undefined ? undefined : JSON.parse(line);
    },
    async stop() {
      if (!exited) child.stdin.end();
      if (!(await within(gone, 10_000))) child.kill('SIGKILL');
    },
  };
}

/** Counts the server's (unmasked) frames arriving on `socket`, and the close code if one comes. */
function frameCounter(socket) {
  let buffer = EMPTY;
  const state = { frames: 0, closeCode: undefined, waiters: [] };
  socket.on('data', (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (buffer.length < 2) break;
      let length = buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) { if (buffer.length < 4) break; length = buffer.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (buffer.length < 10) break; length = Number(buffer.readBigUInt64BE(2)); offset = 10; }
      if (buffer.length < offset + length) break;
      if ((buffer[0] & 0x0f) === 0x8 && length >= 2) state.closeCode = buffer.readUInt16BE(offset);
      state.frames++;
      buffer = buffer.subarray(offset + length);
    }
    state.waiters = state.waiters.filter((w) => !w());
  });
  /** Resolves true once `count` frames have arrived, false after `ms`. */
  state.waitFrames = (count, ms) => within(new Promise((resolve) => {
    if (state.frames >= count) return resolve();
    state.waiters.push(() => (state.frames >= count ? (resolve(), true) : false));
  }), ms);
  return state;
}

/** Waits until `read()` has not changed for `quietMs` (at most `maxMs`). */
async function settle(read, quietMs = 300, maxMs = 8000) {
  let last = read();
  let since = Date.now();
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    await sleep(25);
    const now = read();
    if (now !== last) { last = now; since = Date.now(); }
    else if (Date.now() - since >= quietMs) return;
  }
}

/** How a non-reading attacker ended up. */
function heldBack(socket, closed) {
  if (closed) return 'attacker dropped by the server';
  if (socket.writableLength > 0) return `attacker held back by TCP, ${(socket.writableLength / MiB).toFixed(1)} MiB still unsent`;
  return 'the server read the whole flood';
}

async function connectAttacker(port) {
  const socket = await rawHandshake(port);
  socket.on('error', () => undefined);
  return socket;
}

/** A flood from one attacker that never reads: each quarter writes `frame` `count` times. */
function nonReader(port, frame, count) {
  let socket;
  let closed = false;
  return {
    async quarter() {
      if (!socket) {
        socket = await connectAttacker(port);
        socket.once('close', () => { closed = true; });
      }
      socket.pause();
      for (let i = 0; i < count && !socket.destroyed; i++) socket.write(frame);
      await settle(() => socket.writableLength);
    },
    note: () => heldBack(socket, closed),
    stop() { socket?.destroy(); },
  };
}

const FLOODS = [
  {
    name: 'fragments',
    detail: '4 × 12 conns × 20k empty continuations',
    make(port) {
      const held = [];
      const codes = new Map();
      const batch = Buffer.concat(Array.from({ length: 10_000 }, () => maskedFrame(0x0, EMPTY, false)));
      const opener = maskedFrame(0x2, EMPTY, false);
      return {
        async quarter() {
          for (let c = 0; c < 12; c++) {
            const socket = await connectAttacker(port);
            const counter = frameCounter(socket);
            const closed = once(socket, 'close');
            socket.write(opener);
            for (let b = 0; b < 2 && !socket.destroyed; b++) {
              if (!socket.write(batch)) await within(Promise.race([once(socket, 'drain'), closed]), 5000);
            }
            if (await within(closed, 1000)) {
              const code = counter.closeCode ?? 'no close frame';
              codes.set(code, (codes.get(code) ?? 0) + 1);
            } else {
              held.push(socket);
            }
          }
        },
        note: () => `closed: ${[...codes].map(([code, n]) => `${n}× ${code}`).join(', ') || 'none'}; left open: ${held.length}`,
        stop() { for (const socket of held) socket.destroy(); },
      };
    },
  },
  {
    name: 'drip',
    detail: '4 × 4 conns × 32 KiB, one byte per write',
    make(port) {
      const sockets = [];
      let closedEarly = 0;
      // The header of one 8 MiB binary frame (under maxPayload), whose payload then trickles in.
      const header = Buffer.from([0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x80, 0, 0, 1, 2, 3, 4]);
      const byte = Buffer.from([0x5a]);
      return {
        async quarter() {
          while (sockets.length < 4) {
            const socket = await connectAttacker(port);
            socket.once('close', () => closedEarly++);
            socket.write(header);
            sockets.push(socket);
          }
          // A byte to each connection, then a turn of the event loop, so that the bytes leave
          // (and arrive) one per TCP segment instead of being coalesced.
          for (let i = 0; i < 32 * 1024; i++) {
            for (const socket of sockets) if (!socket.destroyed) socket.write(byte);
            await new Promise((resolve) => setImmediate(resolve));
          }
          await settle(() => sockets.reduce((sum, socket) => sum + socket.writableLength, 0));
        },
        note: () => `${4 - closedEarly} of 4 dripping connections still open`,
        stop() { for (const socket of sockets) socket.destroy(); },
      };
    },
  },
  {
    name: 'slow reader',
    detail: '4 × 16 × 1 MiB, never reads',
    make: (port) => nonReader(port, maskedFrame(0x2, Buffer.alloc(MiB, 0x5a)), 16),
  },
  {
    name: 'ping flood',
    detail: '4 × 50k pings (125 B), never reads',
    make: (port) => nonReader(port, Buffer.concat(Array.from({ length: 1000 }, () => maskedFrame(0x9, Buffer.alloc(125, 0x70)))), 50),
  },
  {
    name: 'broadcast',
    detail: '4 × 1024 chat × 16 KiB, one never reads',
    make(port) {
      let slow;
      let talker;
      let counter;
      let sent = 0;
      let slowClosed = false;
      const text = JSON.stringify({ type: 'event', event: 'chat', data: 'x'.repeat(16 * 1024) });
      const frame = maskedFrame(0x1, Buffer.from(text));
      return {
        async quarter() {
          if (!slow) {
            slow = await connectAttacker(port);
            slow.pause();
            slow.once('close', () => { slowClosed = true; });
            talker = await connectAttacker(port);
            counter = frameCounter(talker);
          }
          for (let i = 0; i < 1024; i++) {
            talker.write(frame);
            sent++;
            if (!(await counter.waitFrames(sent, 5000))) throw new Error('the talking client got no copy of its chat message');
          }
          await sleep(200);
        },
        async note() {
          // Read what reached the non-reader: the messages queued for it, then (if the server
          // shed it and its close timer has not dropped it yet) the close frame.
          const seen = frameCounter(slow);
          slow.resume();
          await settle(() => seen.frames, 300, 3000);
          const end = seen.closeCode === undefined ? (slowClosed ? ', then dropped' : ', no close') : `, then close ${seen.closeCode}`;
          return `of ${sent} broadcasts the non-reader got ${seen.frames - (seen.closeCode === undefined ? 0 : 1)}${end}`;
        },
        stop() { slow?.destroy(); talker?.destroy(); },
      };
    },
  },
];

const mib = (bytes) => (bytes / MiB).toFixed(1);
const used = (m) => m.heapUsed + m.external;
const rows = [];
let failed = false;

const ONLY = process.env.SOAK_SERVER_FLOODS?.split(',').map((name) => name.trim());
const floods = ONLY ? FLOODS.filter((flood) => ONLY.includes(flood.name)) : FLOODS;
if (floods.length === 0) throw new Error(`SOAK_SERVER_FLOODS names no flood (there are: ${FLOODS.map((f) => f.name).join(', ')})`);

for (const flood of floods) {
  for (const kind of ['holdfast', 'ws']) {
    const child = await startChild(kind);
    const row = { flood: flood.name, detail: flood.detail, kind, samples: [], after: undefined, note: '' };
    let attack;
    try {
      const base = await child.mem();
      attack = flood.make(child.port);
      for (let q = 0; q < QUARTERS; q++) {
        try {
          await attack.quarter();
        } catch (error) {
          row.note = `attack stopped: ${error.message}; `;
          break;
        }
        const m = await child.mem();
        if (!m) break;
        row.samples.push(used(m) - used(base));
      }
      row.note += await attack.note();
      attack.stop();
      await sleep(500);
      const m = await child.mem();
      row.after = m ? used(m) - used(base) : undefined;
    } finally {
      attack?.stop();
      row.died = child.exited;
      await child.stop();
    }
    const growth = row.samples.length === QUARTERS ? row.samples[QUARTERS - 1] - row.samples[0] : undefined;
    row.growth = growth;
    row.verdict = row.died ? 'DIED' : growth === undefined ? 'INCOMPLETE' : growth > MAX_GROWTH_MIB * MiB ? 'grows' : 'flat';
    if (kind === 'holdfast' && row.verdict !== 'flat') failed = true;
    rows.push(row);
  }
}

console.log(`soak:server (node ${process.version}): server heapUsed + external after gc, MiB above its baseline,`);
console.log(`after each quarter of the flood; growth = q4 - q1 (limit for holdfast: ${MAX_GROWTH_MIB} MiB)\n`);
const header = ['flood', 'server', 'q1', 'q2', 'q3', 'q4', 'growth', 'after', 'verdict'];
const widths = [12, 9, 7, 7, 7, 7, 7, 7, 8];
const line = (cells) => cells.map((cell, i) => (i < 2 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join(' ');
console.log(line(header));
for (const row of rows) {
  const q = Array.from({ length: QUARTERS }, (_, i) => (row.samples[i] === undefined ? '-' : mib(row.samples[i])));
  console.log(line([row.flood, row.kind, ...q, row.growth === undefined ? '-' : mib(row.growth), row.after === undefined ? '-' : mib(row.after), row.verdict]));
}
console.log('\nfloods:');
for (const flood of floods) console.log(`  ${flood.name.padEnd(12)} ${flood.detail}`);
console.log('notes:');
for (const row of rows) console.log(`  ${row.flood.padEnd(12)} ${row.kind.padEnd(9)} ${row.note}`);
clearTimeout(watchdog);
if (failed) {
  console.error('\nsoak:server FAILED: the reference server\'s memory grew with an attack (or it died).');
  process.exit(1);
}
console.log('\nsoak:server passed: the reference server stayed flat under every flood.');
