// Real-browser tests: Debian's Chromium runs the built client (script-tag UMD build and ES module
// build) against the built reference server over loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, useBrowser, waitInPage } from './harness.mjs';

const env = useBrowser();
const { openFixture } = env;

for (const kind of ['umd', 'esm']) {
  describe(`${kind} build in Chromium`, () => {
    let served;
    let opened;
    before(async () => {
      served = await startServer();
      opened = await openFixture(kind);
    });
    after(async () => {
      await opened?.context.close();
      await served?.server.close();
    });

    it('connects, and text and binary echoes come back byte-exact and in order', async () => {
      const { page, pageErrors } = opened;
      await page.evaluate((url) => window.hfStart(url), served.url);
      await waitInPage(page, () => window.hf.socket.state === 'open');
      await page.evaluate(() => {
        const big = new Uint8Array(100_000);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
        window.hf.socket.send('first');
        window.hf.socket.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
        window.hf.socket.send('héllo wörld ✓ 😀');
        window.hf.socket.send(big);
        window.hf.socket.send(new Uint8Array([9, 8, 7, 6]).subarray(1, 3)); // a view with an offset
      });
      const messages = await waitInPage(page, () => window.hf.rec.messages.length >= 5 && window.hf.rec.messages);
      assert.equal(messages.length, 5);
      assert.deepEqual(messages[0], { text: 'first' });
      assert.deepEqual(messages[1], { bytes: [0, 1, 2, 253, 254, 255] });
      assert.deepEqual(messages[2], { text: 'héllo wörld ✓ 😀' });
      assert.equal(messages[3].bytes.length, 100_000);
      assert.ok(messages[3].bytes.every((b, i) => b === ((i * 31) & 0xff)));
      assert.deepEqual(messages[4], { bytes: [8, 7] });
      assert.deepEqual(pageErrors, []);
    });

    it('request/response: echo resolves with the params, an unknown method rejects with a RemoteError', async () => {
      const { page } = opened;
      const outcome = await page.evaluate(async () => {
        const socket = window.hf.socket;
        const echoed = await socket.request('echo', { n: 42, list: ['a', 'b'], text: 'ünï' });
        const bytes = await socket.request('echo', { blob: new Uint8Array([1, 2, 3, 250]) });
        let failure;
        try {
          await socket.request('no.such.method', {});
        } catch (error) {
          failure = { name: error.name, code: error.code, remoteCode: error.remoteCode, isHoldfast: window.lib.isHoldfastError(error) };
        }
        return { echoed, bytes: Array.from(bytes.blob), bytesIsView: bytes.blob instanceof Uint8Array, failure };
      });
      assert.deepEqual(outcome.echoed, { n: 42, list: ['a', 'b'], text: 'ünï' });
      assert.deepEqual(outcome.bytes, [1, 2, 3, 250]);
      assert.equal(outcome.bytesIsView, true);
      assert.deepEqual(outcome.failure, { name: 'RemoteError', code: 'REMOTE', remoteCode: 'METHOD_NOT_FOUND', isHoldfast: true });
    });

    it('close() is final: state closed, the server sees the client go, no reconnection follows', async () => {
      const { page } = opened;
      await page.evaluate(() => window.hf.socket.close());
      await waitInPage(page, () => window.hf.socket.state === 'closed');
      const deadline = Date.now() + 5000;
      while (served.server.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(served.server.connections.size, 0);
      let attempts = 0;
      const off = served.server.on('connection', () => attempts++);
      await new Promise((r) => setTimeout(r, 600)); // far longer than the 50–200 ms backoff
      off();
      assert.equal(attempts, 0);
      assert.equal(await page.evaluate(() => window.hf.socket.state), 'closed');
      const closes = await page.evaluate(() => window.hf.rec.closes);
      assert.equal(closes.at(-1).willReconnect, false);
    });
  });
}

describe('reconnection in Chromium', () => {
  it('survives the server being killed and restarted on the same port; offline sends arrive once, in order', async () => {
    let served = await startServer();
    const { port } = served;
    const opened = await openFixture('umd');
    try {
      const { page } = opened;
      await page.evaluate((url) => window.hfStart(url), served.url);
      await waitInPage(page, () => window.hf.socket.state === 'open');

      served.server.faults.drop(); // no close frame: as if the process died
      await served.server.close();
      await waitInPage(page, () => window.hf.socket.state !== 'open');
      const results = await page.evaluate(() => [1, 2, 3, 4, 5].map((n) => window.hf.socket.send(`offline-${n}`)));
      assert.deepEqual(results, ['queued', 'queued', 'queued', 'queued', 'queued']);

      served = await startServer(port);
      const received = [];
      served.server.on('message', (data, isBinary) => { if (!isBinary) received.push(String(data)); });
      const echoes = await waitInPage(page, () => window.hf.rec.messages.length >= 5 && window.hf.rec.messages.map((m) => m.text));
      assert.deepEqual(echoes, ['offline-1', 'offline-2', 'offline-3', 'offline-4', 'offline-5']);
      await new Promise((r) => setTimeout(r, 300)); // let any duplicate show up
      assert.deepEqual(received, ['offline-1', 'offline-2', 'offline-3', 'offline-4', 'offline-5']);
      assert.equal(await page.evaluate(() => window.hf.rec.opens), 2);
    } finally {
      await opened.context.close();
      await served.server.close();
    }
  });

  it('pauses attempts while the browser is offline and resumes when it is back', async () => {
    const served = await startServer();
    const opened = await openFixture('umd');
    try {
      const { page, context } = opened;
      // random() fixed at 1: every backoff delay is exactly its cap, 50 ms. A client that ignored
      // the offline signal would make a dozen attempts in the 700 ms window below.
      await page.evaluate((url) => window.hfStart(url, { backoff: { initialDelay: 50, maxDelay: 50 } }, { fixedRandom: true, browser: true }), served.url);
      await waitInPage(page, () => window.hf.socket.state === 'open');
      let serverSaw = 0;
      served.server.on('connection', () => serverSaw++);

      await context.setOffline(true);
      assert.equal(await page.evaluate(() => navigator.onLine), false);
      served.server.faults.drop();
      await waitInPage(page, () => window.hf.socket.state === 'reconnecting');
      const attemptsBefore = await page.evaluate(() => window.hf.socket.stats().attempts);
      await new Promise((r) => setTimeout(r, 700));
      const attemptsAfter = await page.evaluate(() => window.hf.socket.stats().attempts);
      assert.equal(attemptsAfter - attemptsBefore, 0, 'no attempt may be made while offline');
      assert.equal(await page.evaluate(() => window.hf.socket.state), 'reconnecting');

      await context.setOffline(false);
      await waitInPage(page, () => window.hf.socket.state === 'open', undefined, 5000);
      assert.equal(serverSaw, 1);
    } finally {
      await opened.context.close();
      await served.server.close();
    }
  });
});
