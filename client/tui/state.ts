// Everything the terminal UI shows, in one immutable state, and the pure
// transitions between states. The session (link.ts) and the keys (keys.ts)
// only dispatch actions; components only read the state.
//
// Scrolling: `scroll` counts lines above the bottom (0 follows new events).
// While it is above 0, entries arriving below add their lines to it, so the
// lines on screen stay where they are; `unread` counts them for the marker.
import type { NatsState, Users } from '../../shared/api.ts';
import type { Claim } from '../../shared/claims.ts';
import { BROKER_USER } from '../../shared/names.ts';
import type { Notice, RoomEvent } from '../../shared/events.ts';
import { EMPTY_INPUT, type Input } from './editor.ts';
import { entryTime, eventEntry, localEntry, noticeEntry, type Entry, type Tone } from './entry.ts';
import { messageArea } from './layout.ts';
import { EMPTY_RECALL, newer, older, remember, settle, type Recall } from './recall.ts';
import { dayOf } from './days.ts';
import { findFocus, focusIndex, replyDraft, type Focus } from './focus.ts';
import { foldPresence } from './presence.ts';
import { clampScroll, countAt } from './viewport.ts';

/** The most entries kept; older ones are dropped (the history file keeps everything). */
export const MAX_ENTRIES = 20_000;

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'ended';

export interface OnlineUser {
  readonly user: string;
  readonly status: string;
}

export interface State {
  readonly room: string;
  readonly me: string;
  readonly host: string | null;
  readonly entries: readonly Entry[];
  readonly online: readonly OnlineUser[];
  /** The open claims (GET /claims), shown beside their holders' names in the title. */
  readonly claims: readonly Claim[];
  /** Users who listen without a live session (room follow, a waiting watch). */
  readonly listening: number;
  /** Every username seen in the room, sorted (for completion). */
  readonly names: readonly string[];
  /** Names the host kicked (offered by /reauth, not by /kick). */
  readonly kicked: readonly string[];
  readonly connection: Connection;
  /** A room shared between machines: whether its broker reaches the NATS server (absent on one machine). */
  readonly nats?: NatsState;
  readonly scroll: number;
  readonly unread: number;
  readonly input: Input;
  /** Texts sent in this session, for Ctrl-P / Ctrl-N (recall.ts). */
  readonly recall: Recall;
  /** The highlighted palette row; `paletteClosed` after Esc, until the input changes. */
  readonly paletteIndex: number;
  readonly paletteClosed: boolean;
  /** Why the last input was not sent; shown under the input, which has its text back. */
  readonly error: string | null;
  /** Set when the error is the broker being unreachable: it goes once the session is live again. */
  readonly errorWhileAway?: boolean;
  /** A destructive command waiting for `y` (confirm.ts): the question shown. */
  readonly confirm: string | null;
  /** The text the last Ctrl-K, Ctrl-U or Ctrl-W removed, for Ctrl-Y. */
  readonly killed: string;
  /**
   * Where you left off: the event your poll/watch cursor points at. A note
   * goes right after it when it arrives (once); the UI never moves the cursor.
   */
  readonly leftOff: string | null;
  /** While the opening replay lasts: how many messages of it to keep (`-n`); null after. */
  readonly budget: number | null;
  /**
   * Older history (older.ts): `wanted` once scrolling went past the top of
   * what is loaded, `loading` while a page is asked for, `none` when the
   * start of the history was reached.
   */
  readonly older: 'idle' | 'wanted' | 'loading' | 'none';
  /** A message found by /find or chosen for a reply (focus.ts), the view moved to it. */
  readonly focus: Focus | null;
  readonly size: { readonly columns: number; readonly rows: number };
}

