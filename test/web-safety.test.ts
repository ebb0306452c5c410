// What people send is text on the page, never markup: script tags, event
// handlers, javascript: links and raw HTML render as text; Markdown renders
// (code blocks, links that open in a new tab with noopener).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { RoomDir } from './helpers.ts';
import { launchBrowser, openPage, startWeb, waitForText, waitLive } from './web-helpers.ts';

let browser: Browser;
let closeBrowser: () => Promise<void>;
before(async () => {
  ({ browser, close: closeBrowser } = await launchBrowser());
});
after(() => closeBrowser());

const PAYLOADS = [
  '<script>window.__xss = 1</script>',
  '<img src=x onerror="window.__xss = 2">',
  '[click me](javascript:window.__xss=3)',
  '<a href="javascript:window.__xss=4">raw link</a>',
  '<svg onload="window.__xss=5"></svg><iframe src="javascript:window.__xss=6"></iframe>',
  '[data](data:text/html,<script>window.__xss=7</script>) ![img](http://127.0.0.1:1/x.png)',
  '"><b onmouseover="window.__xss=8">quoted</b>',
];

test('XSS payloads render as text; nothing they carry runs', async (t) => {
  const dir = RoomDir.create(t);
  const bob = await dir.join('r', 'bob');
  for (const payload of PAYLOADS) {
    const result = await dir.run(['send', 'r', payload], { env: { ROOM_TOKEN: bob } });
    assert.equal(result.code, 0, result.stderr);
  }
  // The same through the other paths text takes: a DM, a reply's quote, a status, a command.
  await dir.run(['send', 'r', '--to', 'alice', '<script>window.__xss=9</script>'], { env: { ROOM_TOKEN: bob } });
  await dir.run(['send', 'r', '/set_status <img src=x onerror=window.__xss=10>'], { env: { ROOM_TOKEN: bob } });
  await dir.run(['send', 'r', '/claim <script>window.__xss=11</script>'], { env: { ROOM_TOKEN: bob } });
  await dir.run(['send', 'r', 'the end'], { env: { ROOM_TOKEN: bob } });
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  const blocked: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(web.origin)) blocked.push(request.url());
  });
  await waitLive(page);
  await waitForText(page, 'the end');
  await page.waitForFunction(`document.querySelector('#members').textContent.includes('<img')`);
  // Hover everything, in case a handler slipped through.
  for (const item of await page.$$('#log li')) await item.hover();

  assert.equal(await page.evaluate('window.__xss'), undefined);
  const log = '#log';
  assert.equal(
    await page.evaluate(
      `document.querySelectorAll('${log} script, ${log} img, ${log} svg, ${log} iframe, ${log} [onerror], ${log} [onload], ${log} [onmouseover]').length`,
    ),
    0,
  );
  assert.equal(
    await page.evaluate(
      `document.querySelectorAll('${log} a[href^="javascript:" i], ${log} a[href^="data:" i]').length`,
    ),
    0,
  );
  const text = (await page.evaluate(`document.querySelector('${log}').textContent`)) as string;
  for (const visible of [
    '<script>window.__xss = 1</script>',
    '<img src=x onerror="window.__xss = 2">',
    '<a href="javascript:window.__xss=4">raw link</a>',
    '/claim <script>window.__xss=11</script>',
  ])
    assert.ok(text.includes(visible), `shown as text: ${visible}`);
  assert.ok(
    ((await page.evaluate(`document.querySelector('#members').textContent`)) as string).includes(
      '<img src=x onerror=window.__xss=10>',
    ),
  );
  assert.deepEqual(blocked, [], 'no request left the gateway');
});

test('Markdown renders: code blocks in monospace that wrap, links in a new tab with noopener', async (t) => {
  const dir = RoomDir.create(t);
  const bob = await dir.join('r', 'bob');
  const markdown = [
    '**bold** and `code`',
    '```',
    `const long = "${'x'.repeat(300)}";`,
    '```',
    'see https://example.com/docs and [the spec](https://example.com/spec)',
  ].join('\n');
  assert.equal((await dir.run(['send', 'r'], { env: { ROOM_TOKEN: bob }, input: markdown })).code, 0);
  const web = await startWeb(dir, ['r', 'alice']);
  const page = await openPage(t, browser, web.address);
  await waitLive(page);
  await waitForText(page, 'the spec');
  const rendered = (await page.evaluate(`(() => {
    const body = [...document.querySelectorAll('#log li .body')].find((n) => n.textContent.includes('the spec'));
    const pre = body.querySelector('pre');
    return {
      strong: body.querySelector('strong')?.textContent,
      code: body.querySelector('p code')?.textContent,
      font: getComputedStyle(pre).fontFamily,
      wrap: getComputedStyle(pre).whiteSpace,
      overflows: pre.scrollWidth > pre.clientWidth,
      links: [...body.querySelectorAll('a')].map((a) => [a.href, a.target, a.rel]),
    };
  })()`)) as { strong: string; code: string; font: string; wrap: string; overflows: boolean; links: string[][] };
  assert.equal(rendered.strong, 'bold');
  assert.equal(rendered.code, 'code');
  assert.match(rendered.font, /mono/i);
  assert.equal(rendered.wrap, 'pre-wrap');
  assert.equal(rendered.overflows, false);
  assert.deepEqual(rendered.links, [
    ['https://example.com/docs', '_blank', 'noopener noreferrer'],
    ['https://example.com/spec', '_blank', 'noopener noreferrer'],
  ]);
});
