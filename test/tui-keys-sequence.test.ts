// Input as a sequence of keys (key-sequence.ts) and the UI's width measure
// (format.ts), which never counts fewer columns than a terminal draws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inputRows } from '../client/tui/editor.ts';
import { sanitize, sanitizeLine, width } from '../client/tui/format.ts';
import { keySequence, NO_KEY } from '../client/tui/key-sequence.ts';

const ctrl = (letter: string) => ({ input: letter, key: { ...NO_KEY, ctrl: true } });

test('a chunk with control characters is cut into its keys; anything else is one key', () => {
  assert.deepEqual(keySequence('\x17\x17', NO_KEY), [ctrl('w'), ctrl('w')]);
  assert.deepEqual(keySequence('\x01x\x05y', NO_KEY), [
    ctrl('a'),
    { input: 'x', key: NO_KEY },
    ctrl('e'),
    { input: 'y', key: NO_KEY },
  ]);
  assert.deepEqual(keySequence('ab\tc', NO_KEY), [
    { input: 'ab', key: NO_KEY },
    { input: '', key: { ...NO_KEY, tab: true } },
    { input: 'c', key: NO_KEY },
  ]);
  const enter = { input: '', key: { ...NO_KEY, return: true } };
  assert.deepEqual(keySequence('one\rtwo\r', NO_KEY), [
    { input: 'one', key: NO_KEY },
    enter,
    { input: 'two', key: NO_KEY },
    enter,
  ]);
  const single = { ...NO_KEY, ctrl: true };
  assert.deepEqual(keySequence('w', single), [{ input: 'w', key: single }]);
  assert.deepEqual(keySequence('hello', NO_KEY), [{ input: 'hello', key: NO_KEY }]);
});

test('widths never under-count a grapheme made of several code points', () => {
  assert.equal(width('👍🏽'), 4, 'tmux draws the modifier apart');
  assert.equal(width('👨‍👩‍👧'), 6);
  assert.equal(width('❤️'), 2);
  assert.equal(width('é'), 1);
  assert.equal(width('e\u0301'), 1, 'a combining mark adds nothing');
  assert.equal(width('日本'), 4);
  assert.equal(width('plain ascii'), 11);
});

test('control characters are shown as symbols, tabs as spaces, in content, one-line texts and the draft', () => {
  assert.equal(sanitize('a\x07b\x00c\x7f'), 'a␇b␀c␡');
  assert.equal(sanitizeLine('status\nwith\x1b[31m colour'), 'status with colour');
  const rows = inputRows({ text: 'a\tb\x07', cursor: 2 }, 40);
  assert.deepEqual(rows.rows, ['a    b␇']);
  assert.equal(rows.cursorAt, 5, 'the cursor after the tab as drawn');
});