export type Action =
  | { readonly type: 'events'; readonly events: readonly RoomEvent[] }
  | { readonly type: 'notice'; readonly notice: Notice }
  /** The host emptied the history: what is shown of it goes (the clear's notice follows). */
  | { readonly type: 'cleared' }
  | { readonly type: 'local'; readonly text: string; readonly tone: Tone }
  | { readonly type: 'users'; readonly users: Users }
  | { readonly type: 'claims'; readonly claims: readonly Claim[] }
  /** Everyone who ever joined the room, and who of them is kicked (from the room's state file). */
  | { readonly type: 'roster'; readonly names: readonly string[]; readonly kicked: readonly string[] }
  | { readonly type: 'connection'; readonly connection: Connection }
  | { readonly type: 'nats'; readonly state: NatsState }
  | { readonly type: 'scroll'; readonly by: number }
  | { readonly type: 'bottom' }
  | { readonly type: 'resize'; readonly columns: number; readonly rows: number }
  | { readonly type: 'input'; readonly input: Input; readonly killed?: string }
  | { readonly type: 'palette'; readonly move: number }
  | { readonly type: 'closePalette' }
  /** The input was taken to be sent: the box empties at once, so typing on is never lost. */
  | { readonly type: 'submitted' }
  /** A text went to be sent: remembered for recall. */
  | { readonly type: 'sent'; readonly text: string }
  /** Ctrl-P (-1, older) / Ctrl-N (+1, newer). */
  | { readonly type: 'recall'; readonly move: -1 | 1 }
  /** Not sent: the text comes back into the input (before anything typed since), with why. */
  | { readonly type: 'failed'; readonly message: string; readonly text: string; readonly away?: boolean }
  /** A text given back as not sent that the broker had stored after all (its event came in the stream). */
  | { readonly type: 'sentAfterAll'; readonly text: string }
  | { readonly type: 'dismiss' }
  /** Ask before sending the input (a question), or stop asking (null). */
  | { readonly type: 'confirm'; readonly question: string | null }
  | { readonly type: 'leftOff'; readonly id: string | null }
  | { readonly type: 'budget'; readonly messages: number | null }
  | { readonly type: 'olderLoading' }
  /** A page of older events (oldest first; none: the start of the history). */
  | { readonly type: 'older'; readonly events: readonly RoomEvent[]; readonly failed?: boolean }
  /** `/find <query>`: the newest match. */
  | { readonly type: 'find'; readonly query: string }
  /** Ctrl-R: choose a message to answer, starting from the newest. */
  | { readonly type: 'chooseReply' }
  /** ↑ (-1, older) / ↓ (+1, newer) to the next match or message. */
  | { readonly type: 'focusMove'; readonly move: -1 | 1 }
  /** Enter on the chosen message: `/reply <id> ` in the input. */
  | { readonly type: 'replyToFocus' }
  | { readonly type: 'unfocus' };

export function initialState(room: string, me: string, host: string | null, size: State['size']): State {
  return {
    room,
    me,
    host,
    size,
    entries: [],
    online: [],
    claims: [],
    listening: 0,
    names: [me],
    kicked: [],
    connection: 'connecting',
    scroll: 0,
    unread: 0,
    input: EMPTY_INPUT,
    recall: EMPTY_RECALL,
    paletteIndex: 0,
    paletteClosed: false,
    error: null,
    confirm: null,
    killed: '',
    leftOff: null,
    budget: null,
    older: 'idle',
    focus: null,
  };
}

function withNames(names: readonly string[], more: Iterable<string>): readonly string[] {
  const fresh = [...new Set(more)].filter((n) => n !== BROKER_USER && !names.includes(n));
  return fresh.length === 0 ? names : [...names, ...fresh].sort();
}

/** A reply's target, searched from the newest entry back (targets are usually recent). */
function findEvent(entries: readonly Entry[], batch: readonly Entry[], id: string): RoomEvent | undefined {
  for (const list of [batch, entries]) {
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i]!;
      if (entry.kind === 'event' && entry.event.id === id) return entry.event;
    }
  }
  return undefined;
}

/**
 * Where room events go: before the UI's own notes at the end that are newer
 * than the first of them. Events missed while away arrive after "reconnected"
 * was noted; they belong before it, in their place in time.
 */
function insertionPoint(entries: readonly Entry[], added: readonly Entry[]): number {
  const first = added[0];
  if (first === undefined || first.kind !== 'event') return entries.length;
  let at = entries.length;
  while (at > 0 && entries[at - 1]!.kind === 'local' && entryTime(entries[at - 1]!) > first.event.ts) at--;
  return at;
}

