// Finding your way in a busy room, the pure parts: who the palette offers to
// /kick and /reauth, Enter on `/dm bob`, Tab on a bare name, the palette's
// "more" row, the title with many users, destructive commands asking first,
// and events missed while away placed before the "reconnected" note.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paletteLines, titleLine } from '../client/tui/chrome.ts';
import { confirmation } from '../client/tui/confirm.ts';
import type { Input } from '../client/tui/editor.ts';
import { onKey } from '../client/tui/keys.ts';
import { completeName, enterSends, paletteFor, type PaletteContext } from '../client/tui/palette.ts';
import { reduce } from '../client/tui/state.ts';
import { lineText } from '../client/tui/theme.ts';
import { NO_KEY } from '../client/tui/key-sequence.ts';
import { entryLines } from '../client/tui/look.ts';
import { ev, msg, stateWith } from './tui-fixtures.ts';

const at = (text: string, cursor = text.length): Input => ({ text, cursor });
const host: PaletteContext = {
  isHost: true,
  me: 'alice',
  names: ['alice', 'bob', 'carol', 'dave'],
  kicked: ['dave'],
};
const labels = (input: Input, ctx: PaletteContext) => paletteFor(input, ctx)?.items.map((i) => i.label) ?? null;

test('/kick offers neither you nor the kicked; /reauth offers only the kicked', () => {
  assert.deepEqual(labels(at('/kick '), host), ['bob', 'carol']);
  assert.deepEqual(labels(at('/reauth '), host), ['dave']);
  assert.equal(labels(at('/reauth '), { ...host, kicked: [] }), null);
});

test('Enter on `/dm bob` with bob offered completes to `/dm bob ` (the message is missing); on `/kick bob` it sends', () => {
  const dm = paletteFor(at('/dm bob'), host)!;
  assert.equal(enterSends(at('/dm bob'), dm, dm.items[0]!), false);
  const kick = paletteFor(at('/kick bob'), host)!;
  assert.equal(enterSends(at('/kick bob'), kick, kick.items[0]!), true);
});

test('Tab completes a name without @ at the start of a word, as irssi does', () => {
  assert.deepEqual(completeName(at('ca'), host), { text: 'carol: ', cursor: 7 });
  assert.deepEqual(completeName(at('thanks b'), host), { text: 'thanks bob ', cursor: 11 });
  assert.deepEqual(completeName(at('ask da now', 6), host), { text: 'ask dave now', cursor: 8 });
  const two = { ...host, names: ['alice', 'carl', 'carol'] };
  assert.deepEqual(completeName(at('c'), two), { text: 'car', cursor: 3 }, 'as far as the names agree');
  assert.equal(completeName(at('car'), two), null);
  assert.equal(completeName(at('zed'), host), null);
  assert.equal(completeName(at('al'), host), null, 'not yourself');
  const state = stateWith([], { me: 'alice' });
  const tab = onKey({ ...state, names: ['alice', 'bob'], input: at('b') }, '', { ...NO_KEY, tab: true });
  assert.deepEqual(tab.action, { type: 'input', input: { text: 'bob: ', cursor: 5 } });
});

test('the palette says how many entries it does not show', () => {
  const state = stateWith([], { rows: 24 });
  const lines = paletteLines({ ...state, input: at('/') }, 4, 80).map(lineText);
  assert.equal(lines.length, 4);
  assert.match(lines[3]!, /… \d+ more \(↑↓\)/);
});

test('the title keeps the host and you when users are left out, and counts you while live', () => {
  const users = Array.from({ length: 30 }, (_, i) => ({ user: `user${i}`, status: '', sessions: 1 }));
  const state = stateWith(
    [
      {
        type: 'users',
        users: { you: 'me', host: 'user29', online: [...users, { user: 'me', status: '', sessions: 1 }], recent: [] },
      },
      { type: 'connection', connection: 'live' },
    ],
    { me: 'me', host: 'user29', columns: 80 },
  );
  const title = lineText(titleLine(state, 80));
  assert.match(title, /31 online: user29 \(host\), me, user0.* \+\d+/);
  const alone = stateWith([{ type: 'connection', connection: 'live' }], { me: 'me' });
  assert.match(lineText(titleLine(alone, 80)), /1 online: me/, 'never 0 online while you are in');
});

