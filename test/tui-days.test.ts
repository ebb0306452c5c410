// Day separators in the message area (client/tui/days.ts, viewport.ts): where
// the local day changes, and above the oldest entry when it is not from
// today. Dates are built with local-time constructors, so the tests hold in
// any timezone.
import './tui-force-color.ts';
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { App } from '../client/tui/components/App.ts';
import { dayLabel } from '../client/tui/days.ts';
import { eventEntry, type Entry } from '../client/tui/entry.ts';
import { messageArea } from '../client/tui/layout.ts';
import { initialState, reduce } from '../client/tui/state.ts';
import { Store } from '../client/tui/store.ts';
import { lineText } from '../client/tui/theme.ts';
import { clampScroll, linesUpTo, viewport } from '../client/tui/viewport.ts';
import { ev, stateWith } from './tui-fixtures.ts';

const local = (y: number, m: number, d: number, h = 12) => new Date(y, m - 1, d, h, 0, 0);
const said = (at: Date, content: string) => ev({ type: 'message', user: 'carl', content }, { ts: at.toISOString() });
const NOW = local(2026, 11, 24, 15);
const LINE = /^── \w{3} \d{1,2} \w{3} \d{4} ──$/;

test('dayLabel names the local day the same in every locale', () => {
  assert.equal(dayLabel(local(2026, 11, 24, 0)), 'Tue 24 Nov 2026');
  assert.equal(dayLabel(local(2026, 1, 4, 23)), 'Sun 4 Jan 2026');
});

test('a separator above the oldest entry when it is not from today, and where the day changes', () => {
  const entries: Entry[] = [
    said(local(2026, 11, 22, 23), 'late one'),
    said(local(2026, 11, 23, 0), 'just after midnight'),
    said(local(2026, 11, 23, 9), 'same day'),
    said(local(2026, 11, 24, 8), 'today'),
  ].map((e) => eventEntry(e));
  const lines = viewport(entries, 80, 8, 0, 'alice', NOW).lines.map(lineText);
  assert.deepEqual(
    lines.map((l) => (LINE.test(l) ? l : l.replace(/^\d\d:\d\d:\d\d carl +/, '').replace(/ +[0-9a-f]{4}$/, ''))),
    [
      '',
      '── Sun 22 Nov 2026 ──',
      'late one',
      '── Mon 23 Nov 2026 ──',
      'just after midnight',
      'same day',
      '── Tue 24 Nov 2026 ──',
      'today',
    ],
  );
  // Only today's entries: no separator at all.
  const todays = [said(local(2026, 11, 24, 8), 'a'), said(local(2026, 11, 24, 9), 'b')].map((e) => eventEntry(e));
  assert.ok(
    !viewport(todays, 80, 4, 0, 'alice', NOW)
      .lines.map(lineText)
      .some((l) => LINE.test(l)),
  );
  // The separator is dim and fits a narrow area.
  const narrow = viewport(entries, 12, 8, 0, 'alice', NOW).lines;
  const sep = narrow.find((l) => lineText(l).startsWith('──'))!;
  assert.ok(lineText(sep).length <= 12);
  assert.deepEqual(sep[0]!.style, { dim: true });
});

test('line counts include the separators, so scrolling reaches exactly the top', () => {
  const entries: Entry[] = [];
  for (let day = 1; day <= 10; day++)
    for (let i = 0; i < 3; i++) entries.push(eventEntry(said(local(2026, 11, day, 8 + i), `day ${day} number ${i}`)));
  const width = 80;
  const height = 7;
  const total = linesUpTo(entries, width, Infinity, NOW);
  assert.equal(total, 30 + 10, 'thirty one-line messages and ten separators');
  const top = clampScroll(entries, width, height, 1000, NOW);
  assert.equal(top, total - height);
  const view = viewport(entries, width, height, top, 'alice', NOW).lines.map(lineText);
  assert.equal(view[0], '── Sun 1 Nov 2026 ──');
  assert.match(view[1]!, /^08:00:00 carl {2}day 1 number 0 /);
  // Every scroll position shows `height` consecutive lines of the full list.
  const all = viewport(entries, width, total, 0, 'alice', NOW).lines.map(lineText);
  for (let scroll = 0; scroll <= top; scroll++) {
    assert.deepEqual(
      viewport(entries, width, height, scroll, 'alice', NOW).lines.map(lineText),
      all.slice(total - height - scroll, total - scroll),
    );
  }
});

test('scrolled up, an event that starts a new day does not move the view (its separator is counted)', () => {
  const yesterday = new Date();
  yesterday.setDate(yesterday.getDate() - 1);
  const events = Array.from({ length: 40 }, (_, i) => said(yesterday, `old ${i}`));
  let state = stateWith([{ type: 'events', events }]);
  state = reduce(state, { type: 'scroll', by: 10 });
  const { width, height } = messageArea(state);
  const before = viewport(state.entries, width, height, state.scroll, state.me).lines.map(lineText);
  state = reduce(state, { type: 'events', events: [said(new Date(), 'a new day')] });
  assert.equal(state.scroll, 12, 'one line of message and one of separator');
  assert.deepEqual(viewport(state.entries, width, height, state.scroll, state.me).lines.map(lineText), before);
  state = reduce(state, { type: 'bottom' });
  const bottom = viewport(state.entries, width, height, 0, state.me).lines.map(lineText);
  assert.equal(bottom.at(-2), `── ${dayLabel(new Date())} ──`);
});

test('drawn: the separator is on screen, dim, and without colour codes under NO_COLOR', async (t: TestContext) => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const yesterday = new Date();
  yesterday.setDate(yesterday.getDate() - 1);
  for (const color of [true, false]) {
    const size = { columns: 60, rows: 12 };
    const store = new Store(initialState('demo', 'alice', 'alice', size));
    store.dispatch({ type: 'connection', connection: 'live' });
    store.dispatch({ type: 'events', events: [said(yesterday, 'before'), said(new Date(), 'after')] });
    const app = render(React.createElement(App, { store, size, color, onSend: () => {}, onQuit: () => {} }));
    t.after(() => app.unmount());
    await sleep(20);
    const frame = app.lastFrame() ?? '';
    const rows = frame.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    const labels = [`── ${dayLabel(yesterday)} ──`, `── ${dayLabel(new Date())} ──`];
    const at = labels.map((label) => rows.findIndex((r) => r.trimEnd() === label));
    assert.ok(at[0]! >= 0 && at[1]! > at[0]!, frame);
    assert.match(rows[at[0]! + 1]!, /before/);
    assert.match(rows[at[1]! + 1]!, /after/);
    assert.equal(rows.length, size.rows, 'the frame fills the terminal exactly');
    const raw = frame.split('\n').find((r) => r.includes(labels[0]!))!;
    assert.ok(raw.includes('\x1b[2m'), 'dim');
    if (!color) assert.ok(!/\x1b\[(3[0-79]|9[0-7])m/.test(frame), 'no colour');
  }
});
