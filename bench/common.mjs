// Helpers shared by the client benchmarks: the dist check, the echo server in its own process
// (bench/server-child.mjs) and the median.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Exits with a hint when `npm run build` has not produced these dist files. */
export function requireDist(...files) {
  for (const file of files) {
    if (!existsSync(join(here, '..', 'dist', file))) {
      console.error(`dist/${file} is missing: run \`npm run build\` first`);
      process.exit(1);
    }
  }
}

/** Starts bench/server-child.mjs (`kind`: "holdfast" or "ws") and resolves with its url and a stop(). */
export async function startServer(kind = 'holdfast') {
  const child = spawn(process.execPath, [join(here, 'server-child.mjs'), kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = await once(child.stdout, 'data');
  return {
    url: `ws://127.0.0.1:${Number(String(chunk).trim())}`,
    stop: async () => {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
