// The page across a broker restart: the broker is killed under an open page;
// the page shows that it is reconnecting, the gateway starts a broker again
// (client/broker-start.ts), and the stream resumes with Last-Event-ID:
// every message once, nothing lost, nothing doubled.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { http, isAlive, RoomDir, stopProcess, waitUntil } from './helpers.ts';
import { bodies, launchBrowser, openPage, startWeb, waitForText, waitLive } from './web-helpers.ts';

let browser: Browser;
let closeBrowser: () => Promise<void>;
before(async () => {
  ({ browser, close: closeBrowser } = await launchBrowser());
});
after(() => closeBrowser());

test('killing the broker under an open page: it reconnects and resumes with nothing lost or doubled', async (t) => {
  const dir = RoomDir.create(t);
  const bob = await dir.join('r', 'bob');
  const send = async (text: string) => {
    const result = await dir.run(['send', 'r', text], { env: { ROOM_TOKEN: bob } });
    assert.equal(result.code, 0, result.stderr);
  };
  await send('one');
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await page.evaluate(`window.__states = [];
    new MutationObserver(() => window.__states.push(document.querySelector('#conn').dataset.state))
      .observe(document.querySelector('#conn'), { attributes: true, attributeFilter: ['data-state'] }); undefined`);
  await send('two');
  await waitForText(page, 'two');

  const [pid] = dir.brokerPids();
  process.kill(pid!, 'SIGKILL');
  await waitUntil(() => !isAlive(pid!), 5000, 'the broker to die');
  // The page noticed, and came back live through a broker the gateway started.
  await page.waitForFunction(`window.__states.includes('reconnecting')`, { timeout: 10_000 });
  await page.waitForFunction(`window.__states.at(-1) === 'live'`, { timeout: 30_000 });
  assert.equal(dir.brokerPids().filter((p) => isAlive(p)).length, 1, 'one new broker');
  await send('three');
  await send('four');
  await waitForText(page, 'four');

  const shown = (await bodies(page)).filter((b) => ['one', 'two', 'three', 'four'].includes(b));
  assert.deepEqual(shown, ['one', 'two', 'three', 'four']);
  const seqs = (await page.evaluate(
    `[...document.querySelectorAll('#log li[data-seq]')].map((li) => Number(li.dataset.seq))`,
  )) as number[];
  assert.deepEqual(
    seqs,
    [...new Set(seqs)].sort((a, b) => a - b),
    'every event once, in order',
  );
});

test('messages sent while the page is cut off arrive once it is back', async (t) => {
  const dir = RoomDir.create(t);
  const bob = await dir.join('r', 'bob');
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  // Take the page offline (its new requests fail), stop the broker (its stream ends with
  // `event: close`, reason shutdown), start one again and send while the page cannot connect.
  await page.setOfflineMode(true);
  const [pid] = dir.brokerPids();
  process.kill(pid!, 'SIGTERM');
  await waitUntil(() => !isAlive(pid!), 5000, 'the broker to die');
  await page.waitForSelector('#conn[data-state="reconnecting"]', { timeout: 10_000 });
  await dir.join('r', 'carol');
  for (const text of ['while away 1', 'while away 2'])
    assert.equal((await dir.run(['send', 'r', text], { env: { ROOM_TOKEN: bob } })).code, 0);
  await page.setOfflineMode(false);
  await waitForText(page, 'while away 2', 30_000);
  const shown = (await bodies(page)).filter((b) => b.startsWith('while away'));
  assert.deepEqual(shown, ['while away 1', 'while away 2']);
});

test('a broker that cannot be started again: the page says why, and recovers once it can', async (t) => {
  const dir = RoomDir.create(t);
  const bob = await dir.join('r', 'bob');
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  const state = dir.file('room-r.state');
  const saved = readFileSync(state);
  const [pid] = dir.brokerPids();
  await stopProcess(pid!);
  writeFileSync(state, 'not json');
  await page.waitForFunction(`document.querySelector('#error').textContent.startsWith('Reconnecting:')`, {
    timeout: 30_000,
  });
  assert.equal(await page.evaluate(`document.querySelector('#conn').dataset.state`), 'reconnecting');
  const said = (await page.evaluate(`document.querySelector('#error').textContent`)) as string;
  assert.match(said, /^Reconnecting: the broker for r failed to start: .*room-r\.state/, said);
  writeFileSync(state, saved);
  await waitLive(page);
  await page.waitForSelector('#error[hidden]');
  assert.equal((await dir.run(['send', 'r', 'back again'], { env: { ROOM_TOKEN: bob } })).code, 0);
  await waitForText(page, 'back again');
  // One stream, not one per failed try: the page holds a single session.
  const users = await http(dir.socket('r'), 'GET', '/users', { token: bob });
  assert.deepEqual(
    users.json().online.map((u: { user: string; sessions: number }) => [u.user, u.sessions]),
    [['alice', 1]],
  );
});
