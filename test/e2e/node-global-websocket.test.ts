// holdfast in Node with the platform's own global WebSocket (Node ≥ 22 has it by default; Node
// 20.10+ behind --experimental-websocket): no `WebSocket` option is passed. Runs the built
// client in a child process against the reference server in this one.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer, type HoldfastServer } from '../../src/server/index';

const root = join(__dirname, '..', '..');
const built = join(root, 'dist', 'index.js');
const major = Number(process.versions.node.split('.')[0]);
const flags = major >= 22 ? [] : ['--experimental-websocket'];

const script = (url: string) => `
  const { connect, rpc } = await import(${JSON.stringify(pathToFileURL(built).href)});
  const socket = connect(${JSON.stringify(url)}, { heartbeat: { interval: 50, timeout: 2000 }, use: [rpc()] });
  const got = [];
  socket.on('message', (data) => got.push(typeof data === 'string' ? data : Array.from(new Uint8Array(data))));
  socket.send('hello from node');
  socket.send(new Uint8Array([7, 8, 9]));
  const echoed = await socket.request('echo', { n: 1 });
  const deadline = Date.now() + 5000;
  while ((got.length < 2 || socket.rtt === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  socket.close();
  while (socket.state !== 'closed' && Date.now() < deadline + 3000) await new Promise((r) => setTimeout(r, 10));
  console.log(JSON.stringify({ got, echoed, rtt: typeof socket.rtt, state: socket.state }));
`;

let server: HoldfastServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('Node with its global WebSocket', () => {
  it('connects without a WebSocket option, echoes text and binary, answers a request and measures rtt', async () => {
    expect(existsSync(built), 'run `npm run build` first (npm test does)').toBe(true);
    server = createServer({ pingInterval: 0 });
    const { url } = await server.listen(0, '127.0.0.1');
    const { code, stdout, stderr } = await run(script(url));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ got: ['hello from node', [7, 8, 9]], echoed: { n: 1 }, rtt: 'number', state: 'closed' });
  });

  it('ends an attempt the platform refuses at once (error without close), not after connectTimeout', async () => {
    // A port that was free a moment ago: nothing listens there, so the connection is refused.
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const { code, stdout, stderr } = await run(refused(`ws://127.0.0.1:${port}/`));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { ms: number; codes: string[]; state: string };
    expect(result.codes).toEqual(['CONNECT']);
    expect(result.state).toBe('reconnecting');
    // connectTimeout is 3000 ms: ending the attempt on the error takes a few ms on loopback.
    expect(result.ms).toBeLessThan(1500);
  });
});

const refused = (url: string) => `
  const { connect } = await import(${JSON.stringify(pathToFileURL(built).href)});
  const started = Date.now();
  const socket = connect(${JSON.stringify(url)}, { heartbeat: false, connectTimeout: 3000, backoff: { initialDelay: 60000 } });
  const codes = [];
  socket.on('error', (error) => codes.push(error.code));
  await new Promise((resolve) => {
    socket.on('reconnecting', resolve);
    setTimeout(resolve, 5000).unref();
  });
  const ms = Date.now() - started;
  const state = socket.state;
  socket.close();
  console.log(JSON.stringify({ ms, codes, state }));
`;

async function run(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...flags, '--no-warnings', '--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  return { code, stdout, stderr };
}
