// Real framework runtimes in Chromium: the built client runs through the SocketTask
// implementations of uni-app's H5 runtime (@dcloudio/uni-h5) and Taro's (@tarojs/taro-h5),
// written by those frameworks' authors over the browser's WebSocket, against the built reference
// server. The page bundle (runtimes-entry.mjs) is built here with esbuild, importing each runtime
// as its framework's build does (see that file).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { launchBrowser, root, startServer, startStaticServer, waitInPage } from './harness.mjs';

let browser;
let statics;
let bundle;
before(async () => {
  const result = await build({
    entryPoints: [join(root, 'test', 'browser', 'runtimes-entry.mjs')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    logLevel: 'error',
    // uni-app's build aliases vue to its own fork; Taro's defines its environment.
    alias: { vue: '@dcloudio/uni-h5-vue' },
    define: {
      'process.env.NODE_ENV': '"production"',
      'process.env.TARO_ENV': '"h5"',
      'process.env.TARO_PLATFORM': '"web"',
      'process.env.FRAMEWORK': '"react"',
      'process.env.TARO_VERSION': '"4.2.1"',
    },
  });
  bundle = result.outputFiles[0].text;
  browser = await launchBrowser();
  statics = await startStaticServer();
});
after(async () => {
  await browser?.close();
  await statics?.close();
});

async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${statics.url}/fixtures/runtimes.html`);
  await page.addScriptTag({ content: bundle });
  await waitInPage(page, () => window.ready === true);
  return { context, page, pageErrors };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the server has no connection left (the client's sockets are really gone). */
async function drained(server) {
  const deadline = Date.now() + 5000;
  while (server.connections.size > 0 && Date.now() < deadline) await pause(20);
  return server.connections.size;
}

// uni-h5's onNetworkStatusChange needs uni's service bridge, which only an initialised uni-app
// has: instead of failing connect(), the socket reports it as an ENVIRONMENT error event.
const environmentErrors = { uni: ['ENVIRONMENT: UniServiceJSBridge is not defined'], taro: [] };

for (const kind of ['uni', 'taro']) {
  describe(`${kind === 'uni' ? 'uni-app (@dcloudio/uni-h5)' : 'Taro (@tarojs/taro-h5)'} H5 runtime in Chromium`, () => {
    let served;
    let opened;
    before(async () => {
      served = await startServer();
      opened = await openPage();
      await opened.page.evaluate(([k, url]) => window.rtStart(k, url), [kind, served.url]);
      await waitInPage(opened.page, () => window.rt.socket.state === 'open');
    });
    after(async () => {
      await opened?.context.close();
      await served?.server.close();
    });

    it('opens through the runtime: connect() did not fail, no page error, only the documented error event', async () => {
      const { page, pageErrors } = opened;
      assert.equal(await page.evaluate(() => window.rt.rec.opens), 1);
      assert.equal(served.server.connections.size, 1);
      await pause(50);
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(await page.evaluate(() => window.rt.rec.errors), environmentErrors[kind]);
    });

    it('text and binary come back byte-exact, as ArrayBuffers, in order', async () => {
      const { page } = opened;
      await page.evaluate(() => {
        const big = new Uint8Array(100_000);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
        const socket = window.rt.socket;
        socket.send('first');
        socket.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
        socket.send('héllo wörld ✓ 😀');
        socket.send(big);
        socket.send(new Uint8Array([9, 8, 7, 6]).subarray(1, 3)); // a view with an offset
        socket.send('last');
      });
      const messages = await waitInPage(page, () => window.rt.rec.messages.length >= 6 && window.rt.rec.messages);
      assert.equal(messages.length, 6);
      assert.deepEqual(messages[0], { text: 'first' });
      assert.deepEqual(messages[1], { bytes: [0, 1, 2, 253, 254, 255], isArrayBuffer: true });
      assert.deepEqual(messages[2], { text: 'héllo wörld ✓ 😀' });
      assert.equal(messages[3].bytes.length, 100_000);
      assert.ok(messages[3].isArrayBuffer);
      assert.ok(messages[3].bytes.every((b, i) => b === ((i * 31) & 0xff)));
      assert.deepEqual(messages[4], { bytes: [8, 7], isArrayBuffer: true });
      assert.deepEqual(messages[5], { text: 'last' });
      assert.deepEqual(await page.evaluate(() => window.rt.rec.errors), environmentErrors[kind]);
    });

    it('request/response: echo resolves with the params (bytes included), an unknown method rejects', async () => {
      const { page } = opened;
      const outcome = await page.evaluate(async () => {
        const socket = window.rt.socket;
        const echoed = await socket.request('echo', { n: 42, text: 'ünï' });
        const bytes = await socket.request('echo', { blob: new Uint8Array([1, 2, 3, 250]) });
        let failure;
        try {
          await socket.request('no.such.method', {});
        } catch (error) {
          failure = { name: error.name, remoteCode: error.remoteCode };
        }
        return { echoed, bytes: Array.from(bytes.blob), failure };
      });
      assert.deepEqual(outcome.echoed, { n: 42, text: 'ünï' });
      assert.deepEqual(outcome.bytes, [1, 2, 3, 250]);
      assert.deepEqual(outcome.failure, { name: 'RemoteError', remoteCode: 'METHOD_NOT_FOUND' });
    });

    it('survives a server restart on the same port; messages queued meanwhile arrive once, in order', async () => {
      const { page } = opened;
      const { port } = served;
      await page.evaluate(() => (window.rt.rec.messages.length = 0));
      served.server.faults.drop(); // no close frame: as if the process died
      await served.server.close();
      await waitInPage(page, () => window.rt.socket.state !== 'open');
      const results = await page.evaluate(() => [1, 2, 3, 4, 5].map((n) => window.rt.socket.send(`offline-${n}`)));
      assert.deepEqual(results, ['queued', 'queued', 'queued', 'queued', 'queued']);
      await pause(300); // a few failed attempts against the closed port
      served = await startServer(port);
      const received = [];
      served.server.on('message', (data, isBinary) => {
        if (!isBinary) received.push(String(data));
      });
      const echoes = await waitInPage(page, () => window.rt.rec.messages.length >= 5 && window.rt.rec.messages.map((m) => m.text), undefined, 10_000);
      assert.deepEqual(echoes, ['offline-1', 'offline-2', 'offline-3', 'offline-4', 'offline-5']);
      await pause(300); // let any duplicate show up
      assert.deepEqual(received, ['offline-1', 'offline-2', 'offline-3', 'offline-4', 'offline-5']);
      assert.equal(await page.evaluate(() => window.rt.rec.opens), 2);
      assert.equal(served.server.connections.size, 1);
    });

    it('close() is final: state closed, the server sees the client go, no reconnection follows', async () => {
      const { page } = opened;
      await page.evaluate(() => window.rt.socket.close());
      await waitInPage(page, () => window.rt.socket.state === 'closed');
      assert.equal(await drained(served.server), 0);
      let attempts = 0;
      const off = served.server.on('connection', () => attempts++);
      await pause(600); // far longer than the 50–200 ms backoff
      off();
      assert.equal(attempts, 0);
      const closes = await page.evaluate(() => window.rt.rec.closes);
      assert.equal(closes.at(-1).willReconnect, false);
      // Every task the runtime made reached CLOSED: none is left open behind the client.
      const states = await waitInPage(page, () => window.rt.tasks.every((task) => task.readyState === 3) && window.rt.tasks.map((task) => task.readyState));
      assert.ok(states.length >= 3, `attempts: ${states.length}`); // first, at least one refused, the reconnection
    });
  });
}