/**
 * Adds entries (at the end, or before newer notes), with `fold` folding runs
 * of joins and leaves (presence.ts); keeps the view still when scrolled up;
 * drops the oldest beyond MAX_ENTRIES.
 */
function append(state: State, added: readonly Entry[], fold = false): State {
  if (added.length === 0) return state;
  const at = insertionPoint(state.entries, added);
  // The common case in a flood and in the opening replay (new events at the
  // end, the view following them): one new array. Each copy of 20,000
  // entries is a large object that only a full GC frees; the general path
  // below makes four per batch. A fold can only merge the batch into the
  // last entry, so only that one is folded again.
  if (at === state.entries.length && state.scroll === 0) {
    if (!fold) return { ...state, entries: tail(state.entries, added) };
    const last = state.entries.length - 1;
    if (last < 0) return { ...state, entries: tail([], foldPresence(added, 0)) };
    return { ...state, entries: tail(state.entries, foldPresence([state.entries[last]!, ...added], 1), last) };
  }
  // Everything before `from` is unchanged; the fold may merge into the entry just before `at`.
  const from = Math.max(0, at - 1);
  let entries: Entry[] = [...state.entries.slice(0, at), ...added, ...state.entries.slice(at)];
  if (fold) entries = foldPresence(entries, from);
  let below = 0;
  if (state.scroll > 0) {
    // The lines added below the view, day separators included: the tail's lines now less before.
    const { width } = messageArea(state);
    const today = dayOf(new Date());
    for (let i = from; i < entries.length; i++) below += countAt(entries, i, width, today);
    for (let i = from; i < state.entries.length; i++) below -= countAt(state.entries, i, width, today);
  }
  if (entries.length > MAX_ENTRIES) entries = entries.slice(entries.length - MAX_ENTRIES);
  if (state.scroll === 0) return { ...state, entries };
  const { width, height } = messageArea(state);
  const news = added.filter((e) => e.kind === 'notice' || (e.kind === 'event' && !isJoinOrLeave(e.event))).length;
  return {
    ...state,
    entries,
    scroll: clampScroll(entries, width, height, state.scroll + Math.max(0, below)),
    unread: state.unread + news,
  };
}

/** The last MAX_ENTRIES of the first `keep` of `entries` followed by `added`, built in one allocation. */
function tail(entries: readonly Entry[], added: readonly Entry[], keep = entries.length): Entry[] {
  const total = keep + added.length;
  const skip = Math.max(0, total - MAX_ENTRIES);
  const out = new Array<Entry>(total - skip);
  let n = 0;
  for (let i = skip; i < keep; i++) out[n++] = entries[i]!;
  for (let i = Math.max(0, skip - keep); i < added.length; i++) out[n++] = added[i]!;
  return out;
}

const isJoinOrLeave = (event: RoomEvent) => event.type === 'join' || event.type === 'leave';

/**
 * The replay on opening asks for more events than `-n` (link.ts) so that
 * joins and leaves do not use up the budget: once it is over (your own join
 * ends it), only the last `budget` messages are kept, with what came after
 * the oldest of them.
 */
function trimToBudget(entries: readonly Entry[], budget: number): readonly Entry[] {
  let seen = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    if (entry.kind !== 'event' || isJoinOrLeave(entry.event)) continue;
    if (seen === budget) return entries.slice(i + 1);
    seen++;
  }
  return entries;
}

/** The note under the event you had read up to (state.leftOff). */
export const LEFT_OFF_NOTE = 'you had read up to here (your poll/watch cursor); what follows is new';

