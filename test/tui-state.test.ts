// The terminal UI's state: reducer transitions, scrolling that new events do
// not yank, the viewport, editing and keys (client/tui/state.ts, viewport.ts,
// editor.ts, keys.ts, reply.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Key } from 'ink';
import * as edit from '../client/tui/editor.ts';
import { eventEntry, noticeEntry, type Entry } from '../client/tui/entry.ts';
import { onKey } from '../client/tui/keys.ts';
import { NO_KEY } from '../client/tui/key-sequence.ts';
import { layout, messageArea } from '../client/tui/layout.ts';
import { resolveReply } from '../client/tui/reply.ts';
import { MAX_ENTRIES, reduce, type State } from '../client/tui/state.ts';
import { lineText } from '../client/tui/theme.ts';
import { viewport } from '../client/tui/viewport.ts';
import { ev, many, msg, notice, stateWith } from './tui-fixtures.ts';

const key = (flags: Partial<Key> = {}): Key => ({ ...NO_KEY, ...flags });
const shown = (state: State) => {
  const { width, height } = messageArea(state);
  return viewport(state.entries, width, height, state.scroll, state.me).lines.map(lineText);
};
const typedText = (state: State, text: string) =>
  reduce(state, { type: 'input', input: { text, cursor: text.length } });

test('events are appended in order; replies find the event they answer', () => {
  const target = msg('bob', 'question?');
  const reply = ev({ type: 'reply', user: 'alice', reply_to: target.id, content: 'answer' });
  const state = stateWith([
    { type: 'events', events: [target] },
    { type: 'events', events: [reply] },
  ]);
  assert.equal(state.entries.length, 2);
  const last = state.entries[1] as Extract<Entry, { kind: 'event' }>;
  assert.equal(last.target, target);
  assert.deepEqual(state.names, ['alice', 'bob']);
});

test("cleared (the host's /clear): what was shown goes, scrolling and the unread count reset; what follows is shown", () => {
  let state = stateWith([
    { type: 'events', events: many(100) },
    { type: 'scroll', by: 20 },
    { type: 'events', events: many(3, 101) },
  ]);
  assert.ok(state.scroll > 0 && state.unread === 3);
  state = reduce(state, { type: 'cleared' });
  assert.deepEqual([state.entries.length, state.scroll, state.unread], [0, 0, 0]);
  state = reduce(state, { type: 'events', events: [msg('broker', 'alice cleared chat history')] });
  assert.equal(state.entries.length, 1);
});

test('the list is bounded: the oldest entries go beyond MAX_ENTRIES', () => {
  const state = stateWith([{ type: 'events', events: many(MAX_ENTRIES + 5) }]);
  assert.equal(state.entries.length, MAX_ENTRIES);
  assert.match(
    lineText(viewport(state.entries, 80, 1, 0, 'alice').lines[0]!),
    new RegExp(`message number ${MAX_ENTRIES + 5}\\b`),
  );
});

test('the list stays bounded and in order when batches keep coming at the bottom', () => {
  const events = many(MAX_ENTRIES + 250);
  const batches = [events.slice(0, MAX_ENTRIES - 100), events.slice(MAX_ENTRIES - 100, MAX_ENTRIES + 50)];
  for (let i = MAX_ENTRIES + 50; i < events.length; i += 40) batches.push(events.slice(i, i + 40));
  const state = stateWith(batches.map((batch) => ({ type: 'events', events: batch }) as const));
  assert.equal(state.entries.length, MAX_ENTRIES);
  const ids = state.entries.map((e) => (e.kind === 'event' ? e.event.id : ''));
  assert.deepEqual(
    ids,
    events.slice(250).map((e) => e.id),
  );
});

test('users: online list, statuses, host, and names for completion', () => {
  const state = stateWith([
    {
      type: 'users',
      users: {
        you: 'alice',
        host: 'alice',
        online: [
          { user: 'alice', status: '', sessions: 1 },
          { user: 'bob', status: 'reviewing', sessions: 2 },
        ],
        recent: [{ user: 'bot', status: '', last_active: '2025-01-01T00:00:00Z' }],
      },
    },
  ]);
  assert.deepEqual(state.online, [
    { user: 'alice', status: '' },
    { user: 'bob', status: 'reviewing' },
  ]);
  assert.deepEqual(state.names, ['alice', 'bob', 'bot']);
});

