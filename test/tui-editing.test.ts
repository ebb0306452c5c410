// Editing like a shell, and finding your way, in a real terminal (tmux): each
// step's pane compared exactly with the model of the screen (screen.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Input } from '../client/tui/editor.ts';
import { screenText } from '../client/tui/screen.ts';
import type { Action } from '../client/tui/state.ts';
import { http, ROOM_BIN, RoomDir } from './helpers.ts';
import { expectScreen, modelState, openUi } from './tui-screen-model.ts';
import { Tmux } from './tui-tmux.ts';

test('word motions, Ctrl-K / Ctrl-Y, Ctrl-U on the whole draft, ↑↓ in a multi-line draft, Ctrl-Z and fg', {
  timeout: 120_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  await openUi(tmux, dir, 'alice');
  const draft =
    (input: Input, ...more: Action[]) =>
    () =>
      modelState(dir, carl, 'alice', [{ type: 'input', input }, ...more]).then(screenText);

  await tmux.type('alice', 'one two three');
  await tmux.keys('alice', 'C-Left', 'M-b');
  await expectScreen(tmux, 'alice', draft({ text: 'one two three', cursor: 4 }), 'Ctrl-← then Alt-B: two words back');
  await tmux.keys('alice', 'M-f');
  await expectScreen(tmux, 'alice', draft({ text: 'one two three', cursor: 7 }), 'Alt-F: to the end of the word');
  await tmux.keys('alice', 'C-k');
  await expectScreen(tmux, 'alice', draft({ text: 'one two', cursor: 7 }), 'Ctrl-K: to the end');
  await tmux.keys('alice', 'C-a', 'C-y');
  await expectScreen(tmux, 'alice', draft({ text: ' threeone two', cursor: 6 }), 'Ctrl-Y: the removed text back');

  // A multi-line draft: ↑ goes to the line above before it scrolls; Ctrl-U takes everything before the cursor.
  await tmux.keys('alice', 'C-e');
  await tmux.type('alice', '\\');
  await tmux.keys('alice', 'Enter');
  await tmux.type('alice', 'second');
  await tmux.keys('alice', 'Up');
  const twoLines = ' threeone two\nsecond';
  await expectScreen(tmux, 'alice', draft({ text: twoLines, cursor: 6 }), '↑ moves to the line above');
  await tmux.keys('alice', 'Down', 'End', 'C-u');
  await expectScreen(tmux, 'alice', draft({ text: '', cursor: 0 }), 'Ctrl-U: the whole draft before the cursor');

  // Ctrl-Z: the shell's prompt; fg: the UI as it was.
  await tmux.type('alice', 'kept');
  await tmux.keys('alice', 'C-z');
  const stopped = await tmux.waitForText('alice', /Stopped/);
  assert.ok(!stopped.includes('╭─ alice'), 'the primary screen, without the UI');
  await tmux.line('alice', 'fg');
  await expectScreen(tmux, 'alice', draft({ text: 'kept', cursor: 4 }), 'the UI back after fg');
  await tmux.line('alice', ' and sent');
  await tmux.waitForText('alice', /alice {2}kept and sent/);
});

