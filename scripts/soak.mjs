// npm run soak: does the client's heap keep growing across reconnect cycles?
//
// A reference server (dist/server.js, in a child process so its heap is not counted) completes
// every WebSocket handshake and drops the TCP socket at once (`faults.acceptAndDrop`). The built
// client (dist/index.js over the `ws` package, heartbeat off, no environment, backoff ~0 ms)
// reconnects after each drop; one cycle = one link opened and lost. A bare `ws` loop (open, get
// dropped, open again) runs first in the same process as the baseline.
//
// For each loop: WARMUP cycles, then CYCLES cycles with the heap (`heapUsed` after two
// `global.gc()`) sampled at CHECKPOINTS points; the slope is a least-squares fit in bytes per
// cycle over the second half. Then the client is closed, and its heap after `close()` + gc is
// compared with its heap at the start of the measured cycles.
//
// The process runs with V8's optimising and baseline compilers and bytecode flushing off: JIT
// code and flushed/recompiled bytecode otherwise move the heap by ±100 KB over a few thousand
// cycles (measured), which hides a leak of tens of bytes per cycle. With them off, the bare `ws`
// loop and today's client measure ~1 B/cycle. `SOAK_JIT=1` keeps the JIT (noisier).
//
// Exits 1 when the client's slope is above SOAK_MAX_SLOPE (default 8 B/cycle: an order of
// magnitude above the measured noise, and well below the 60–120 B/cycle leak of issue 8), or when
// its heap after close() is above the start by more than max(32 KiB, 4 B × CYCLES).
// Env: SOAK_CYCLES (5000), SOAK_WARMUP (500), SOAK_MAX_SLOPE (8), SOAK_TIMEOUT_MS (240000),
// SOAK_INJECT_LEAK (bytes the harness itself keeps per client cycle: a self-test that a leak of
// that size is caught).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const dist = join(here, '..', 'dist');

