// shared() in real Chromium: several pages of one browser context (one origin, so one set of Web
// Locks and BroadcastChannels) against the reference server, which counts the physical links.
// Prints the takeover times it measures: from the moment the leader goes (page closed, or page
// frozen) to the moment the server accepts the new leader's connection.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rawChromium, startServer, until, useBrowser, waitInPage } from './harness.mjs';

const env = useBrowser();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A browser context with `count` pages, each running one shared() socket to `url`, all open. */
async function openTabs(url, count) {
  const context = await env.browser.newContext();
  const pages = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (error) => page.errors.push(error));
    await page.goto(`${env.statics.url}/fixtures/shared.html`);
    await waitInPage(page, () => window.ready === true);
    await page.evaluate((u) => window.hfShared(u), url);
    pages.push(page);
  }
  for (const page of pages) await waitInPage(page, () => window.hf.socket.state === 'open');
  return { context, pages };
}

const leaderOf = async (pages) => {
  const flags = await Promise.all(pages.map((p) => p.evaluate(() => window.hf.socket.leader)));
  return flags.filter(Boolean).length === 1 ? pages[flags.indexOf(true)] : undefined;
};

/** Records the server's text messages and its connections, with their times. */
function watch(server) {
  const seen = { messages: [], connections: [], closes: [], pings: 0 };
  const offs = [
    server.on('message', (data, isBinary) => {
      const text = String(data);
      if (isBinary) return;
      if (text.startsWith('{"type":"ping"')) seen.pings++;
      else seen.messages.push(text);
    }),
    server.on('connection', () => seen.connections.push(Date.now())),
    server.on('close', () => seen.closes.push(Date.now())),
  ];
  seen.stop = () => offs.forEach((off) => off());
  return seen;
}

const figures = [];
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