test('Tab on a bare name, Enter on /dm bob, /kick and /reauth offers, destructive commands ask first', {
  timeout: 120_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  await openUi(tmux, dir, 'alice'); // the host
  const alice = (await import('node:fs')).readFileSync(dir.file('room-demo-alice.token'), 'utf8');
  const token = /[0-9a-f-]{36}/.exec(alice)![0];
  await dir.join('demo', 'bobby'); // joined, never posted, never online
  await dir.join('demo', 'dave');
  const kick = await dir.run(['send', 'demo', '/kick dave'], { env: { ROOM_TOKEN: token } });
  assert.equal(kick.code, 0, kick.stderr);
  await tmux.waitForText('alice', 'alice kicked dave');
  const model =
    (input: Input, ...more: Action[]) =>
    () =>
      modelState(dir, token, 'alice', [{ type: 'input', input }, ...more]).then(screenText);

  // The UI reads who ever joined after a join, leave or notice: the palette shows when it has.
  await tmux.type('alice', '@bo');
  await tmux.waitForText('alice', ' › @bobby');
  await tmux.keys('alice', 'C-u');
  await tmux.type('alice', 'bo');
  await tmux.keys('alice', 'Tab');
  await expectScreen(tmux, 'alice', model({ text: 'bobby: ', cursor: 7 }), 'Tab completes bobby, who never posted');
  await tmux.keys('alice', 'C-u');
  await tmux.type('alice', '/dm bobby');
  await tmux.keys('alice', 'Enter');
  await expectScreen(tmux, 'alice', model({ text: '/dm bobby ', cursor: 10 }), 'Enter on /dm bobby completes');
  await tmux.keys('alice', 'C-u');
  await tmux.type('alice', '/reauth ');
  await expectScreen(tmux, 'alice', model({ text: '/reauth ', cursor: 8 }), '/reauth offers dave, the kicked');
  assert.match((await tmux.screen('alice')).split('╭─')[0]!, / › dave/);
  await tmux.keys('alice', 'C-u');
  await tmux.type('alice', '/kick ');
  await expectScreen(tmux, 'alice', model({ text: '/kick ', cursor: 6 }), '/kick offers bobby only');

  await tmux.keys('alice', 'C-u');
  await tmux.type('alice', '/clear');
  await tmux.waitForText('alice', ' › /clear'); // the palette offers it
  await tmux.keys('alice', 'Escape'); // the palette closed: Enter sends (asks) rather than completes
  // Apart: Esc then Enter at once reads as Alt-Enter (a newline). The hint line alone does not
  // show that Esc was read (it can say "Enter send" with the palette open), its offer's going does.
  await tmux.waitFor('alice', (s) => !s.includes(' › /clear') && /^Enter send/m.test(s), 'the palette to close');
  await tmux.keys('alice', 'Enter');
  await tmux.waitForText('alice', '? /clear empties the history for everyone. Press y to send it');
  await tmux.keys('alice', 'n');
  await expectScreen(
    tmux,
    'alice',
    model({ text: '/clear', cursor: 6 }, { type: 'closePalette' }),
    'cancelled: the draft kept, nothing sent',
  );
  await tmux.keys('alice', 'Enter');
  await tmux.waitForText('alice', '? /clear empties');
  await tmux.keys('alice', 'y');
  await tmux.waitForText('alice', 'alice cleared chat history');
});

test('the UI marks where your poll cursor stands, and leaves the cursor where it was', {
  timeout: 120_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  const alice = await dir.join('demo', 'alice');
  await dir.run(['send', 'demo', 'read by alice'], { env: { ROOM_TOKEN: carl } });
  const polled = await dir.run(['poll', 'demo'], { env: { ROOM_TOKEN: alice } });
  assert.equal(polled.code, 0, polled.stderr);
  const cursor = (await import('node:fs')).readFileSync(dir.file('room-demo-alice.cursor'), 'utf8');
  await dir.run(['send', 'demo', 'new for alice'], { env: { ROOM_TOKEN: carl } });
  await openUi(tmux, dir, 'alice');
  const screen = await tmux.waitForText('alice', 'new for alice');
  assert.match(screen, /read by alice +[0-9a-f]{4}\n\d\d:\d\d:\d\d ! you had read up to here .*\n.*new for alice/);
  assert.equal((await import('node:fs')).readFileSync(dir.file('room-demo-alice.cursor'), 'utf8'), cursor);
});

