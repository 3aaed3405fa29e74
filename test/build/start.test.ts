// @vitest-environment node
// `npm start` as the README describes it: `scripts/start.mjs` builds dist/ only when it is missing
// or stale, then runs the reference server with its demo; extra arguments (`--port 0`, `--host`)
// are passed on, and Ctrl-C stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Started {
  child: ChildProcess;
  lines: string[];
  url: URL;
  exited: Promise<number | null>;
}

/** Runs `node scripts/start.mjs ...args` and resolves once it prints its ws:// line. */
function start(args: string[], ms: number): Promise<Started> {
  const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ws:// line within ${ms} ms: ${lines.join(' | ')}`)), ms);
    const onLine = (chunk: string): void => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        const match = /ws:\/\/[^\s]+/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve({ child, lines, url: new URL(match[0]), exited });
        }
      }
    };
    child.stdout?.setEncoding('utf8').on('data', onLine);
    child.stderr?.setEncoding('utf8').on('data', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`start.mjs exited with ${code} before listening: ${lines.join(' | ')}`));
    });
  });
}

describe('npm start (scripts/start.mjs)', () => {
  it('passes --port 0 and --host on, serves the demo, does not rebuild a fresh dist/, and stops on Ctrl-C', async () => {
    // The first run builds dist/ if this checkout has none or a stale one; the second must not.
    const first = await start(['--port', '0', '--host', '127.0.0.1'], 120_000);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    const began = performance.now();
    const second = await start(['--port', '0', '--host', '127.0.0.1'], 20_000);
    const ready = performance.now() - began;
    expect(second.lines.some((line) => line.includes('building'))).toBe(false);
    expect(second.url.hostname).toBe('127.0.0.1');
    const port = Number(second.url.port);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(8080); // --port 0 replaced the default, it was not appended to it

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    // Printed, not asserted: speed is for benchmarks on a quiet machine.
    console.log(`npm start, second run: ready in ${Math.round(ready)} ms`);
  }, 150_000);
});
