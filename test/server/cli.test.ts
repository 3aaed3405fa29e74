// @vitest-environment node
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runCli } from '../../src/server/command.js';
import { cleanup, startServer, within } from '../helpers/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const builtCli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const LISTENING = /ws:\/\/127\.0\.0\.1:(\d+)/;

const children = new Set<ChildProcess>();
const sockets = new Set<WebSocket>();
afterEach(async () => {
  for (const ws of sockets) {
    ws.on('error', () => undefined);
    ws.terminate();
  }
  sockets.clear();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  await cleanup();
});

function collector(): { io: { stdout: (l: string) => void; stderr: (l: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (line) => out.push(line), stderr: (line) => err.push(line) }, out, err };
}

async function waitForLine(lines: string[], pattern: RegExp, ms = 5000): Promise<RegExpExecArray> {
  return within(
    (async () => {
      for (;;) {
        for (const line of lines) {
          const match = pattern.exec(line);
          if (match) return match;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })(),
    ms,
    `a line matching ${pattern}`,
  );
}

/** Opens a ws client, checks it is echoed, and gives back the close code the server later sends. */
async function connectAndAwaitClose(url: string): Promise<{ closed: Promise<number> }> {
  const ws = new WebSocket(url);
  sockets.add(ws);
  await within(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), 3000, 'open');
  ws.send('hello');
  const echoed = await within(new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString()))), 3000, 'echo');
  expect(echoed).toBe('hello');
  // Wrapped: an async function returning a bare promise would wait for it.
  return { closed: new Promise((resolve) => ws.once('close', (code: number) => resolve(code))) };
}

describe('runCli (in process)', () => {
  it('prints one ws:// line once listening, serves, and resolves 0 after the signal aborts', async () => {
    const { io, out, err } = collector();
    const controller = new AbortController();
    const exit = runCli(['--port', '0', '--host', '127.0.0.1'], { ...io, signal: controller.signal });
    const [line, port] = await waitForLine(out, LISTENING);
    expect(out).toHaveLength(1);
    expect(line).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(out[0]).toContain(`http://127.0.0.1:${port}/`);
    const { closed: closeCode } = await connectAndAwaitClose(`ws://127.0.0.1:${port}`);
    controller.abort();
    await expect(within(exit, 5000, 'runCli to finish')).resolves.toBe(0);
    expect(await within(closeCode, 3000, 'the client close')).toBe(1001);
    expect(err).toEqual([]);
  });

  it('exposes no fault control by default: POST /demo/drop is 404 and drops nothing', async () => {
    const { io, out } = collector();
    const controller = new AbortController();
    const exit = runCli(['--port=0'], { ...io, signal: controller.signal });
    const [, port] = await waitForLine(out, LISTENING);
    expect(out[0]).not.toMatch(/fault controls/);
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    sockets.add(ws);
    await within(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), 3000, 'open');
    for (const path of ['/demo/drop', '/demo/outage', '/demo/freeze']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: string }).error).toMatch(/--demo/);
    }
    expect(ws.readyState).toBe(WebSocket.OPEN);
    controller.abort();
    await expect(exit).resolves.toBe(0);
  });

  it('turns the demo drop route on with --demo', async () => {
    const { io, out } = collector();
    const controller = new AbortController();
    const exit = runCli(['--port=0', '--demo'], { ...io, signal: controller.signal });
    const [, port] = await waitForLine(out, LISTENING);
    expect(out[0]).toMatch(/fault controls/);
    const response = await fetch(`http://127.0.0.1:${port}/demo/drop`, { method: 'POST' });
    expect(await response.json()).toEqual({ dropped: 0 });
    controller.abort();
    await expect(exit).resolves.toBe(0);
  });

  it('agrees on a --protocol: the first the client offers that is accepted, none when none is', async () => {
    const { io, out } = collector();
    const controller = new AbortController();
    const exit = runCli(['--port=0', '--protocol', 'chat.v1', '--protocol', 'chat.v2'], { ...io, signal: controller.signal });
    const [, port] = await waitForLine(out, LISTENING);
    const agreed = async (offered: string[]): Promise<string> => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, offered);
      sockets.add(ws);
      await within(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), 3000, 'open');
      return ws.protocol;
    };
    expect(await agreed(['chat.v2'])).toBe('chat.v2');
    expect(await agreed(['other', 'chat.v1'])).toBe('chat.v1');
    // The client's order of preference decides between two accepted ones.
    expect(await agreed(['chat.v2', 'chat.v1'])).toBe('chat.v2');
    expect(await agreed(['chat.v1', 'chat.v2'])).toBe('chat.v1');
    // Offering only unknown protocols: no subprotocol in the 101, which the ws client refuses.
    const refused = new WebSocket(`ws://127.0.0.1:${port}`, ['other']);
    sockets.add(refused);
    const error = await within(new Promise<Error>((resolve) => refused.once('error', resolve)), 3000, 'the refusal');
    expect(error.message).toMatch(/subprotocol/i);
    controller.abort();
    await expect(exit).resolves.toBe(0);
  });

  it("accepts any offered subprotocol with --protocol '*' (the client's first)", async () => {
    const { io, out } = collector();
    const controller = new AbortController();
    const exit = runCli(['--port=0', '--protocol=*'], { ...io, signal: controller.signal });
    const [, port] = await waitForLine(out, LISTENING);
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, ['graphql-ws', 'other']);
    sockets.add(ws);
    await within(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), 3000, 'open');
    expect(ws.protocol).toBe('graphql-ws');
    controller.abort();
    await expect(exit).resolves.toBe(0);
  });

  it.each([
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--port', '-1']],
    [['--bogus']],
    [['extra']],
    [['--host', '']],
    [['--protocol', 'bad name']],
    [['--protocol', '']],
  ])('exits 2 with the usage on stderr for bad arguments %j', async (argv) => {
    const { io, out, err } = collector();
    await expect(runCli(argv, io)).resolves.toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/^holdfast-server: /);
    expect(err.join('\n')).toMatch(/Usage: holdfast-server/);
  });

  it('prints the usage on stdout and exits 0 for --help', async () => {
    const { io, out, err } = collector();
    await expect(runCli(['--help'], io)).resolves.toBe(0);
    expect(out.join('\n')).toMatch(/--port <n>/);
    expect(err).toEqual([]);
  });

  it('exits 1 with a message when the port is taken', async () => {
    const { port } = await startServer();
    const { io, err } = collector();
    await expect(runCli(['--port', String(port)], io)).resolves.toBe(1);
    expect(err.join('\n')).toMatch(/EADDRINUSE/);
  });
});

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