test('scrolling: Up/Down one line, PageUp/PageDown ten, clamped at the top and the bottom', () => {
  let state = stateWith([{ type: 'events', events: many(100) }]);
  const height = messageArea(state).height;
  assert.match(shown(state).at(-1)!, /message number 100\b/);
  state = reduce(state, { type: 'scroll', by: 1 });
  assert.match(shown(state).at(-1)!, /message number 99\b/);
  state = reduce(state, { type: 'scroll', by: 10 });
  assert.equal(state.scroll, 11);
  state = reduce(state, { type: 'scroll', by: 1000 });
  assert.equal(state.scroll, 100 - height, 'stops with the first line at the top');
  assert.match(shown(state)[0]!, /message number 1\b/);
  state = reduce(state, { type: 'scroll', by: -1000 });
  assert.equal(state.scroll, 0);
});

test('scrolled up, new events do not move the view and are counted below; Esc and sending go back down', () => {
  let state = stateWith([{ type: 'events', events: many(60) }]);
  state = reduce(state, { type: 'scroll', by: 20 });
  const before = shown(state);
  state = reduce(state, {
    type: 'events',
    events: [...many(3, 61), ev({ type: 'join', user: 'dave' }), msg('dave', 'a long one '.repeat(20))],
  });
  assert.deepEqual(shown(state), before, 'the same lines on screen');
  assert.equal(state.unread, 4, 'joins and leaves are not counted');
  state = reduce(state, { type: 'dismiss' });
  assert.equal(state.scroll, 0);
  assert.equal(state.unread, 0);
  state = reduce(reduce(state, { type: 'scroll', by: 5 }), { type: 'bottom' });
  assert.equal(state.scroll, 0);
});

test('following the bottom, new events scroll into view', () => {
  let state = stateWith([{ type: 'events', events: many(60) }]);
  state = reduce(state, { type: 'events', events: [msg('bob', 'newest')] });
  assert.match(shown(state).at(-1)!, /bob {2}newest/);
  assert.equal(state.unread, 0);
});

test('the viewport bottom-aligns a short room and shows exactly its height', () => {
  const state = stateWith([{ type: 'events', events: [msg('bob', 'only one')] }]);
  const lines = shown(state);
  assert.equal(lines.length, messageArea(state).height);
  assert.deepEqual(
    lines.slice(0, -1).filter((l) => l !== ''),
    [],
  );
});

test('a resize re-wraps and keeps the scroll within bounds', () => {
  let state = stateWith([{ type: 'events', events: many(30) }], { rows: 20 });
  state = reduce(state, { type: 'scroll', by: 1000 });
  assert.equal(state.scroll, 30 - messageArea(state).height);
  state = reduce(state, { type: 'resize', columns: 30, rows: 20 });
  assert.ok(shown(state).every((l) => l.length <= 30));
  state = reduce(state, { type: 'scroll', by: 1000 });
  assert.match(
    shown(state).slice(0, 2).join(' '),
    /message .* number 1$/,
    'the top is still reachable after re-wrapping',
  );
  state = reduce(state, { type: 'resize', columns: 80, rows: 60 });
  assert.equal(state.scroll, 0, 'everything fits: nothing to scroll');
});

test('the layout gives the rest of the screen to the messages', () => {
  let state = stateWith([], { rows: 30 });
  assert.equal(layout(state).messages, 30 - 1 - 3 - 1);
  state = typedText(state, '/');
  const withPalette = layout(state);
  assert.ok(withPalette.palette > 0);
  assert.equal(withPalette.messages, 30 - 1 - withPalette.palette - 3 - 1);
  state = reduce(typedText(state, 'a\nb\nc'), { type: 'failed', message: 'nope', text: 'x' });
  assert.equal(state.input.text, 'x\na\nb\nc');
  state = typedText(state, 'a\nb\nc');
  state = { ...state, error: 'nope' };
  assert.equal(layout(state).messages, 30 - 1 - 5 - 1 - 1);
  assert.equal(layout(stateWith([], { rows: 4 })).hint, false, 'a tiny screen drops the hint first');
});

test('input: sending empties the box at once; a refused text comes back with the reason; editing clears it', () => {
  let state = reduce(typedText(stateWith([]), '/dm zed hi'), { type: 'submitted' });
  assert.equal(state.input.text, '', 'typing on goes into an empty box');
  state = reduce(state, { type: 'failed', message: 'no user zed has joined this room', text: '/dm zed hi' });
  assert.deepEqual(state.input, { text: '/dm zed hi', cursor: 10 });
  assert.equal(state.error, 'no user zed has joined this room');
  state = typedText(state, '/dm bob hi');
  assert.equal(state.error, null);
  // Typed while the refused text was in flight: kept, after it.
  state = reduce(reduce(typedText(state, 'typed meanwhile'), { type: 'failed', message: 'nope', text: 'refused' }), {
    type: 'dismiss',
  });
  assert.deepEqual(state.input, { text: 'refused\ntyped meanwhile', cursor: 7 });
});