if (process.argv[2] === '--server') {
  const { createServer } = await import('../dist/server.js');
  const server = createServer({ pingInterval: 0 });
  server.faults.acceptAndDrop(Infinity);
  const { port } = await server.listen(0, '127.0.0.1');
  process.stdout.write(`${port}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await server.close();
    process.exit(0);
  });
} else {
  const flags = ['--expose-gc', ...(process.env.SOAK_JIT === '1' ? [] : ['--no-opt', '--no-sparkplug', '--no-flush-bytecode'])];
  if (typeof globalThis.gc !== 'function' || !flags.every((flag) => process.execArgv.includes(flag))) {
    if (process.env.SOAK_RESPAWNED === '1') {
      console.error('soak: could not start node with', flags.join(' '));
      process.exit(2);
    }
    const child = spawn(process.execPath, [...flags, self, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, SOAK_RESPAWNED: '1' },
    });
    const [code, signal] = await once(child, 'exit');
    process.exit(signal ? 2 : code);
  } else {
    await main();
  }
}

async function main() {
  for (const file of ['index.js', 'server.js']) {
    if (!existsSync(join(dist, file))) {
      console.error(`dist/${file} is missing: run \`npm run build\` first`);
      process.exit(2);
    }
  }
  const { connect } = await import('../dist/index.js');
  const { default: WebSocket } = await import('ws');

  const CYCLES = Number(process.env.SOAK_CYCLES ?? 5000);
  const WARMUP = Number(process.env.SOAK_WARMUP ?? 500);
  const MAX_SLOPE = Number(process.env.SOAK_MAX_SLOPE ?? 8);
  const TIMEOUT_MS = Number(process.env.SOAK_TIMEOUT_MS ?? 240_000);
  const INJECT = Number(process.env.SOAK_INJECT_LEAK ?? 0);
  const CHECKPOINTS = 10;
  const STALL_MS = 10_000;
  const AFTER_CLOSE_LIMIT = Math.max(32 * 1024, 4 * CYCLES);
  if (!(CYCLES >= CHECKPOINTS * 2 && WARMUP >= 0)) throw new RangeError('SOAK_CYCLES must be >= 20 and SOAK_WARMUP >= 0');

  const started = Date.now();
  const hardStop = setTimeout(() => {
    console.error(`soak: did not finish within ${TIMEOUT_MS} ms`);
    process.exit(2);
  }, TIMEOUT_MS);

  const server = spawn(process.execPath, [self, '--server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = await once(server.stdout, 'data');
  const url = `ws://127.0.0.1:${Number(String(chunk).trim())}`;

  const heap = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };

  /**
   * Drives a loop for `count` more cycles: `kick` starts it (once), `onCycle` registration is
   * done by the loop itself calling `tick()`. Rejects when no cycle completes for STALL_MS.
   */
  function makeCounter() {
    let cycles = 0;
    let target = 0;
    let wake;
    let last = Date.now();
    const tick = () => {
      cycles++;
      last = Date.now();
      if (wake && cycles >= target) {
        const w = wake;
        wake = undefined;
        w();
      }
    };
    const run = (count) =>
      new Promise((resolve, reject) => {
        target = cycles + count;
        last = Date.now();
        const watch = setInterval(() => {
          if (Date.now() - last > STALL_MS) {
            clearInterval(watch);
            reject(new Error(`no cycle completed for ${STALL_MS} ms (at ${cycles})`));
          }
        }, 1000);
        wake = () => {
          clearInterval(watch);
          resolve();
        };
      });
    return { tick, run, get cycles() { return cycles; } };
  }

  /** Warm-up, then CYCLES cycles with CHECKPOINTS heap samples. */
  async function measure(counter) {
    await counter.run(WARMUP);
    const samples = [{ cycle: 0, heap: heap() }];
    const step = CYCLES / CHECKPOINTS;
    for (let i = 1; i <= CHECKPOINTS; i++) {
      await counter.run(Math.round(i * step) - Math.round((i - 1) * step));
      samples.push({ cycle: Math.round(i * step), heap: heap() });
    }
    return samples;
  }

  /** Least-squares slope (bytes per cycle) over the samples from the midpoint on. */
  function slope(samples) {
    const half = samples.filter((s) => s.cycle >= CYCLES / 2);
    const n = half.length;
    const mx = half.reduce((a, s) => a + s.cycle, 0) / n;
    const my = half.reduce((a, s) => a + s.heap, 0) / n;
    let num = 0;
    let den = 0;
    for (const s of half) {
      num += (s.cycle - mx) * (s.heap - my);
      den += (s.cycle - mx) ** 2;
    }
    return num / den;
  }

  // ---- baseline: a bare `ws` client, reopened after every drop --------------------------------
  const raw = makeCounter();
  let rawStopped = false;
  const openRaw = () => {
    const ws = new WebSocket(url);
    ws.onerror = () => {};
    ws.onclose = () => {
      raw.tick();
      if (!rawStopped) setImmediate(openRaw);
    };
  };
  openRaw();
  const rawSamples = await measure(raw);
  rawStopped = true;

  // ---- the client -------------------------------------------------------------------------------
  const client = makeCounter();
  const kept = [];
  let opens = 0;
  let errors = 0;
  const socket = connect(url, {
    WebSocket,
    heartbeat: false,
    environment: false,
    backoff: { initialDelay: 0, maxDelay: 0, minUptime: 0 },
  });
  socket.on('open', () => opens++);
  socket.on('error', () => errors++);
  socket.on('close', () => {
    if (INJECT > 0) kept.push(Buffer.alloc(Math.max(1, INJECT - 28), 120).toString('latin1')); // a flat string: ~INJECT B with its array slot
    client.tick();
  });
  const samples = await measure(client);
  socket.close();
  const closed = socket.state;
  await new Promise((resolve) => setTimeout(resolve, 200));
  const afterClose = heap();

  clearTimeout(hardStop);
  server.stdin.end();
  await once(server, 'exit');

  // ---- report -----------------------------------------------------------------------------------
  const kib = (bytes) => (bytes / 1024).toFixed(1);
  const rawSlope = slope(rawSamples);
  const clientSlope = slope(samples);
  const start = samples[0].heap;
  const closeDelta = afterClose - start;
  console.log(`soak: ${CYCLES} accept-then-drop cycles after ${WARMUP} warm-up, node ${process.version}, flags ${process.execArgv.join(' ')}`);
  console.log('cycle'.padStart(7), 'bare ws KiB'.padStart(12), 'holdfast KiB'.padStart(13));
  for (let i = 0; i < samples.length; i++) {
    console.log(String(samples[i].cycle).padStart(7), kib(rawSamples[i].heap).padStart(12), kib(samples[i].heap).padStart(13));
  }
  console.log(`slope over cycles ${CYCLES / 2}–${CYCLES} (least squares): bare ws ${rawSlope.toFixed(2)} B/cycle, holdfast ${clientSlope.toFixed(2)} B/cycle (limit ${MAX_SLOPE})`);
  console.log(`holdfast after close() (${closed}): ${kib(afterClose)} KiB, ${closeDelta >= 0 ? '+' : ''}${kib(closeDelta)} KiB vs the start (limit +${kib(AFTER_CLOSE_LIMIT)} KiB)`);
  console.log(`holdfast: ${opens} opens, ${errors} errors; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (INJECT > 0) console.log(`(self-test: the harness kept ${kept.length} strings of ~${INJECT} B each)`);

  const failures = [];
  if (opens < WARMUP + CYCLES) failures.push(`only ${opens} of ${WARMUP + CYCLES} cycles opened a link`);
  if (!(clientSlope <= MAX_SLOPE)) failures.push(`heap slope ${clientSlope.toFixed(2)} B/cycle > ${MAX_SLOPE}`);
  if (!(closeDelta <= AFTER_CLOSE_LIMIT)) failures.push(`heap after close() is ${kib(closeDelta)} KiB above the start`);
  if (closed !== 'closed') failures.push(`state after close() is ${closed}`);
  if (failures.length) {
    console.log(`FAIL: ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log('PASS');
  process.exit(0);
}
