// The terminal UI never garbles the screen: in a real terminal (tmux), the
// pane holds exactly the screen the UI's model says it drew (screen.ts),
// whatever the messages and the draft hold, after a Ctrl-L, with keys that
// arrive together, and with TERM=dumb.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { inputCursor } from '../client/tui/chrome.ts';
import { layout } from '../client/tui/layout.ts';
import { screenText } from '../client/tui/screen.ts';
import { RoomDir } from './helpers.ts';
import { expectScreen, modelState, openUi } from './tui-screen-model.ts';
import { Tmux, rows } from './tui-tmux.ts';

/** Graphemes terminals disagree about, each with what makes it hard. */
const HARD: ReadonlyArray<readonly [string, string]> = [
  ['👍🏽', 'skin-tone modifier'],
  ['👨‍👩‍👧', 'ZWJ sequence'],
  ['🏳️‍🌈', 'ZWJ sequence with VS16'],
  ['🇺🇸', 'flag (regional indicators)'],
  ['❤️', 'VS16 emoji'],
  ['⚠️', 'VS16 emoji'],
  ['é', 'combining acute accent'],
  ['ก่', 'Thai with a combining tone mark'],
  ['日本語', 'CJK'],
  ['★', 'ambiguous width'],
  ['①', 'ambiguous width'],
  ['Ω', 'ambiguous width (Greek)'],
];

test('hard graphemes in messages and in the draft: the pane matches the model of the screen after each', {
  timeout: 180_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  await openUi(tmux, dir, 'alice');
  for (const [i, [g, what]] of HARD.entries()) {
    // One short line with the id at the right edge, one that wraps with graphemes near the edge.
    for (const content of [`${g} ${what}`, `${i}: ${`${g}x `.repeat(60)}`]) {
      const sent = await dir.run(['send', 'demo', content], { env: { ROOM_TOKEN: carl } });
      assert.equal(sent.code, 0, sent.stderr);
    }
    await expectScreen(tmux, 'alice', () => modelState(dir, carl, 'alice').then(screenText), `messages with ${what}`);
    // The same in the draft, three times (the cursor after it).
    const draft = `${g}${g}${g}`;
    await tmux.type('alice', draft);
    await expectScreen(
      tmux,
      'alice',
      () =>
        modelState(dir, carl, 'alice', [{ type: 'input', input: { text: draft, cursor: draft.length } }]).then(
          screenText,
        ),
      `the draft with ${what}`,
    );
    await tmux.keys('alice', 'C-u');
  }

  // Control characters and tabs, in a message and pasted into the draft: shown, never written raw.
  const sent = await dir.run(['send', 'demo', 'tab\there bell\x07 escape\x1b[31m red\x1b[0m and a lone \x1b'], {
    env: { ROOM_TOKEN: carl },
  });
  assert.equal(sent.code, 0, sent.stderr);
  await tmux.tmux('set-buffer', 'a\tb\x07c');
  await tmux.tmux('paste-buffer', '-p', '-t', 'e2e:alice');
  // Bracketed paste keeps the tab (drawn as spaces); the bell is dropped from pastes.
  const pasted = { text: 'a\tbc', cursor: 4 };
  await expectScreen(
    tmux,
    'alice',
    () => modelState(dir, carl, 'alice', [{ type: 'input', input: pasted }]).then(screenText),
    'a control character in a message and a tab in the draft',
  );
  const screen = rows(await tmux.screen('alice'));
  assert.ok(
    screen.some((r) => r.includes('tab    here bell␇ escape red and a lone ␛')),
    screen.join('\n'),
  );
  assert.ok(
    screen.some((r) => r.startsWith('│ a    bc')),
    screen.join('\n'),
  );
});

test('Ctrl-L redraws a screen something else wrote over; keys that arrive in one write are each handled', {
  timeout: 120_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  await openUi(tmux, dir, 'alice');
  await dir.run(['send', 'demo', 'a message to redraw'], { env: { ROOM_TOKEN: carl } });
  await expectScreen(tmux, 'alice', () => modelState(dir, carl, 'alice').then(screenText), 'the first screen');

  // Something writes over the screen (another program, a wall message).
  const tty = await tmux.format('alice', '#{pane_tty}');
  writeFileSync(tty, '\x1b[3;5HGARBAGE ON THE SCREEN\x1b[20;1H\x1b[2K');
  await tmux.waitForText('alice', 'GARBAGE ON THE SCREEN');
  await tmux.keys('alice', 'C-l');
  await expectScreen(tmux, 'alice', () => modelState(dir, carl, 'alice').then(screenText), 'the screen after Ctrl-L');

  // Two Ctrl-W in one write delete two words; Ctrl-A then Ctrl-E in one write end at the end.
  await tmux.type('alice', 'one two three');
  await tmux.waitForText('alice', '│ one two three');
  await tmux.keys('alice', 'C-w', 'C-w');
  const kept = { text: 'one ', cursor: 4 };
  await expectScreen(
    tmux,
    'alice',
    () => modelState(dir, carl, 'alice', [{ type: 'input', input: kept }]).then(screenText),
    'two words deleted by one write of two Ctrl-W',
  );
  await tmux.keys('alice', 'C-a', 'x', 'C-e', 'y');
  const moved = { text: 'xone y', cursor: 6 };
  await expectScreen(
    tmux,
    'alice',
    () => modelState(dir, carl, 'alice', [{ type: 'input', input: moved }]).then(screenText),
    'Ctrl-A x Ctrl-E y in one write',
  );
});

test('with TERM=dumb the terminal cursor shows where typing goes', { timeout: 60_000 }, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  await openUi(tmux, dir, 'alice', { TERM: 'dumb' });
  await tmux.type('alice', 'hello');
  await tmux.waitForText('alice', '│ hello');
  const state = await modelState(dir, carl, 'alice', [{ type: 'input', input: { text: 'hello', cursor: 5 } }]);
  const { x, y } = inputCursor(layout(state));
  await tmux.waitFor(
    'alice',
    async () => (await tmux.format('alice', '#{cursor_flag} #{cursor_x} #{cursor_y}')) === `1 ${x} ${y}`,
    'the cursor after "hello", visible',
  );
});
