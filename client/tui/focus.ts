// One message in focus, found or chosen, and the view moved to it. Pure.
//
// - Search: `/find <text>` (kept in the UI, never sent) focuses the newest
//   message containing the text (case-insensitive); ↑ and ↓ go to the older
//   and newer matches; every match on screen is highlighted, the focused one
//   more. Esc ends it.
// - Reply: Ctrl-R focuses the newest message; ↑ and ↓ move to older and
//   newer ones; Enter starts `/reply <id> ` in the input. Esc cancels.
import type { RoomEvent } from '../../shared/events.ts';
import { shortId, type Entry } from './entry.ts';
import { sanitize } from './format.ts';
import { seg, type Line, type Segment, type Style } from './theme.ts';
import type { Viewport } from './viewport.ts';

export type Focus =
  | { readonly kind: 'find'; readonly query: string; readonly id: string }
  | { readonly kind: 'reply'; readonly id: string };

/** The text of an event a search looks in (what is drawn of it). */
function searchable(event: RoomEvent): string {
  switch (event.type) {
    case 'message':
    case 'reply':
    case 'dm':
    case 'system':
      return sanitize(event.content);
    case 'command':
      return sanitize(`/${event.cmd} ${event.params.join(' ')}`);
    default:
      return '';
  }
}

const isAnswerable = (event: RoomEvent) =>
  event.type === 'message' || event.type === 'reply' || event.type === 'command' || event.type === 'system';

/** Whether an entry can take this focus: a search's match, or a message one can /reply to. */
function fits(
  entry: Entry,
  focus: { kind: Focus['kind']; query?: string },
): entry is Extract<Entry, { kind: 'event' }> {
  if (entry.kind !== 'event') return false;
  if (focus.kind === 'reply') return isAnswerable(entry.event);
  return searchable(entry.event).toLowerCase().includes(focus.query!.toLowerCase());
}

/** Where the focused event is in the entries, or -1. */
export function focusIndex(entries: readonly Entry[], id: string): number {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    if (entry.kind === 'event' && entry.event.id === id) return i;
  }
  return -1;
}

/** The newest entry (before `before`) that fits, or the next newer one (after `after`); null when none. */
export function findFocus(
  entries: readonly Entry[],
  focus: { kind: Focus['kind']; query?: string },
  from: { before: number } | { after: number },
): string | null {
  if ('before' in from) {
    for (let i = Math.min(from.before, entries.length) - 1; i >= 0; i--) {
      const entry = entries[i]!;
      if (fits(entry, focus)) return entry.event.id;
    }
  } else {
    for (let i = from.after + 1; i < entries.length; i++) {
      const entry = entries[i]!;
      if (fits(entry, focus)) return entry.event.id;
    }
  }
  return null;
}

/** What Enter writes into the input for a reply focus. */
export const replyDraft = (id: string): string => `/reply ${shortId(id)} `;

const MATCH: Style = { color: 'yellow', inverse: true };
const CURRENT: Style = { color: 'yellow', inverse: true, bold: true };

/** A line with every occurrence of `query` (case-insensitive) styled `style`. */
function mark(line: Line, query: string, style: Style): Line {
  const q = query.toLowerCase();
  const out: Segment[] = [];
  for (const segment of line) {
    const lower = segment.text.toLowerCase();
    let from = 0;
    for (let at = lower.indexOf(q); at !== -1 && q !== ''; at = lower.indexOf(q, from)) {
      if (at > from) out.push(seg(segment.text.slice(from, at), segment.style));
      out.push(seg(segment.text.slice(at, at + q.length), { ...segment.style, ...style }));
      from = at + q.length;
    }
    if (from < segment.text.length) out.push(from === 0 ? segment : seg(segment.text.slice(from), segment.style));
  }
  return out;
}

/**
 * The message area's lines with the focus drawn: a search's matches marked
 * (the focused one brighter), or the message chosen for a reply shown inverse.
 */
export function focusLines(view: Viewport, focus: Focus | null): readonly Line[] {
  if (focus === null) return view.lines;
  return view.lines.map((line, i) => {
    const owner = view.owners[i];
    if (owner === null || owner === undefined || owner.kind !== 'event') return line;
    const focused = owner.event.id === focus.id;
    if (focus.kind === 'find') return mark(line, focus.query, focused ? CURRENT : MATCH);
    return focused ? line.map((s) => seg(s.text, { ...s.style, inverse: true })) : line;
  });
}