test('scrolling past the top loads older history, page by page, without a restart', { timeout: 120_000 }, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  for (let i = 1; i <= 150; i++) {
    const sent = await http(dir.socket('demo'), 'POST', '/messages', {
      token: carl,
      body: { type: 'message', content: `history ${i}` },
    });
    assert.equal(sent.status, 201, sent.body);
  }
  await tmux.window('alice', dir.env);
  await tmux.line('alice', `${ROOM_BIN} demo alice -n 3; echo EXIT=$?`);
  await tmux.waitFor('alice', (s) => s.includes('● live') && s.includes('history 150'), "alice's UI");
  const opened = await tmux.screen('alice');
  assert.ok(!opened.includes('history 147 '), `only the last 3 messages: ${opened}`);
  // PgUp until the first message is on screen: pages of older history come in as the top is passed.
  // (At the top, PgUp asks for a page; the next ones scroll through it.)
  for (let i = 0; i < 60; i++) {
    const before = await tmux.screen('alice');
    if (before.includes('history 1 ')) break;
    await tmux.keys('alice', 'PageUp');
    await tmux.waitFor('alice', (s) => s !== before, 'the view to change', 5000);
  }
  const top = await tmux.waitForText('alice', /carl {2}history 1 +[0-9a-f]{4}/);
  assert.match(top, /history 1 [\s\S]*history 2 /);
});

test('/find jumps between highlighted matches; Ctrl-R chooses a message to answer', { timeout: 120_000 }, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  const post = (content: string) =>
    http(dir.socket('demo'), 'POST', '/messages', { token: carl, body: { type: 'message', content } });
  await post('needle in the oldest message');
  for (let i = 1; i <= 40; i++) await post(`filler ${i}`);
  await post('a newer needle');
  await tmux.window('alice', dir.env);
  await tmux.line('alice', `${ROOM_BIN} demo alice -n 50; echo EXIT=$?`);
  await tmux.waitFor('alice', (s) => s.includes('● live') && s.includes('a newer needle'), "alice's UI");
  const state = async (...actions: Action[]) => modelState(dir, carl, 'alice', actions);

  await tmux.line('alice', '/find needle');
  await expectScreen(
    tmux,
    'alice',
    () => state({ type: 'find', query: 'needle' }).then(screenText),
    'the newest match',
  );
  await tmux.keys('alice', 'Up');
  await tmux.waitForText('alice', 'needle in the oldest message');
  await expectScreen(
    tmux,
    'alice',
    () => state({ type: 'find', query: 'needle' }, { type: 'focusMove', move: -1 }).then(screenText),
    'the older match, scrolled to',
  );
  await tmux.keys('alice', 'Escape');
  await tmux.keys('alice', 'C-r');
  await tmux.waitForText('alice', 'Enter reply to it');
  await tmux.keys('alice', 'Up');
  await tmux.keys('alice', 'Enter');
  const chosen = await state({ type: 'chooseReply' }, { type: 'focusMove', move: -1 }, { type: 'replyToFocus' });
  await tmux.waitForText('alice', `│ ${chosen.input.text}`);
  assert.match(chosen.input.text, /^\/reply [0-9a-f]{4} $/);
  await tmux.line('alice', 'answered');
  await tmux.waitForText('alice', /alice {2}↳ carl: filler 40/);
});

test('opening shows the last -n messages, with a run of joins and leaves folded into one line', {
  timeout: 180_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  const post = (content: string) =>
    http(dir.socket('demo'), 'POST', '/messages', { token: carl, body: { type: 'message', content } });
  for (let i = 1; i <= 4; i++) await post(`message ${i}`);
  // Live sessions that come and go: joins and leaves in the history.
  for (let i = 0; i < 12; i++) {
    const stream = await dir.run(['demo', 'bob', '--agent', '-n', '0'], { input: '' });
    assert.equal(stream.code, 0, stream.stderr);
  }
  await post('message 5');
  await tmux.window('alice', dir.env);
  await tmux.line('alice', `${ROOM_BIN} demo alice -n 2; echo EXIT=$?`);
  const screen = await tmux.waitFor('alice', (s) => s.includes('● live') && s.includes('→ alice joined'), 'the UI');
  const shown = screen.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
  assert.equal(shown.length, 4, screen);
  assert.match(shown[0]!, /carl {2}message 4 /);
  assert.match(shown[1]!, /← bob left \(24 joins and leaves\)$/);
  assert.match(shown[2]!, /carl {2}message 5 /);
  assert.match(shown[3]!, /→ alice joined$/);
});
