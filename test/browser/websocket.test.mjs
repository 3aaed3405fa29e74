// The drop-in HoldfastWebSocket in Debian's Chromium, over the browser's own WebSocket, against
// the built reference server on loopback: the platform's Event, MessageEvent and CloseEvent,
// readyState across a server restart, and the script-tag and ES module builds alike.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, useBrowser, waitInPage } from './harness.mjs';

const env = useBrowser();
const { openFixture } = env;

const events = (page) => page.evaluate(() => window.drop.rec.events);

for (const kind of ['umd', 'esm']) {
  describe(`HoldfastWebSocket, ${kind} build, in Chromium`, () => {
    let opened;
    before(async () => {
      opened = await openFixture(kind);
    });
    after(async () => {
      await opened?.context.close();
    });

    it('speaks the WebSocket interface: open, MessageEvents (Blob by default, ArrayBuffer on request), a clean close', async () => {
      const { page, pageErrors } = opened;
      const served = await startServer();
      try {
        await page.evaluate((url) => window.hfDrop(url), served.url);
        await waitInPage(page, () => window.drop.ws.readyState === WebSocket.OPEN);
        const constants = await page.evaluate(() => {
          const C = window.lib.HoldfastWebSocket;
          return [C.CONNECTING, C.OPEN, C.CLOSING, C.CLOSED, window.drop.ws.OPEN, window.drop.ws instanceof EventTarget];
        });
        assert.deepEqual(constants, [0, 1, 2, 3, 1, true]);
        await page.evaluate(() => {
          window.drop.ws.send('hello');
          window.drop.ws.send(new Uint8Array([1, 2, 3]));
        });
        await waitInPage(page, () => window.drop.rec.events.filter((e) => e.type === 'message').length === 2);
        await page.evaluate(() => {
          window.drop.ws.binaryType = 'arraybuffer';
          window.drop.ws.send(new Uint8Array([4, 5]));
        });
        await waitInPage(page, () => window.drop.rec.events.filter((e) => e.type === 'message').length === 3);
        await page.evaluate(() => window.drop.ws.close(1000, 'done'));
        await waitInPage(page, () => window.drop.rec.events.some((e) => e.type === 'close'));
        assert.deepEqual(await events(page), [
          { type: 'open', readyState: 1, target: true },
          { type: 'message', readyState: 1, target: true, messageEvent: true, kind: 'text', text: 'hello' },
          { type: 'message', readyState: 1, target: true, messageEvent: true, kind: 'blob' },
          { type: 'message', readyState: 1, target: true, messageEvent: true, kind: 'arraybuffer', bytes: [4, 5] },
          // The reason is the server's, from its answering close frame: the reference server echoes the client's.
          { type: 'close', readyState: 3, target: true, closeEvent: true, code: 1000, reason: 'done', wasClean: true },
        ]);
        assert.deepEqual(pageErrors, []);
      } finally {
        await served.server.close();
      }
    });

    it("reconnect 'always': close for a restart, open again on the same object, and what was sent while down arrives", async () => {
      const { page, pageErrors } = opened;
      const first = await startServer();
      let second;
      try {
        await page.evaluate((url) => window.hfDrop(url), first.url);
        await waitInPage(page, () => window.drop.ws.readyState === WebSocket.OPEN);
        await first.server.close();
        await waitInPage(page, () => window.drop.rec.events.some((e) => e.type === 'close'));
        await page.evaluate(() => window.drop.ws.send('sent while down'));
        second = await startServer(first.port);
        await waitInPage(page, () => window.drop.rec.events.some((e) => e.type === 'message'));
        const seen = (await events(page)).filter((e) => e.type !== 'error');
        assert.deepEqual(seen[0], { type: 'open', readyState: 1, target: true });
        assert.deepEqual(seen[1], { type: 'close', readyState: 3, target: true, closeEvent: true, code: 1001, reason: 'server shutting down', wasClean: true });
        // Failed attempts while the port was closed: close 1006 each (after an error), then open.
        const rest = seen.slice(2);
        assert.ok(rest.slice(0, -2).every((e) => e.type === 'close' && e.code === 1006 && e.readyState === 3), JSON.stringify(rest));
        assert.deepEqual(rest.at(-2), { type: 'open', readyState: 1, target: true });
        assert.deepEqual(rest.at(-1), { type: 'message', readyState: 1, target: true, messageEvent: true, kind: 'text', text: 'sent while down' });
        assert.deepEqual(pageErrors, []);
      } finally {
        await page.evaluate(() => window.drop.ws.close());
        await second?.server.close();
      }
    });

    it("reconnect 'until-open' (through HoldfastWebSocket.with): the first close is final", async () => {
      const { page, pageErrors } = opened;
      const served = await startServer();
      try {
        await page.evaluate((url) => {
          const Impl = window.lib.HoldfastWebSocket.with({ reconnect: 'until-open' });
          window.hfDrop(url);
          window.drop.ws.close();
          const ws = new Impl(url);
          window.once = { ws, events: [] };
          for (const type of ['open', 'close']) ws.addEventListener(type, (e) => window.once.events.push([type, ws.readyState]));
        }, served.url);
        await waitInPage(page, () => window.once.ws.readyState === WebSocket.OPEN);
        await served.server.close();
        await waitInPage(page, () => window.once.ws.readyState === WebSocket.CLOSED);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(await page.evaluate(() => [window.once.events, window.once.ws.socket.state]), [[['open', 1], ['close', 3]], 'closed']);
        assert.deepEqual(pageErrors, []);
      } finally {
        await served.server.close();
      }
    });
  });
}