describe('the built holdfast-server binary', () => {
  beforeAll(() => {
    // Build only when dist/cli.js is missing or older than the sources it is built from.
    const stale = !existsSync(builtCli) || statSync(builtCli).mtimeMs < Math.max(newestMtime(`${root}src/server`), newestMtime(`${root}src/protocol`));
    if (!stale) return;
    const result = spawnSync('npx', ['rollup', '-c'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    if (result.status !== 0) throw new Error(`build failed:\n${result.stderr}`);
  }, 250_000);

  it('prints the ws:// line, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [builtCli, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const out: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out.push(...chunk.split('\n').filter(Boolean)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const [, port] = await waitForLine(out, LISTENING, 10_000);
    const { closed: closeCode } = await connectAndAwaitClose(`ws://127.0.0.1:${port}`);
    child.kill('SIGTERM');
    expect(await within(exited, 5000, 'the process to exit')).toBe(0);
    expect(await within(closeCode, 3000, 'the client close')).toBe(1001);
    expect(out).toHaveLength(1);
  });

  it('npm start (scripts/start.mjs) runs it with the demo fault controls on', async () => {
    const child = spawn(process.execPath, [`${root}scripts/start.mjs`, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const out: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out.push(...chunk.split('\n').filter(Boolean)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // start.mjs rebuilds first when dist/ is older than src/.
    const [, port] = await waitForLine(out, LISTENING, 200_000);
    const response = await fetch(`http://127.0.0.1:${port}/demo/drop`, { method: 'POST' });
    expect(await response.json()).toEqual({ dropped: 0 });
    child.kill('SIGTERM');
    expect(await within(exited, 5000, 'the process to exit')).toBe(0);
  }, 240_000);

  it('exits 2 for a bad argument', async () => {
    const result = spawnSync(process.execPath, [builtCli, '--port', 'nope'], { cwd: root, encoding: 'utf8', timeout: 10_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Usage: holdfast-server/);
    expect(result.stdout).toBe('');
  });
});