function events(state: State, list: readonly RoomEvent[]): State {
  const batch: Entry[] = [];
  let leftOff = state.leftOff;
  for (const event of list) {
    batch.push(
      event.type === 'reply' ? eventEntry(event, findEvent(state.entries, batch, event.reply_to)) : eventEntry(event),
    );
    if (event.id === leftOff) {
      batch.push({ kind: 'local', text: LEFT_OFF_NOTE, tone: 'info', ts: event.ts });
      leftOff = null;
    }
  }
  const names = withNames(
    state.names,
    list.flatMap((e) => (e.type === 'dm' ? [e.user, e.to] : [e.user])),
  );
  if (state.budget === null) return append({ ...state, leftOff, names }, batch);
  // The opening replay: its joins and leaves fold, up to your own join, which ends it.
  const end = batch.findIndex((e) => e.kind === 'event' && e.event.type === 'join' && e.event.user === state.me);
  if (end === -1) return append({ ...state, leftOff, names }, batch, true);
  const replayed = append({ ...state, leftOff, names }, batch.slice(0, end), true);
  const trimmed = { ...replayed, budget: null, entries: trimToBudget(replayed.entries, state.budget) };
  return append(trimmed, batch.slice(end));
}

function scrollTo(state: State, scroll: number): State {
  const { width, height } = messageArea(state);
  const next = clampScroll(state.entries, width, height, scroll);
  // Past the top of what is loaded: ask for older history (link.ts).
  const older = scroll > next && state.older === 'idle' ? 'wanted' : state.older;
  if (next === state.scroll && older === state.older) return state;
  return { ...state, scroll: next, unread: next === 0 ? 0 : state.unread, older };
}

/** Focuses the event `id` (or says nothing matched) and scrolls so that its last line is at the bottom. */
function focusOn(state: State, focus: Focus | null, none: string): State {
  if (focus === null) return { ...state, error: none };
  const at = focusIndex(state.entries, focus.id);
  const { width } = messageArea(state);
  const today = dayOf(new Date());
  let below = 0;
  for (let i = at + 1; i < state.entries.length; i++) below += countAt(state.entries, i, width, today);
  const moved = scrollTo({ ...state, focus, error: null }, below);
  return moved.scroll === 0 ? { ...moved, unread: 0 } : moved;
}

function focusMove(state: State, move: -1 | 1): State {
  const focus = state.focus;
  if (focus === null) return state;
  const at = focusIndex(state.entries, focus.id);
  const id = findFocus(state.entries, focus, move < 0 ? { before: at } : { after: at });
  return id === null ? state : focusOn(state, { ...focus, id }, '');
}

