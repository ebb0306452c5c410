// The page of `room web` in a real browser (headless Chromium): history,
// sending and the echo, receiving from `room send`, DMs between others,
// replies with their quote, the palette and @ completion, search, and what a
// reload or a second use of the address does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { http, RoomDir, waitUntil } from './helpers.ts';
import { bodies, launchBrowser, openPage, startWeb, waitForText, waitLive } from './web-helpers.ts';

let browser: Browser;
let closeBrowser: () => Promise<void>;
before(async () => {
  ({ browser, close: closeBrowser } = await launchBrowser());
});
after(() => closeBrowser());

/** bob hosts the room (he joined first); alice opens the page. */
async function room(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const bob = await dir.join('r', 'bob');
  const carol = await dir.join('r', 'carol');
  const send = async (token: string, ...args: string[]) => {
    const result = await dir.run(['send', 'r', ...args], { env: { ROOM_TOKEN: token } });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { id: string; ts: string; seq: number };
  };
  return { dir, bob, carol, send };
}

test('the page shows the history, sends with Enter and shows the echo once, and receives room send', async (t) => {
  const { dir, bob, carol, send } = await room(t);
  await send(bob, 'before the page opened');
  await send(bob, '--to', 'carol', 'a secret between bob and carol');
  await send(carol, '--to', 'bob', 'a secret answer');
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await waitForText(page, 'before the page opened');
  assert.equal(await page.title(), 'r · room');
  // Times are 24-hour HH:MM, as in the terminal UI, whatever the browser's locale.
  const times = await page.$$eval('time', (nodes) => nodes.map((n) => n.textContent));
  assert.ok(times.length > 0 && times.every((time) => /^\d{2}:\d{2}$/.test(time ?? '')), times.join(', '));
  // The fragment (the secret) is gone from the address bar at once.
  assert.equal(page.url(), `${web.origin}/`);

  await page.type('#input', 'hello from the browser');
  await page.keyboard.press('Enter');
  await waitForText(page, 'hello from the browser');
  assert.equal(await page.$eval('#input', (n) => (n as unknown as { value: string }).value), '');

  // Shift+Enter makes a new line in the same message.
  await page.type('#input', 'line one');
  await page.keyboard.down('Shift');
  await page.keyboard.press('Enter');
  await page.keyboard.up('Shift');
  await page.type('#input', 'line two');
  await page.keyboard.press('Enter');
  await waitForText(page, 'line two');

  // A message from room send: measured from the broker's timestamp to the page's DOM.
  await page.evaluate(`window.__seen = new Promise((resolve) => {
    new MutationObserver((_, observer) => {
      if (document.querySelector('#log').textContent.includes('sent by room send')) { observer.disconnect(); resolve(Date.now()); }
    }).observe(document.querySelector('#log'), { childList: true, subtree: true });
  }); undefined`);
  const sent = await send(bob, 'sent by room send');
  const seenAt = (await page.evaluate('window.__seen')) as number;
  t.diagnostic(`room send → page: ${seenAt - Date.parse(sent.ts)} ms from the broker's timestamp to the DOM`);

  const shown = await bodies(page);
  assert.equal(shown.filter((b) => b.includes('hello from the browser')).length, 1);
  assert.equal(shown.filter((b) => b.includes('sent by room send')).length, 1);
  assert.ok(
    shown.some((b) => b.includes('line one\nline two') || b.includes('line one line two')),
    shown.join('|'),
  );
  assert.ok(!shown.some((b) => b.includes('secret')), 'a DM between others is not shown');
  const poll = await dir.run(['poll', 'r'], { env: { ROOM_TOKEN: carol } });
  assert.match(poll.stdout, /hello from the browser/);
});

test('replies show the quoted message; DMs to you are marked; system notices and private answers show', async (t) => {
  const { dir, bob, send } = await room(t);
  const question = await send(bob, 'what is the plan?');
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await waitForText(page, 'what is the plan?');
  await page.evaluate(`document.querySelector('li[data-id="${question.id}"] button.act').click()`);
  assert.equal(
    await page.$eval('#input', (n) => (n as unknown as { value: string }).value),
    `/reply ${question.id.slice(0, 8)} `,
  );
  await page.type('#input', 'ship it');
  await page.keyboard.press('Enter');
  await waitForText(page, 'ship it');
  const quote = await page.evaluate(
    `[...document.querySelectorAll('#log li.reply')].map((li) => li.querySelector('.quote').textContent)`,
  );
  assert.deepEqual(quote, ['bob what is the plan?']);

  await send(bob, '--to', 'alice', 'just for you');
  await waitForText(page, 'just for you');
  const tag = await page.evaluate(`[...document.querySelectorAll('#log li.dm .tag')].map((n) => n.textContent)`);
  assert.deepEqual(tag, ['DM to you']);

  await page.type('#input', '/set_status reviewing');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    `[...document.querySelectorAll('#log li.system .body')].some((n) => n.textContent.includes('reviewing'))`,
  );
  await page.waitForFunction(`document.querySelector('#online').textContent.includes('reviewing')`);
  // Claims show beside their holder; a follower is listed as listening.
  await send(bob, '/claim', 'src/parser.ts');
  await page.waitForFunction(`document.querySelector('#members').textContent.includes('holds src/parser.ts')`);
  const follower = dir.spawn(['follow', 'r'], { env: { ROOM_TOKEN: bob } });
  t.after(() => follower.kill());
  await waitUntil(async () => {
    const users = await http(dir.socket('r'), 'GET', '/users', { token: bob });
    return users.json<{ listening?: Array<{ user: string }> }>().listening?.some((u) => u.user === 'bob') === true;
  });
  await send(bob, 'following now');
  await page.waitForFunction(`!document.querySelector('#listening').hidden`);
  assert.match(String(await page.evaluate(`document.querySelector('#listening').textContent`)), /bob/);
  await page.type('#input', '/who');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#log li.notice.private');
});