test('/clear, /clear-tokens and /exit ask the host first; y sends, any other key cancels', () => {
  assert.match(confirmation('/clear', true)!, /empties the history/);
  assert.match(confirmation('/clear-tokens', true)!, /revokes every token/);
  assert.match(confirmation('/exit', true)!, /shuts/);
  assert.match(confirmation('/exit', true, true)!, /stops this machine's broker .*goes on on the other machines/);
  assert.match(confirmation('/clear', true, true)!, /empties the history for everyone/);
  assert.equal(confirmation('/clear', false), null, 'not the host: the broker refuses anyway');
  assert.equal(confirmation('/claim x', true), null);
  let state = { ...stateWith([]), input: at('/clear') };
  const enter = onKey(state, '\r', { ...NO_KEY, return: true });
  assert.equal(enter.send, undefined, 'nothing sent yet');
  state = reduce(state, enter.action!);
  assert.notEqual(state.confirm, null);
  const no = onKey(state, 'n', NO_KEY);
  assert.equal(no.send, undefined);
  assert.equal(reduce(state, no.action!).confirm, null);
  assert.equal(reduce(state, no.action!).input.text, '/clear', 'the draft is kept');
  const yes = onKey(state, 'y', NO_KEY);
  assert.deepEqual(yes.send, ['/clear']);
});

test('events missed while away go before the "reconnected" note; a "not sent" from the outage goes once live', () => {
  const missed = msg('bob', 'sent while alice was away');
  const later = new Date(Date.parse(missed.ts) + 5000);
  let state = stateWith([{ type: 'events', events: [ev({ type: 'join', user: 'alice' })] }]);
  state = reduce(state, { type: 'failed', message: 'not sent: the broker is not reachable', text: 'hi', away: true });
  state = {
    ...state,
    entries: [...state.entries, { kind: 'local', text: 'reconnected', tone: 'info', ts: later.toISOString() }],
  };
  state = reduce(state, { type: 'events', events: [missed] });
  const kinds = state.entries.map((e) => (e.kind === 'event' ? e.event.type : e.kind));
  assert.deepEqual(kinds, ['join', 'message', 'local']);
  assert.equal(state.error, 'not sent: the broker is not reachable');
  state = reduce(state, { type: 'connection', connection: 'live' });
  assert.equal(state.error, null);
  assert.equal(state.input.text, 'hi', 'the text stays, to send again');
});

test('a text given back as not sent leaves the input once the broker turns out to have stored it', () => {
  const away = { type: 'failed', message: 'not sent: the broker is not reachable', away: true } as const;
  // Given back above what was typed since: only the stored one leaves.
  let state = reduce(stateWith([]), { ...away, text: 'first\nsecond' });
  state = reduce(state, { type: 'sentAfterAll', text: 'first' });
  assert.deepEqual([state.input.text, state.error], ['second', 'not sent: the broker is not reachable']);
  // Alone in the input: it leaves, and the error with it.
  state = reduce(stateWith([]), { ...away, text: 'only' });
  state = reduce(state, { type: 'sentAfterAll', text: 'only' });
  assert.deepEqual([state.input.text, state.error], ['', null]);
  // Edited since: the input is the user's, it stays.
  state = reduce(stateWith([]), { ...away, text: 'mine' });
  state = reduce(state, { type: 'input', input: { text: 'mine, edited', cursor: 12 } });
  assert.equal(reduce(state, { type: 'sentAfterAll', text: 'mine' }).input.text, 'mine, edited');
});

test('a note goes under the event your poll/watch cursor points at, once', () => {
  const read = msg('carl', 'read already');
  const fresh = msg('carl', 'new to you');
  let state = reduce(stateWith([]), { type: 'leftOff', id: read.id });
  state = reduce(state, { type: 'events', events: [msg('carl', 'older'), read, fresh] });
  const texts = state.entries.map((e) => (e.kind === 'event' && e.event.type === 'message' ? e.event.content : e.kind));
  assert.deepEqual(texts, ['older', 'read already', 'local', 'new to you']);
  assert.equal(state.leftOff, null);
});

test('opening: the last -n messages, joins and leaves not counted and folded into one line; live ones apart', () => {
  const join = (user: string) => ev({ type: 'join', user });
  const leave = (user: string) => ev({ type: 'leave', user });
  const replay = [
    msg('carl', 'too old'),
    msg('carl', 'first kept'),
    join('bob'),
    leave('bob'),
    join('bob'),
    join('dave'),
    leave('erin'),
    msg('carl', 'second kept'),
  ];
  let state = reduce(stateWith([]), { type: 'budget', messages: 2 });
  state = reduce(state, { type: 'events', events: replay });
  assert.equal(state.entries.length, 4, 'folded, but nothing trimmed before your join ends the replay');
  state = reduce(state, { type: 'events', events: [join('alice')] });
  state = reduce(state, { type: 'events', events: [join('zoe')] });
  const shown = state.entries.map((e) => lineText(entryLines(e, 80, 'alice')[0]!).slice(9));
  assert.deepEqual(
    shown,
    [
      'carl  first kept',
      '→ bob, dave joined · ← erin left (5 joins and leaves)',
      'carl  second kept',
      '→ alice joined',
      '→ zoe joined',
    ].map((text, i) => (i === 0 || i === 2 ? shown[i]! : text)),
  );
  assert.match(shown[0]!, /^carl {2}first kept +[0-9a-f]{4}$/);
  assert.match(shown[2]!, /^carl {2}second kept +[0-9a-f]{4}$/);
  assert.equal(state.budget, null);
});

test('opening: a run of joins and leaves split between replay batches folds into one line', () => {
  const join = (user: string) => ev({ type: 'join', user });
  const leave = (user: string) => ev({ type: 'leave', user });
  // The replay arrives in several batches (link.ts draws them as they come): a run may span them.
  let state = reduce(stateWith([]), { type: 'budget', messages: 5 });
  state = reduce(state, { type: 'events', events: [join('bob'), leave('bob')] });
  state = reduce(state, { type: 'events', events: [join('dave')] });
  state = reduce(state, { type: 'events', events: [leave('erin'), msg('carl', 'after the run'), join('frank')] });
  state = reduce(state, { type: 'events', events: [join('gina'), join('alice')] });
  const shown = state.entries.map((e) =>
    lineText(entryLines(e, 80, 'alice')[0]!)
      .slice(9)
      .trimEnd(),
  );
  assert.equal(shown.length, 4);
  assert.equal(shown[0], '→ dave joined · ← bob, erin left (4 joins and leaves)');
  assert.match(shown[1]!, /^carl {2}after the run +[0-9a-f]{4}$/);
  assert.equal(shown[2], '→ frank, gina joined');
  assert.equal(shown[3], '→ alice joined', 'your join ends the replay: not folded');
  assert.equal(state.budget, null);
});

test('scrolling past the top of what is loaded asks for older history, which goes on top without moving the view', () => {
  let state = stateWith([{ type: 'events', events: [msg('carl', 'loaded')] }], { rows: 24 });
  state = reduce(state, { type: 'scroll', by: 10 });
  assert.equal(state.older, 'wanted');
  state = reduce(state, { type: 'olderLoading' });
  assert.equal(reduce(state, { type: 'scroll', by: 10 }).older, 'loading', 'one request at a time');
  const page = [msg('carl', 'older one'), msg('carl', 'older two')];
  state = reduce(state, { type: 'older', events: page });
  assert.deepEqual(
    state.entries.map((e) => (e.kind === 'event' && e.event.type === 'message' ? e.event.content : '')),
    ['older one', 'older two', 'loaded'],
  );
  assert.equal(state.older, 'idle');
  assert.equal(reduce(state, { type: 'older', events: [] }).older, 'none', 'the start of the history');
  assert.equal(reduce(state, { type: 'older', events: [], failed: true }).older, 'idle', 'failed: try again later');
});

test('/find focuses the newest match and ↑↓ move between matches; Ctrl-R chooses a message and Enter starts /reply', () => {
  const old = msg('carl', 'the parser is flaky');
  const other = msg('bob', 'lunch?');
  const recent = msg('bob', 'PARSER fixed');
  let state = stateWith([{ type: 'events', events: [old, other, recent] }], { rows: 24 });
  const typed = { ...state, input: at('/find parser') };
  const find = onKey(typed, '', { ...NO_KEY, return: true });
  assert.equal(find.send, undefined, '/find is never sent');
  state = reduce(typed, find.action!);
  assert.deepEqual(state.focus, { kind: 'find', query: 'parser', id: recent.id });
  assert.equal(state.input.text, '');
  state = reduce(state, onKey(state, '', { ...NO_KEY, upArrow: true }).action!);
  assert.equal(state.focus?.id, old.id, '↑: the older match');
  state = reduce(state, onKey(state, '', { ...NO_KEY, upArrow: true }).action!);
  assert.equal(state.focus?.id, old.id, 'no older one: it stays');
  state = reduce(state, onKey(state, '', { ...NO_KEY, escape: true }).action!);
  assert.equal(state.focus, null);
  assert.match(reduce(state, { type: 'find', query: 'nothing like it' }).error!, /no message loaded contains/);

  state = reduce(state, onKey(state, 'r', { ...NO_KEY, ctrl: true }).action!);
  assert.equal(state.focus?.id, recent.id);
  state = reduce(state, onKey(state, '', { ...NO_KEY, upArrow: true }).action!);
  assert.equal(state.focus?.id, other.id);
  state = reduce(state, onKey(state, '', { ...NO_KEY, return: true }).action!);
  assert.equal(state.input.text, `/reply ${other.id.slice(0, 4)} `);
  assert.equal(state.focus, null);
});
