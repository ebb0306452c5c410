// The one-line key hint: it follows what the user is doing and, on a narrow
// terminal, drops items from the end but always keeps the last (how to quit).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hintLine } from '../client/tui/chrome.ts';
import { width } from '../client/tui/format.ts';
import { many, stateWith } from './tui-fixtures.ts';

const text = (columns: number, actions: Parameters<typeof stateWith>[0] = []) =>
  hintLine(stateWith(actions, { columns }), columns)
    .map((s) => s.text)
    .join('');

test('the hint fits the width and always ends with how to quit', () => {
  assert.equal(text(120), 'Enter send · \\ Enter newline · ↑↓ PgUp PgDn scroll · / commands · @ names · Ctrl-C quit');
  for (const columns of [85, 80, 60, 40, 25]) {
    const hint = text(columns);
    assert.ok(width(hint) <= columns, `${columns} columns: ${hint}`);
    assert.ok(hint.endsWith(' · Ctrl-C quit'), `${columns} columns: ${hint}`);
    assert.ok(hint.startsWith('Enter send'), `${columns} columns: ${hint}`);
  }
  assert.ok(width(text(8)) <= 8, 'narrower than the last item: cut');
});

test('scrolled up, the hint says how to get back', () => {
  assert.match(
    text(100, [
      { type: 'events', events: many(100) },
      { type: 'scroll', by: 3 },
    ]),
    /Esc back to the newest · Ctrl-C quit$/,
  );
});