describe('shared() in Chromium', () => {
  let served;
  before(async () => {
    served = await startServer();
  });
  after(async () => {
    await served?.server.close();
    if (figures.length) {
      console.log('# shared() takeover times in Chromium (ms, leader gone -> server accepts the new link):');
      for (const { what, ms } of figures) console.log(`#   ${what}: ${ms.join(', ')} (median ${median(ms)})`);
    }
  });

  it('three tabs share one server connection; each tab\'s messages arrive once and in order; echoes and broadcasts reach each tab once', async () => {
    const seen = watch(served.server);
    const { context, pages } = await openTabs(served.url, 3);
    try {
      assert.equal(served.server.connections.size, 1);
      assert.equal(seen.connections.length, 1);
      assert.ok(await leaderOf(pages), 'exactly one page leads');
      // Interleaved sends from the three tabs.
      for (let i = 1; i <= 5; i++) {
        await Promise.all(pages.map((page, t) => page.evaluate(([tab, n]) => window.hf.socket.send(`t${tab}-${n}`), [t, i])));
      }
      await until(() => seen.messages.length >= 15, '15 messages at the server');
      await sleep(300); // let any duplicate show up
      assert.equal(seen.messages.length, 15);
      for (let t = 0; t < 3; t++) assert.deepEqual(seen.messages.filter((m) => m.startsWith(`t${t}-`)), [1, 2, 3, 4, 5].map((n) => `t${t}-${n}`));
      // The server echoes each message on the one link: every tab receives all 15, once each.
      for (const page of pages) await waitInPage(page, () => window.hf.rec.messages.length >= 15);
      served.server.broadcast('to everyone');
      for (const page of pages) await waitInPage(page, () => window.hf.rec.messages.includes('to everyone'));
      await sleep(200);
      for (const page of pages) {
        const messages = await page.evaluate(() => window.hf.rec.messages);
        assert.equal(messages.length, 16);
        assert.deepEqual([...messages].slice(0, 15).sort(), [...seen.messages].sort());
        for (let t = 0; t < 3; t++) assert.deepEqual(messages.filter((m) => m.startsWith(`t${t}-`)), [1, 2, 3, 4, 5].map((n) => `t${t}-${n}`));
        assert.equal(messages[15], 'to everyone');
      }
      // Requests from every tab at once (the same rpc ids in each tab) are each answered to their own tab.
      const answers = await Promise.all(pages.map((page, t) => page.evaluate((tab) => Promise.all([1, 2, 3].map((n) => window.hf.socket.request('echo', { tab, n }))), t)));
      answers.forEach((list, t) => assert.deepEqual(list, [1, 2, 3].map((n) => ({ tab: t, n }))));
      for (const page of pages) {
        assert.deepEqual(await page.evaluate(() => window.hf.rec.errors), []);
        assert.deepEqual(page.errors, []);
      }
      // The heartbeat runs once, on the real link: over 3.5 s at a 1 s interval the server sees
      // the leader's pings only (three tabs pinging would be about ten).
      const pingsBefore = seen.pings;
      await sleep(3500);
      assert.ok(seen.pings - pingsBefore <= 4, `${seen.pings - pingsBefore} pings in 3.5 s`);
      assert.ok(seen.pings - pingsBefore >= 2, 'the leader keeps its heartbeat');
      for (const page of pages) assert.equal(await page.evaluate(() => window.hf.socket.state), 'open');
      assert.equal(served.server.connections.size, 1);
    } finally {
      seen.stop();
      await context.close();
    }
    await until(() => served.server.connections.size === 0, 'the link to close once every tab is gone');
  });

  it('the leader page closed: a follower leads, the server sees one new connection, and queued messages are delivered', async () => {
    const { context, pages } = await openTabs(served.url, 4);
    const times = [];
    try {
      let live = pages;
      for (let round = 0; round < 3; round++) {
        const seen = watch(served.server);
        const leader = await leaderOf(live);
        assert.ok(leader);
        live = live.filter((p) => p !== leader);
        const gone = Date.now();
        await leader.close();
        await until(() => seen.connections.length >= 1, 'the new leader\'s connection');
        times.push(seen.connections[0] - gone);
        // Each follower queues while its socket reconnects; what it queued goes out once it is open again.
        const queued = await Promise.all(live.map((page, t) => page.evaluate(([r, tab]) => (window.hf.socket.state === 'open' ? 'open' : window.hf.socket.send(`r${r}-t${tab}`)), [round, t])));
        for (const page of live) await waitInPage(page, () => window.hf.socket.state === 'open');
        const expected = live.map((_, t) => `r${round}-t${t}`).filter((_, t) => queued[t] === 'queued');
        await until(() => expected.every((m) => seen.messages.includes(m)), 'the queued messages at the server');
        await sleep(300);
        seen.stop();
        assert.equal(seen.connections.length, 1, 'one new connection');
        assert.equal(served.server.connections.size, 1);
        assert.ok(await leaderOf(live), 'a follower leads');
        assert.deepEqual(seen.messages.filter((m) => m.startsWith(`r${round}-`)).sort(), expected.sort());
      }
      figures.push({ what: 'leader page closed', ms: times });
    } finally {
      await context.close();
    }
    await until(() => served.server.connections.size === 0, 'the link to close');
  });

  // Playwright's own session keeps its pages from freezing (Page.setWebLifecycleState is accepted
  // but nothing freezes), so this test drives Debian's Chromium over a bare DevTools connection.
  it('a frozen leader is taken over; it steps down and closes its old link on hearing the new one, and rejoins when it thaws', async () => {
    const cdp = await rawChromium();
    const times = [];
    try {
      const seen = watch(served.server);
      const pages = [];
      for (let i = 0; i < 3; i++) pages.push(await cdp.open(`${env.statics.url}/fixtures/shared.html`));
      for (const page of pages) {
        await cdp.until(page, 'window.ready === true');
        await cdp.eval(page, `window.hfShared(${JSON.stringify(served.url)})`);
      }
      for (const page of pages) await cdp.until(page, "window.hf.socket.state === 'open'");
      assert.equal(seen.connections.length, 1);
      const flags = [];
      for (const page of pages) flags.push(await cdp.eval(page, 'window.hf.socket.leader'));
      assert.equal(flags.filter(Boolean).length, 1);
      const leader = pages[flags.indexOf(true)];
      const followers = pages.filter((p) => p !== leader);
      const frozenAt = Date.now();
      await cdp.send('Page.setWebLifecycleState', { state: 'frozen' }, leader);
      await until(() => seen.connections.length >= 2, 'a follower to take over', 15_000);
      times.push(seen.connections[1] - frozenAt);
      for (const page of followers) await cdp.until(page, "window.hf.socket.state === 'open'");
      const leads = [];
      for (const page of followers) leads.push(await cdp.eval(page, 'window.hf.socket.leader'));
      assert.equal(leads.filter(Boolean).length, 1, 'one follower leads');
      // A frozen page runs no timers but still gets its channel messages: the old leader hears of
      // the new link and steps down, closing its old link while still frozen.
      await until(() => served.server.connections.size === 1, 'the frozen leader to close its old link');
      await cdp.eval(followers[0], "window.hf.socket.send('while frozen')");
      await until(() => seen.messages.includes('while frozen'), 'a message through the new leader');
      await cdp.send('Page.setWebLifecycleState', { state: 'active' }, leader);
      await cdp.until(leader, "window.hf.socket.leader === false && window.hf.socket.state === 'open'");
      await cdp.eval(leader, "window.hf.socket.send('thawed')");
      await until(() => seen.messages.includes('thawed'), 'the thawed page to send through the new leader');
      await sleep(300);
      assert.equal(served.server.connections.size, 1);
      assert.equal(seen.connections.length, 2);
      assert.equal(seen.messages.filter((m) => m === 'while frozen' || m === 'thawed').length, 2);
      seen.stop();
      figures.push({ what: 'leader page frozen (detected by the channel watchdog)', ms: times });
    } finally {
      await cdp.close();
    }
    await until(() => served.server.connections.size === 0, 'the link to close');
  });
});
