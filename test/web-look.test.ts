// How the page looks and tells the user things: light and dark follow the
// system (screenshots of both are taken on every run; ROOM_WEB_SCREENSHOTS=1
// writes them to docs/ for the README), it is usable at phone width, and
// while the tab is hidden mentions and DMs count in the title and raise a
// desktop notification.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { ROOT, RoomDir } from './helpers.ts';
import { launchBrowser, openPage, startWeb, waitForText, waitLive } from './web-helpers.ts';

let browser: Browser;
let closeBrowser: () => Promise<void>;
before(async () => {
  ({ browser, close: closeBrowser } = await launchBrowser());
});
after(() => closeBrowser());

async function busyRoom(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const bob = await dir.join('r', 'bob');
  const agent = await dir.join('r', 'claude-parser');
  await dir.join('r', 'alice'); // the page reuses alice's token record
  const say = (token: string, ...args: string[]) => dir.run(['send', 'r', ...args], { env: { ROOM_TOKEN: token } });
  await say(agent, 'intent: fix CRLF handling in `src/parser.ts`');
  await say(agent, '/claim src/parser.ts');
  await say(agent, '/set_status editing src/parser.ts');
  const question = JSON.parse(
    (await say(bob, 'Does the fix keep **lone CR** as a line break? @alice may know')).stdout,
  );
  await say(agent, '/reply', question.id.slice(0, 8), 'Yes:\n```ts\nconst lines = text.split(/\\r\\n|\\r|\\n/);\n```');
  await say(bob, '--to', 'alice', 'can you review it after lunch?');
  await say(agent, 'handoff: parser fixed and tested, see https://example.com/pr/42');
  return { dir, bob, agent };
}

async function shot(page: Page, name: string, folder: string): Promise<string> {
  const path = join(folder, `${name}.png`);
  await page.screenshot({ path });
  assert.ok(statSync(path).size > 5000, `${name} screenshot has content`);
  return path;
}

test('light and dark follow the system; screenshots of both', async (t) => {
  const { dir } = await busyRoom(t);
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await waitForText(page, 'handoff');
  await page.waitForFunction(`document.querySelector('#online').textContent.includes('alice')`);
  const folder =
    process.env.ROOM_WEB_SCREENSHOTS === '1' ? join(ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'room-shots-'));
  if (process.env.ROOM_WEB_SCREENSHOTS !== '1') t.after(() => rmSync(folder, { recursive: true, force: true }));
  const background = () => page.evaluate(`getComputedStyle(document.body).backgroundColor`);
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  assert.equal(await background(), 'rgb(255, 255, 255)');
  await shot(page, 'web-light', folder);
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  assert.equal(await background(), 'rgb(13, 17, 23)');
  await shot(page, 'web-dark', folder);
  await page.setViewport({ width: 390, height: 760, isMobile: true, hasTouch: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await waitLive(page);
  await waitForText(page, 'handoff');
  await page.waitForFunction(`document.querySelector('#online-count').textContent === '1'`);
  await shot(page, 'web-phone', folder);
});

test('at phone width nothing overflows sideways; who is here opens from a button', async (t) => {
  const { dir } = await busyRoom(t);
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  // Live first: a mobile viewport reloads the page, and a reload before the page has kept its token
  // (sessionStorage) would find the one-time secret already used.
  await waitLive(page);
  await page.setViewport({ width: 360, height: 700, isMobile: true, hasTouch: true });
  await waitLive(page);
  await waitForText(page, 'handoff');
  const layout = (await page.evaluate(`({
    scrollWidth: document.documentElement.scrollWidth,
    input: document.querySelector('#input').getBoundingClientRect().width,
    members: getComputedStyle(document.querySelector('#members')).display,
  })`)) as { scrollWidth: number; input: number; members: string };
  assert.ok(layout.scrollWidth <= 360, `no sideways scroll (${layout.scrollWidth})`);
  assert.ok(layout.input > 200, 'the composer keeps its width');
  assert.equal(layout.members, 'none');
  await page.click('#members-toggle');
  assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('#members')).display`), 'block');
});

test('while the tab is hidden, mentions and DMs count in the title and notify; showing it resets', async (t) => {
  const dir = RoomDir.create(t);
  const bob = await dir.join('r', 'bob');
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await page.browserContext().overridePermissions(web.origin, ['notifications']);
  await waitLive(page);
  await page.evaluate(`window.__notes = [];
    window.Notification = class { static permission = 'granted'; constructor(title, options) { window.__notes.push([title, options.body]); } close() {} };
    window.__hidden = true;
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden });
    document.dispatchEvent(new Event('visibilitychange')); undefined`);
  const say = (...args: string[]) => dir.run(['send', 'r', ...args], { env: { ROOM_TOKEN: bob } });
  await say('nothing for alice here');
  await say('@alice can you look?');
  await say('--to', 'alice', 'psst');
  await waitForText(page, 'psst');
  assert.equal(await page.title(), '(2) r · room');
  assert.deepEqual(await page.evaluate('window.__notes'), [
    ['bob in r · room', '@alice can you look?'],
    ['bob in r · room', 'psst'],
  ]);
  await page.evaluate(`window.__hidden = false; document.dispatchEvent(new Event('visibilitychange')); undefined`);
  assert.equal(await page.title(), 'r · room');
  const marked = await page.evaluate(
    `[...document.querySelectorAll('#log li.mention .body')].map((n) => n.textContent.trim())`,
  );
  assert.deepEqual(marked, ['@alice can you look?', 'psst']);
});
