// Shared setup for the real-browser tests (`npm run test:browser`, run by node's own test runner):
// Debian's Chromium (found on PATH; never a downloaded browser) driven by playwright-core, and the
// built reference server on 127.0.0.1 with an ephemeral port. Pages are served by the reference
// server itself (`/`, `/holdfast.umd.min.js`) or, for fixtures and the ESM build, fulfilled from
// disk through page.route on the same origin.
import { chromium } from 'playwright-core';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function findChromium() {
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
 * Serves `/fixtures/*` from test/browser/fixtures and `/dist/*` from dist/ on the page's own
 * origin, so ES modules and fixtures load from the same http://127.0.0.1:<port> as the server.
 */
export async function routeLocalFiles(page, httpUrl) {
  const origin = httpUrl.replace(/\/$/, '');
  await page.route(`${origin}/fixtures/**`, (route) => fulfil(route, join(root, 'test', 'browser', 'fixtures'), '/fixtures/'));
  await page.route(`${origin}/dist/**`, (route) => fulfil(route, join(root, 'dist'), '/dist/'));
}

function fulfil(route, dir, prefix) {
  const path = new URL(route.request().url()).pathname.slice(prefix.length);
  const file = join(dir, ...path.split('/'));
  if (!file.startsWith(dir) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
  const ext = file.slice(file.lastIndexOf('.'));
  return route.fulfill({ status: 200, body: readFileSync(file), contentType: TYPES[ext] ?? 'application/octet-stream' });
}

/** Polls `fn` in the page until it returns a truthy value or `timeout` ms pass. */
export async function waitInPage(page, fn, arg, timeout = 10_000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 20 });
  return handle.jsonValue();
}
