// The demo chat served by the reference server (`npm start`), driven in two Chromium pages:
// they chat through the server, and the "Drop link" button makes both reconnect by themselves.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, root, startServer } from './harness.mjs';

let browser;
let served;
before(async () => {
  browser = await launchBrowser();
  served = await startServer(0, { demo: true });
});
after(async () => {
  await browser?.close();
  await served?.server.close();
});

async function openDemo(name) {
  const context = await browser.newContext({ viewport: { width: 720, height: 540 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${served.httpUrl}/`);
  await page.waitForSelector('#state[data-state="open"]', { timeout: 10_000 });
  await page.fill('#name', name);
  return { context, page, errors };
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}

it('two pages chat through the demo, survive "Drop link", and a screenshot is taken', async () => {
  const alice = await openDemo('alice');
  const bob = await openDemo('bob');
  try {
    await say(alice.page, 'hello bob');
    await bob.page.waitForSelector('#log li:has-text("alice: hello bob")', { timeout: 10_000 });
    await say(bob.page, 'hi alice');
    await alice.page.waitForSelector('#log li:has-text("bob: hi alice")', { timeout: 10_000 });

    const before = served.server.connections.size;
    assert.equal(before, 2);
    let reconnections = 0;
    served.server.on('connection', () => reconnections++);
    await alice.page.click('#drop');
    await alice.page.waitForSelector('#log li:has-text("reconnecting")', { timeout: 10_000 });
    await alice.page.waitForSelector('#state[data-state="open"]', { timeout: 10_000 });
    await bob.page.waitForSelector('#state[data-state="open"]', { timeout: 10_000 });
    const deadline = Date.now() + 10_000;
    while (reconnections < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(reconnections, 2, 'both pages reconnect by themselves');

    await say(alice.page, 'still here?');
    await bob.page.waitForSelector('#log li:has-text("alice: still here?")', { timeout: 10_000 });
    await alice.page.waitForFunction(() => /\d+ ms/.test(document.querySelector('#rtt').textContent), undefined, { timeout: 10_000 });

    const dir = join(root, 'test-results');
    mkdirSync(dir, { recursive: true });
    await alice.page.screenshot({ path: join(dir, 'demo-chat.png') });
    assert.deepEqual([...alice.errors, ...bob.errors], []);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});