test('the / palette lists the commands and @ completes the members', async (t) => {
  const { dir, bob, send } = await room(t);
  await send(bob, 'hi');
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await page.type('#input', '/');
  await page.waitForSelector('#palette:not([hidden]) li');
  const all = (await page.evaluate(
    `[...document.querySelectorAll('#palette .usage')].map((n) => n.textContent)`,
  )) as string[];
  assert.ok(all.includes('/who') && all.includes('/dm <user> <message…>'), all.join(','));
  assert.ok(!all.includes('/kick <user>'), 'host-only commands are not offered to others');
  await page.type('#input', 'se');
  const some = await page.evaluate(`[...document.querySelectorAll('#palette .usage')].map((n) => n.textContent)`);
  assert.deepEqual(some, ['/set_status [text…]']);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.$eval('#input', (n) => (n as unknown as { value: string }).value), '/set_status ');

  await page.evaluate(`document.querySelector('#input').value = ''`);
  await page.type('#input', 'ping @b');
  await page.waitForSelector('#palette:not([hidden]) li');
  assert.deepEqual(await page.evaluate(`[...document.querySelectorAll('#palette .usage')].map((n) => n.textContent)`), [
    '@bob',
  ]);
  await page.keyboard.press('Enter');
  assert.equal(await page.$eval('#input', (n) => (n as unknown as { value: string }).value), 'ping @bob ');

  await page.evaluate(`document.querySelector('#input').value = ''`);
  await page.type('#input', '/dm ca');
  await page.waitForSelector('#palette:not([hidden]) li');
  await page.keyboard.press('Enter');
  assert.equal(await page.$eval('#input', (n) => (n as unknown as { value: string }).value), '/dm carol ');
});

test('search shows only the matching messages; older history loads on scrolling up', async (t) => {
  const { dir, bob } = await room(t);
  for (let i = 1; i <= 130; i++)
    await http(dir.socket('r'), 'POST', '/messages', {
      token: bob,
      body: { type: 'message', content: `number ${i}${i === 7 ? ' needle' : ''}` },
    });
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await waitForText(page, 'number 130');
  assert.ok(!(await bodies(page)).includes('number 1'));
  for (let i = 0; i < 10 && !(await bodies(page)).includes('number 1'); i++) {
    const before = (await page.evaluate(`document.querySelectorAll('#log li').length`)) as number;
    await page.evaluate(`document.querySelector('#log-wrap').scrollTop = 0`);
    await page.waitForFunction(`document.querySelector('#older').hidden`);
    await page
      .waitForFunction(`document.querySelectorAll('#log li').length > ${before}`, { timeout: 2000 })
      .catch(() => {});
  }
  const all = await bodies(page);
  assert.ok(all.includes('number 1'), 'the first message was loaded');
  const numbers = all.filter((b) => b.startsWith('number ')).map((b) => Number(b.split(' ')[1]));
  assert.deepEqual(
    numbers,
    Array.from({ length: 130 }, (_, i) => i + 1),
    'each once, in order',
  );
  await page.type('#search', 'NEEDLE');
  const visible = await page.evaluate(
    `[...document.querySelectorAll('#log li:not(.hidden-by-search) .body')].map((n) => n.textContent.trim())`,
  );
  assert.deepEqual(visible, ['number 7 needle']);
});

test('a reload keeps the session (sessionStorage); the address does not open a second time', async (t) => {
  const { dir } = await room(t);
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await page.reload();
  await waitLive(page);
  const second = await openPage(t, browser, web.address);
  await second.waitForSelector('#conn[data-state="closed"]');
  const error = (await second.evaluate(`document.querySelector('#error').textContent`)) as string;
  assert.match(error, /already opened/);
  assert.equal(await second.evaluate(`sessionStorage.getItem('room.session')`), null);
});

test("a bad command is explained under the box and the text is kept; the host's /clear empties the page", async (t) => {
  const { dir, bob, send } = await room(t);
  await send(bob, 'soon gone');
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await waitForText(page, 'soon gone');
  await page.type('#input', '/reply zz hi');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#error:not([hidden])');
  assert.match((await page.evaluate(`document.querySelector('#error').textContent`)) as string, /usage: \/reply/);
  assert.equal(await page.$eval('#input', (n) => (n as unknown as { value: string }).value), '/reply zz hi');
  // A host-only command from alice: refused by the broker, shown the same way.
  await page.evaluate(`document.querySelector('#input').value = ''`);
  await page.type('#input', '/clear');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Enter');
  await page.waitForFunction(`document.querySelector('#error').textContent.includes('host')`);
  // The box emptied as the message left; the refusal put the text back.
  assert.equal(await page.$eval('#input', (n) => (n as unknown as { value: string }).value), '/clear');
  await waitForText(page, 'soon gone');

  await send(bob, '/clear');
  await page.waitForFunction(
    `![...document.querySelectorAll('#log li .body')].some((n) => n.textContent.includes('soon gone'))`,
  );
  await page.waitForSelector('#log li.system');
});