/** Older events go on top; the view stays on what it shows (scroll counts from the bottom). */
function prepend(state: State, list: readonly RoomEvent[]): State {
  if (list.length === 0) return { ...state, older: 'none' };
  if (state.entries.length >= MAX_ENTRIES) return { ...state, older: 'none' };
  const batch: Entry[] = [];
  for (const event of list)
    batch.push(event.type === 'reply' ? eventEntry(event, findEvent([], batch, event.reply_to)) : eventEntry(event));
  const entries = [...batch, ...state.entries].slice(0, MAX_ENTRIES);
  const names = withNames(
    state.names,
    list.flatMap((e) => (e.type === 'dm' ? [e.user, e.to] : [e.user])),
  );
  return { ...state, entries, names, older: 'idle' };
}

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case 'events':
      return events(state, action.events);
    case 'notice':
      return append(state, [noticeEntry(action.notice)]);
    case 'cleared':
      return { ...state, entries: [], scroll: 0, unread: 0, older: 'none' };
    case 'local':
      return append(state, [localEntry(action.text, action.tone)]);
    case 'users': {
      const { users } = action;
      // Read defensively: newer brokers may add fields, or leave out a status.
      const online = users.online.map((u) => ({ user: u.user, status: typeof u.status === 'string' ? u.status : '' }));
      const names = withNames(state.names, [
        ...online.map((u) => u.user),
        ...users.recent.map((u) => u.user),
        ...(users.host === null ? [] : [users.host]),
      ]);
      return { ...state, online, listening: users.listening?.length ?? 0, names, host: users.host };
    }
    case 'claims':
      return { ...state, claims: action.claims };
    case 'leftOff':
      return { ...state, leftOff: action.id };
    case 'budget':
      return { ...state, budget: action.messages };
    case 'find': {
      const query = action.query.trim();
      const id = findFocus(state.entries, { kind: 'find', query }, { before: state.entries.length });
      const cleared = { ...state, input: EMPTY_INPUT, paletteIndex: 0, paletteClosed: false };
      return focusOn(
        cleared,
        id === null ? null : { kind: 'find', query, id },
        `no message loaded contains "${query}"`,
      );
    }
    case 'chooseReply': {
      const id = findFocus(state.entries, { kind: 'reply' }, { before: state.entries.length });
      return focusOn(state, id === null ? null : { kind: 'reply', id }, 'no message to answer');
    }
    case 'focusMove':
      return focusMove(state, action.move);
    case 'replyToFocus': {
      if (state.focus === null) return state;
      const text = replyDraft(state.focus.id);
      return { ...state, focus: null, scroll: 0, unread: 0, input: { text, cursor: text.length } };
    }
    case 'unfocus':
      return { ...state, focus: null };
    case 'olderLoading':
      return { ...state, older: 'loading' };
    case 'older':
      return action.failed === true ? { ...state, older: 'idle' } : prepend(state, action.events);
    case 'roster':
      return { ...state, names: withNames(state.names, action.names), kicked: action.kicked };
    case 'connection': {
      // Back live: "not sent: the broker is not reachable" is over (the text is still in the input).
      const over = action.connection === 'live' && state.errorWhileAway === true;
      return over
        ? { ...state, connection: action.connection, error: null, errorWhileAway: false }
        : { ...state, connection: action.connection };
    }
    case 'nats': {
      // NATS back: "not sent: … cannot be reached" is over (the text is still in the input).
      const over = action.state === 'connected' && state.errorWhileAway === true;
      return over
        ? { ...state, nats: action.state, error: null, errorWhileAway: false }
        : { ...state, nats: action.state };
    }
    case 'scroll':
      return scrollTo(state, state.scroll + action.by);
    case 'bottom':
      return { ...state, scroll: 0, unread: 0 };
    case 'resize': {
      const resized = { ...state, size: { columns: action.columns, rows: action.rows } };
      return scrollTo(resized, resized.scroll);
    }
    case 'input':
      return {
        ...state,
        input: action.input,
        killed: action.killed ?? state.killed,
        recall: settle(state.recall),
        error: null,
        confirm: null,
        paletteClosed: false,
        paletteIndex: action.input.text === state.input.text ? state.paletteIndex : 0,
      };
    case 'palette':
      return { ...state, paletteIndex: state.paletteIndex + action.move };
    case 'closePalette':
      return { ...state, paletteClosed: true };
    case 'submitted':
      return { ...state, input: EMPTY_INPUT, error: null, confirm: null, paletteIndex: 0, paletteClosed: false };
    case 'confirm':
      return { ...state, confirm: action.question, error: null };
    case 'sent':
      return { ...state, recall: remember(state.recall, action.text) };
    case 'recall': {
      const moved = action.move < 0 ? older(state.recall, state.input) : newer(state.recall);
      return moved === null
        ? state
        : { ...state, recall: moved.recall, input: moved.input, error: null, paletteIndex: 0, paletteClosed: false };
    }
    case 'failed': {
      const typed = state.input.text;
      const text = typed === '' ? action.text : `${action.text}\n${typed}`;
      return {
        ...state,
        input: { text, cursor: action.text.length },
        error: action.message,
        errorWhileAway: action.away === true,
      };
    }
    case 'sentAfterAll': {
      // Only if the input still starts with it as given back: anything the user changed stays theirs.
      const typed = state.input.text;
      const rest =
        typed === action.text ? '' : typed.startsWith(`${action.text}\n`) ? typed.slice(action.text.length + 1) : null;
      if (rest === null) return state;
      const cursor = Math.max(0, state.input.cursor - (typed.length - rest.length));
      const errorGoes = rest === '' && state.errorWhileAway;
      return {
        ...state,
        input: { text: rest, cursor },
        error: errorGoes ? null : state.error,
        errorWhileAway: errorGoes ? false : state.errorWhileAway,
      };
    }
    case 'dismiss':
      return state.error !== null ? { ...state, error: null } : { ...state, scroll: 0, unread: 0 };
  }
}
