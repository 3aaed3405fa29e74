// The demo page served by the reference server (`npm start`), driven in Chromium: two pages chat
// through the server, and each fault control ("Drop link", "Stop server", "Freeze link") shows on
// the page as the client sees it. Screenshots at 360 px and 1280 px go to test-results/.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, root, startServer, waitInPage } from './harness.mjs';

const shots = join(root, 'test-results');
let browser;
let served;
before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
  served = await startServer(0, { demo: true });
});
after(async () => {
  await browser?.close();
  await served?.server.close();
});

async function openDemo(name, width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: width < 600 ? 780 : 800 } });
  const page = await context.newPage();
  const errors = [];
  const failed = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => failed.push(`failed ${request.url()}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(`${served.httpUrl}/`)) failed.push(`external ${request.url()}`);
  });
  await page.goto(`${served.httpUrl}/`);
  await page.waitForSelector('#state[data-state="open"]', { timeout: 10_000 });
  await page.fill('#name', name);
  return { context, page, errors, failed };
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}

/** The visible rows of the timeline, newest first, as text. */
const timelineRows = (page) => page.$$eval('#timeline li', (rows) => rows.map((li) => li.textContent));

function done(...pages) {
  for (const p of pages) {
    assert.deepEqual(p.errors, [], 'no page errors');
    assert.deepEqual(p.failed, [], 'no failed or 4xx/5xx requests');
  }
}

it('two pages chat: my message is pending at once, delivered when the broadcast comes back', async () => {
  const alice = await openDemo('alice');
  const bob = await openDemo('bob');
  try {
    await say(alice.page, 'hello bob');
    // Shown at once, before any answer could have come back, then delivered.
    const mine = alice.page.locator('#log li.mine', { hasText: 'hello bob' });
    assert.equal(await mine.count(), 1);
    await alice.page.waitForSelector('#log li.mine[data-status="delivered"]:has-text("hello bob")', { timeout: 10_000 });
    await bob.page.waitForSelector('#log li:not(.mine):has-text("hello bob")', { timeout: 10_000 });
    assert.match(await bob.page.textContent('#log li:not(.mine)'), /^alice/);
    await say(bob.page, 'hi alice');
    await alice.page.waitForSelector('#log li:not(.mine):has-text("hi alice")', { timeout: 10_000 });
    // My own message comes back once, as the delivery mark, not as a second line.
    assert.equal(await alice.page.locator('#log li', { hasText: 'hello bob' }).count(), 1);
    done(alice, bob);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

it('looks right at 360 px and 1280 px: Send fully visible, an inline favicon, RTT sparkline, screenshots', async () => {
  for (const width of [360, 1280]) {
    const tab = await openDemo(`w${width}`, width);
    try {
      await say(tab.page, `hello from ${width} px`);
      await tab.page.waitForSelector('#log li[data-status="delivered"]', { timeout: 10_000 });
      // The sparkline is fed by heartbeat events (a ping every 2 s): one point per pong.
      await waitInPage(tab.page, () => document.querySelector('#spark polyline').getAttribute('points').split(' ').length >= 3, undefined, 15_000);
      assert.match(await tab.page.textContent('#rtt-range'), /^last [3-9] pongs: \d+–\d+ ms$/);
      assert.match(await tab.page.textContent('#rtt'), /^\d+ ms$/);

      const fits = await tab.page.evaluate(() => {
        const button = document.querySelector('#send');
        button.scrollIntoView({ block: 'center' });
        const r = button.getBoundingClientRect();
        const inside = r.left >= 0 && r.right <= document.documentElement.clientWidth && r.width > 0;
        // Near every corner (inside its rounded border) the button is what is hit: nothing clips or covers it.
        const corners = [[r.left + 3, r.top + 3], [r.right - 3, r.top + 3], [r.left + 3, r.bottom - 3], [r.right - 3, r.bottom - 3]];
        const visible = corners.every(([x, y]) => button.contains(document.elementFromPoint(x, y)));
        return { inside, visible, scrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth };
      });
      assert.deepEqual(fits, { inside: true, visible: true, scrolls: false }, `Send button at ${width} px`);
      const icon = await tab.page.getAttribute('link[rel="icon"]', 'href');
      assert.match(icon, /^data:image\/svg\+xml,/);
      for (const id of ['#drop', '#outage', '#freeze']) {
        assert.ok(await tab.page.isVisible(id), `${id} visible`);
      }
      assert.equal(await tab.page.getAttribute('#outage-seconds', 'id'), 'outage-seconds');
      assert.equal(await tab.page.locator('label[for="outage-seconds"]').count(), 1, 'the seconds field is labelled');
      // WCAG AA: every visible text of the page against its (first opaque) background, at least 4.5:1.
      const lowContrast = await tab.page.evaluate(() => {
        const rgb = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
        const lum = ([r, g, b]) => {
          const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const background = (node) => {
          for (let n = node; n; n = n.parentElement) {
            const c = rgb(getComputedStyle(n).backgroundColor);
            if (c.length === 3 || c[3] === 1) return c;
          }
          return [255, 255, 255];
        };
        const bad = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
          const node = t.parentElement;
          if (!t.textContent.trim() || !node.getClientRects().length || node.closest('script, style, .sr')) continue;
          const [a, b] = [lum(rgb(getComputedStyle(node).color)), lum(background(node))];
          const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          if (ratio < 4.5) bad.push(`${t.textContent.trim().slice(0, 30)}: ${ratio.toFixed(2)}`);
        }
        return bad;
      });
      assert.deepEqual(lowContrast, [], `text contrast at ${width} px`);
      await tab.page.evaluate(() => window.scrollTo(0, 0));
      await tab.page.screenshot({ path: join(shots, `demo-${width}.png`), fullPage: true });
      done(tab);
    } finally {
      await tab.context.close();
    }
  }
});

it('"Drop link" drops this tab only: its timeline shows 1006 and reconnecting, then open again', async () => {
  const alice = await openDemo('alice');
  const bob = await openDemo('bob');
  try {
    const bobRows = (await timelineRows(bob.page)).length;
    await alice.page.click('#drop');
    await alice.page.waitForSelector('#timeline li[data-to="reconnecting"]:has-text("close 1006")', { timeout: 10_000 });
    await alice.page.waitForSelector('#timeline li[data-to="open"]:nth-child(1)', { timeout: 10_000 });
    const rows = await timelineRows(alice.page);
    assert.match(rows.find((r) => r.includes('→ reconnecting')), /retry #1 in \d+\.\d s/);
    assert.match(await alice.page.textContent('#control-status'), /this tab/);
    assert.equal(await alice.page.textContent('#c-reconnects'), '1');
    // Bob's link was not touched.
    assert.equal((await timelineRows(bob.page)).length, bobRows);
    assert.equal(await bob.page.textContent('#c-reconnects'), '0');
    done(alice, bob);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

it('"Stop server": the queue fills while the server is down, drains to 0, and the pending messages are delivered', async () => {
  const tab = await openDemo('carol', 360);
  try {
    await tab.page.fill('#outage-seconds', '3');
    await tab.page.click('#outage');
    await tab.page.waitForSelector('#state:not([data-state="open"])', { timeout: 5_000 });
    await say(tab.page, 'sent while down 1');
    await say(tab.page, 'sent while down 2');
    assert.equal(await tab.page.textContent('#queue'), '2');
    assert.equal(await tab.page.locator('#log li[data-status="queued"]').count(), 2);
    // A failed attempt is one row, with its error, close code and the next delay.
    await tab.page.waitForSelector('#timeline li:has-text("attempt failed")', { timeout: 10_000 });
    const failed = (await timelineRows(tab.page)).find((r) => r.includes('attempt failed'));
    assert.match(failed, /error CONNECT/);
    assert.match(failed, /close 1006/);
    assert.match(failed, /retry #\d+ in \d+\.\d s/);
    await tab.page.screenshot({ path: join(shots, 'demo-360-outage.png'), fullPage: true });
    await tab.page.waitForSelector('#state[data-state="open"]', { timeout: 15_000 });
    assert.equal(await tab.page.textContent('#queue'), '0');
    await waitInPage(tab.page, () => document.querySelectorAll('#log li[data-status="delivered"]').length === 2, undefined, 10_000);
    assert.match(await tab.page.textContent('#control-status'), /every tab/);
    // In order, as they were written.
    const delivered = await tab.page.$$eval('#log li[data-status="delivered"] .text', (els) => els.map((e) => e.textContent));
    assert.deepEqual(delivered, ['sent while down 1', 'sent while down 2']);
    done(tab);
  } finally {
    await tab.context.close();
  }
});

it('"Freeze link": the heartbeat notices the half-open link (close 4000) and the link comes back', async () => {
  const tab = await openDemo('dave');
  try {
    // The client tears a silent link down only once the server has answered a ping.
    await tab.page.waitForFunction(() => /\d+ ms/.test(document.querySelector('#rtt').textContent), undefined, { timeout: 10_000 });
    const opened = await tab.page.textContent('#c-connects');
    await tab.page.click('#freeze');
    await tab.page.waitForSelector('#timeline li[data-to="reconnecting"]:has-text("heartbeat timeout")', { timeout: 10_000 });
    const rows = await timelineRows(tab.page);
    // The click is in the timeline too, before (below) the timeout it caused.
    const clicked = rows.findIndex((r) => r.includes('you: Freeze link'));
    assert.ok(clicked > rows.findIndex((r) => r.includes('heartbeat timeout')), 'the freeze shows before the timeout');
    assert.match(rows.find((r) => r.includes('heartbeat timeout') && r.includes('→ reconnecting')), /close 4000/);
    await tab.page.waitForSelector('#timeline li[data-to="open"]:nth-child(1)', { timeout: 10_000 });
    assert.equal(await tab.page.textContent('#c-connects'), String(Number(opened) + 1));
    await say(tab.page, 'back again');
    await tab.page.waitForSelector('#log li[data-status="delivered"]:has-text("back again")', { timeout: 10_000 });
    await tab.page.screenshot({ path: join(shots, 'demo-1280-freeze.png'), fullPage: true });
    done(tab);
  } finally {
    await tab.context.close();
  }
});