test('editing: graphemes, words, lines', () => {
  let input = edit.insert(edit.EMPTY_INPUT, 'héllo 👍🏽');
  input = edit.backspace(input);
  assert.deepEqual(input, { text: 'héllo ', cursor: 6 });
  input = edit.left(edit.left(input));
  input = edit.insert(input, 'X');
  assert.equal(input.text, 'héllXo ');
  assert.deepEqual(edit.deleteForward(input).text, 'héllX ');
  assert.deepEqual(edit.killWord({ text: 'one two three', cursor: 13 }), { text: 'one two ', cursor: 8 });
  // Ctrl-U takes the whole draft before the cursor, not only its line.
  assert.deepEqual(edit.killToStart({ text: 'a\nbcd', cursor: 4 }), { text: 'd', cursor: 0 });
  assert.deepEqual(edit.killToEnd({ text: 'ab\ncd', cursor: 1 }), { text: 'a\ncd', cursor: 1 });
  assert.deepEqual(
    edit.killToEnd({ text: 'ab\ncd', cursor: 2 }),
    { text: 'abcd', cursor: 2 },
    'at the end: the newline',
  );
  assert.equal(edit.wordLeft({ text: 'one two  three', cursor: 14 }).cursor, 9);
  assert.equal(edit.wordRight({ text: 'one two three', cursor: 3 }).cursor, 7);
  assert.deepEqual(edit.lineMove({ text: 'abcdef\nxy', cursor: 9 }, -1), { text: 'abcdef\nxy', cursor: 2 });
  assert.deepEqual(edit.lineMove({ text: 'ab\nxyz', cursor: 2 }, 1), { text: 'ab\nxyz', cursor: 5 });
  assert.equal(edit.lineMove({ text: 'ab\nxyz', cursor: 1 }, -1), null, 'the first line: ↑ scrolls');
  assert.equal(edit.lineMove({ text: '👍🏽\nabc', cursor: 7 }, -1)?.cursor, 0, 'never inside an emoji');
  assert.deepEqual(edit.home({ text: 'a\nbcd', cursor: 4 }).cursor, 2);
  assert.deepEqual(edit.end({ text: 'a\nbcd\ne', cursor: 2 }).cursor, 5);
  assert.equal(edit.cleanPaste('one\r\ntwo\rthree\x1b[A'), 'one\ntwo\nthree[A');
});

test('the input box rows wrap long lines and follow the cursor', () => {
  assert.deepEqual(edit.inputRows({ text: 'abcdefgh', cursor: 8 }, 5), {
    rows: ['abcd', 'efgh'],
    cursorRow: 1,
    cursorAt: 4,
  });
  assert.deepEqual(edit.inputRows({ text: 'ab\ncd', cursor: 3 }, 10), {
    rows: ['ab', 'cd'],
    cursorRow: 1,
    cursorAt: 0,
  });
  assert.deepEqual(edit.inputRows({ text: '', cursor: 0 }, 10), { rows: [''], cursorRow: 0, cursorAt: 0 });
});

test('keys: Enter sends; \\ then Enter, Shift+Enter, Alt+Enter and Ctrl+J insert a newline', () => {
  const state = typedText(stateWith([]), 'line one');
  assert.deepEqual(onKey(state, '', key({ return: true })), { action: { type: 'submitted' }, send: ['line one'] });
  assert.deepEqual(onKey(typedText(state, '   '), '', key({ return: true })), {}, 'a blank input sends nothing');
  for (const flags of [
    { return: true, shift: true },
    { return: true, meta: true },
  ]) {
    assert.equal(
      onKey(state, '', key(flags)).action?.type === 'input' &&
        (onKey(state, '', key(flags)).action as { input: edit.Input }).input.text,
      'line one\n',
    );
  }
  const ctrlJ = onKey(state, '\n', key()).action as { input: edit.Input };
  assert.equal(ctrlJ.input.text, 'line one\n');
  const backslash = onKey(typedText(state, 'line one\\'), '', key({ return: true })).action as { input: edit.Input };
  assert.equal(backslash.input.text, 'line one\n');
});

