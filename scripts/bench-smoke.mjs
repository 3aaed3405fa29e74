// npm run bench:smoke: runs every benchmark once at a tiny scale (BENCH_SCALE, one round) to
// check that it still runs to the end and prints its ratios. It measures nothing: the figures of
// so short a run are noise. CI runs it after the tests, so a benchmark cannot break silently.
// Each run is bounded in time; the first failure exits non-zero with the benchmark's output.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUN_TIMEOUT_MS = 120_000;
const small = { BENCH_ROUNDS: '1', BENCH_SCALE: '0.01' };
/** Each benchmark, what makes it small, and a line its output must have (a ratio in its table). */
const benches = [
  { file: 'bench/client.mjs', env: small, expect: /^text 16 B\s.*\d\.\d\d/m },
  { file: 'bench/rpc.mjs', env: small, expect: /^pipelined.*\d\.\d\d/m },
  { file: 'bench/session.mjs', env: small, expect: /^text, 32 B\s.*\d\.\d\d/m },
  { file: 'bench/server.mjs', env: { ...small, BENCH_IDLE_CONNECTIONS: '50', BENCH_MEMORY_ROUNDS: '1' }, expect: /memory per idle connection/ },
];

function run({ file, env }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(root, file)], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n(killed after ${RUN_TIMEOUT_MS} ms)`;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: performance.now() - started });
    });
  });
}

let failed = false;
for (const bench of benches) {
  const { code, signal, output, ms } = await run(bench);
  const ok = code === 0 && bench.expect.test(output);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${bench.file} (${(ms / 1000).toFixed(1)} s)`);
  if (!ok) {
    failed = true;
    console.log(`exit ${code ?? signal}; expected output matching ${bench.expect}:\n${output}`);
  }
}
process.exit(failed ? 1 : 0);
