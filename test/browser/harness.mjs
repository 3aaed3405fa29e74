// Shared setup for the real-browser tests (`npm run test:browser`, run by node's own test runner):
// Debian's Chromium (found on PATH; never a downloaded browser) driven by playwright-core, and the
// built reference server on 127.0.0.1 with an ephemeral port. Fixture pages and the ESM build come
// from a small static server on loopback; the demo page comes from the reference server itself.
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { delimiter, dirname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