test('keys: a chunk with carriage returns (typed while the UI was busy) reads each as Enter', () => {
  const state = stateWith([]);
  const empty = { text: '', cursor: 0 };
  assert.deepEqual(onKey(typedText(state, 'say '), 'hello\r', key()), {
    action: { type: 'input', input: empty },
    send: ['say hello'],
  });
  assert.deepEqual(onKey(state, 'one\rtwo\rthr', key()), {
    action: { type: 'input', input: { text: 'thr', cursor: 3 } },
    send: ['one', 'two'],
  });
  assert.deepEqual(onKey(state, 'a\\\rb\r', key()), { action: { type: 'input', input: empty }, send: ['a\nb'] });
  assert.deepEqual(onKey(state, 'hi\\\r', key()), { action: { type: 'input', input: { text: 'hi\n', cursor: 3 } } });
  assert.deepEqual(onKey(state, '\r\r', key()), {}, 'blank lines send nothing');
  // The backslash in an earlier chunk, its Enter at the start of this one.
  assert.deepEqual(onKey(typedText(state, 'lunch\\'), '\rnext\r', key()), {
    action: { type: 'input', input: empty },
    send: ['lunch\nnext'],
  });
});

test('keys: arrows scroll, pages scroll ten, Ctrl-C quits, Ctrl-P/Ctrl-N recall, Esc dismisses', () => {
  const state = stateWith([]);
  assert.deepEqual(onKey(state, '', key({ upArrow: true })), { action: { type: 'scroll', by: 1 } });
  assert.deepEqual(onKey(state, '', key({ downArrow: true })), { action: { type: 'scroll', by: -1 } });
  assert.deepEqual(onKey(state, '', key({ pageUp: true })), { action: { type: 'scroll', by: 10 } });
  assert.deepEqual(onKey(state, '', key({ pageDown: true })), { action: { type: 'scroll', by: -10 } });
  assert.deepEqual(onKey(state, 'c', key({ ctrl: true })), { quit: true });
  assert.deepEqual(
    onKey(state, 'p', key({ ctrl: true })),
    { action: { type: 'recall', move: -1 } },
    'Ctrl-P recalls the text sent before',
  );
  assert.deepEqual(
    onKey(state, 'n', key({ ctrl: true })),
    { action: { type: 'recall', move: 1 } },
    'Ctrl-N goes forward again',
  );
  assert.deepEqual(onKey(state, '', key({ escape: true })), { action: { type: 'dismiss' } });
  assert.deepEqual(onKey(typedText(state, 'ab'), '', key({ backspace: true })), {
    action: { type: 'input', input: { text: 'a', cursor: 1 } },
  });
});

test('keys with the palette open: arrows move in it, Tab completes, Enter completes or sends, Esc closes', () => {
  const state = typedText(stateWith([]), '/wh');
  assert.deepEqual(onKey(state, '', key({ downArrow: true })), { action: { type: 'palette', move: 1 } });
  assert.deepEqual(onKey(state, '', key({ tab: true })), {
    action: { type: 'input', input: { text: '/who', cursor: 4 } },
  });
  assert.deepEqual(onKey(state, '', key({ return: true })), {
    action: { type: 'input', input: { text: '/who', cursor: 4 } },
  });
  assert.deepEqual(onKey(typedText(state, '/who'), '', key({ return: true })), {
    action: { type: 'submitted' },
    send: ['/who'],
  });
  assert.deepEqual(onKey(typedText(state, '/dm'), '', key({ return: true })), {
    action: { type: 'input', input: { text: '/dm ', cursor: 4 } },
  });
  const closed = reduce(state, { type: 'closePalette' });
  assert.deepEqual(
    onKey(closed, '', key({ upArrow: true })),
    { action: { type: 'scroll', by: 1 } },
    'closed: arrows scroll again',
  );
});

test('/reply prefixes resolve among loaded events, preferring what is on screen', () => {
  const old = msg('bob', 'old', '3f2a1111-0000-4000-8000-000000000000');
  const recent = msg('bob', 'recent', '3f2a2222-0000-4000-8000-000000000000');
  const loaded = [eventEntry(old), eventEntry(recent), noticeEntry(notice('x'))];
  assert.equal(resolveReply('3F2A', loaded, [eventEntry(old)]), old.id);
  assert.equal(resolveReply('3f2a', loaded, []), recent.id, 'else the newest');
  assert.equal(resolveReply('3f2a1', loaded, []), old.id);
  assert.equal(resolveReply('beef', loaded, []), 'beef', 'unknown here: the broker decides');
});
