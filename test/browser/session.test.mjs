// session() with browserStorage() in Chromium: messages still unacknowledged when the page
// reloads arrive exactly once after the reload, and what the server sent meanwhile is replayed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, useBrowser, waitInPage } from './harness.mjs';

const env = useBrowser();

/** Starts a session socket in the page (the ESM fixture), recording messages and session events. */
const start = (page, url) =>
  page.evaluate((u) => {
    const lib = window.lib;
    window.got = [];
    window.events = [];
    window.errors = [];
    window.s = lib.connect(u, { heartbeat: false, backoff: { initialDelay: 20 }, use: [lib.session({ storage: lib.browserStorage() })] });
    window.s.on('message', (d) => window.got.push(d));
    window.s.on('error', (e) => window.errors.push(e.code));
    window.s.onSession((e) => window.events.push(e));
  }, url);

describe('session() across a page reload in Chromium', () => {
  it('delivers each unacknowledged message exactly once after the reload, in order, and replays the server side', async () => {
    // The server never acknowledges within the test (its ack batch is never due), so everything
    // the page sends stays in its outbox until the reload.
    const served = await startServer(0, { echo: false, sessions: { ackEvery: 10_000, ackDelay: 600_000 } });
    const atServer = [];
    served.server.on('message', (data, isBinary) => !isBinary && atServer.push(String(data)));
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      const pageErrors = [];
      page.on('pageerror', (error) => pageErrors.push(error));
      await page.goto(`${env.statics.url}/fixtures/esm.html`);
      await waitInPage(page, () => window.ready === true);
      await page.evaluate(() => localStorage.clear());
      await start(page, served.url);
      const [first] = await waitInPage(page, () => window.events.length === 1 && window.events);
      assert.equal(first.resumed, false);
      assert.equal(first.reason, 'new');
      await page.evaluate(() => ['m1', 'm2', 'm3'].forEach((m) => window.s.send(m)));
      await waitFor(() => atServer.length === 3);
      // Now the server stops reading: m4..m6 are on the wire but never processed on this link.
      served.server.faults.freeze();
      await page.evaluate(() => ['m4', 'm5', 'm6'].forEach((m) => window.s.send(m)));
      assert.equal(await page.evaluate(() => window.s.session.outbox.length), 6);
      served.server.sessions.send(first.id, 's1'); // written to the frozen link: the page gets it or not
      await page.reload();
      await waitInPage(page, () => window.ready === true);
      served.server.sessions.send(first.id, 's2'); // while the page is away: replayed
      await start(page, served.url);
      const events = await waitInPage(page, () => window.events.length === 1 && window.events);
      assert.deepEqual({ resumed: events[0].resumed, resent: events[0].resent }, { resumed: true, resent: 3 });
      assert.equal(events[0].id, first.id);
      await waitFor(() => atServer.length >= 6);
      await new Promise((resolve) => setTimeout(resolve, 100)); // room for a duplicate to show up
      assert.deepEqual(atServer, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
      const got = await waitInPage(page, () => window.got.includes('s2') && window.got);
      assert.ok(got.at(-1) === 's2' && got.filter((m) => m === 's2').length === 1, `got ${JSON.stringify(got)}`);
      assert.deepEqual(await page.evaluate(() => window.errors), []);
      assert.deepEqual(pageErrors, []);
      await page.evaluate(() => window.s.close());
    } finally {
      await context.close();
      await served.server.close();
    }
  });

  it('corrupt storage content: a STORAGE error and a fresh session, no crash', async () => {
    const served = await startServer(0);
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${env.statics.url}/fixtures/esm.html`);
      await waitInPage(page, () => window.ready === true);
      await page.evaluate(() => localStorage.setItem('holdfast-session', '{"v":1,"broken'));
      await start(page, served.url);
      const events = await waitInPage(page, () => window.events.length === 1 && window.events);
      assert.equal(events[0].reason, 'new');
      assert.deepEqual(await page.evaluate(() => window.errors), ['STORAGE']);
      await page.evaluate(() => window.s.close());
    } finally {
      await context.close();
      await served.server.close();
    }
  });
});

async function waitFor(condition, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
