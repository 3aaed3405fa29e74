// Shared setup for the real-browser tests (`npm run test:browser`, run by node's own test runner):
// Debian's Chromium (found on PATH; never a downloaded browser) driven by playwright-core, and the
// built reference server on 127.0.0.1 with an ephemeral port. Fixture pages and the ESM build come
// from a small static server on loopback; the demo page comes from the reference server itself.
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer } from 'node:http';
import { delimiter, dirname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function findChromium() {
  if (process.env.HOLDFAST_CHROMIUM) return process.env.HOLDFAST_CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error('Chromium not found on PATH: install Debian\'s package (apt-get install chromium) or set HOLDFAST_CHROMIUM');
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    // Without the background-networking flags Chromium tries to reach Google's hosts, which
    // this closed network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Starts the built reference server on 127.0.0.1:port (0 = any free port). */
export async function startServer(port = 0, options = {}) {
  const { createServer } = await import(pathToFileURL(join(root, 'dist', 'server.js')).href);
  const server = createServer({ pingInterval: 0, demo: true, ...options });
  const address = await server.listen(port, '127.0.0.1');
  return { server, ...address };
}

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

/**
 * A static file server on 127.0.0.1 (ephemeral port) for `/fixtures/*` (test/browser/fixtures)
 * and `/dist/*` (the build). Pages must come from a real loopback origin: Chromium's Local
 * Network Access checks block a page of unknown origin (e.g. one fulfilled by page.route) from
 * opening a WebSocket to 127.0.0.1.
 */
export async function startStaticServer() {
  const mounts = { '/fixtures/': join(root, 'test', 'browser', 'fixtures'), '/dist/': join(root, 'dist') };
  const server = createHttpServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const prefix = Object.keys(mounts).find((p) => path.startsWith(p));
    const file = prefix ? normalize(join(mounts[prefix], ...path.slice(prefix.length).split('/'))) : undefined;
    if (!file || !file.startsWith(mounts[prefix]) || !existsSync(file)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const ext = file.slice(file.lastIndexOf('.'));
    response.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Polls `fn` in the page until it returns a truthy value or `timeout` ms pass. */
export async function waitInPage(page, fn, arg, timeout = 10_000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 20 });
  return handle.jsonValue();
}

/**
 * One Chromium and one static file server for a test file: started before its tests and closed
 * after them. Read `browser` and `statics` inside tests (they are set once `before` ran);
 * `openFixture(kind)` opens fixtures/<kind>.html in a fresh context, waits for `window.ready`
 * and collects the page's uncaught errors.
 */
export function useBrowser() {
  const env = {
    browser: undefined,
    statics: undefined,
    async openFixture(kind) {
      const context = await env.browser.newContext();
      const page = await context.newPage();
      const pageErrors = [];
      page.on('pageerror', (error) => pageErrors.push(error));
      await page.goto(`${env.statics.url}/fixtures/${kind}.html`);
      await waitInPage(page, () => window.ready === true);
      return { context, page, pageErrors };
    },
  };
  before(async () => {
    env.browser = await launchBrowser();
    env.statics = await startStaticServer();
  });
  after(async () => {
    await env.browser?.close();
    await env.statics?.close();
  });
  return env;
}

/** Polls `fn` (Node side) until it is truthy or `timeout` ms pass. */
export async function until(fn, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Debian's Chromium on a bare DevTools connection (the `ws` client): `open(url)` makes a page (a
 * new window of the default profile, so all pages share one origin's locks and channels) and
 * returns its session; `eval` runs an expression in it; `send` sends a command to it.
 */
export async function rawChromium() {
  const profile = mkdtempSync(join(tmpdir(), 'holdfast-shared-'));
  const child = spawn(findChromium(), ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const endpoint = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('Chromium printed no DevTools endpoint')), 10_000);
    child.stderr.on('data', (chunk) => {
      text += chunk;
      const found = /ws:\/\/\S+/.exec(text);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    });
  });
  const socket = new WebSocket(endpoint);
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
  let next = 0;
  const waiting = new Map();
  socket.on('message', (raw) => {
    const message = JSON.parse(String(raw));
    const done = waiting.get(message.id);
    if (!done) return;
    waiting.delete(message.id);
    if (message.error) done.reject(new Error(message.error.message));
    else done.resolve(message.result);
  });
  const send = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params, sessionId }));
    });
  const evaluate = async (sessionId, expression) => {
    const { result, exceptionDetails } = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId);
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    return result.value;
  };
  return {
    send,
    eval: evaluate,
    async open(url) {
      const { targetId } = await send('Target.createTarget', { url, newWindow: true });
      const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
      return sessionId;
    },
    until: (sessionId, expression, timeout = 10_000) => until(() => evaluate(sessionId, expression).catch(() => false), expression, timeout),
    async close() {
      socket.close();
      const exited = new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
      // Its own process group (detached): the browser's helper processes, which keep writing to
      // the profile for a moment after the main process, go with it.
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill();
      }
      await exited;
      rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    },
  };
}

