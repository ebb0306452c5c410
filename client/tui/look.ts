// How each entry looks: pure, width in, styled lines out. Every line is at
// most `width` columns, so Ink never wraps them again and the message area
// always has exactly the height it was given.
//
//   10:01:05 alice  hey everyone, who is looking at                     3f2a
//                   the parser?                      (hanging indent)
//   10:01:09 bob  ↳ alice: hey everyone, who is look…                   9c1e
//                 I am                                (reply, with a quote)
//   10:01:12 alice → bob  psst                                          77d0
//   10:01:14 → carol joined          10:01:20 * bob set status: reviewing
//
// The number of lines of an entry depends only on the entry and the width
// (never on who is looking), so scrolling can count lines without styling.
import type { RoomEvent } from '../../shared/events.ts';
import { shortId, SHORT_ID_LENGTH, type Entry } from './entry.ts';
import { clock, sanitize, truncate, width as widthOf, wrap } from './format.ts';
import { presenceSummary } from './presence.ts';
import { seg, userColor, type Line, type Segment, type Style } from './theme.ts';

const CLOCK_WIDTH = 9; // "HH:MM:SS "
const ID_WIDTH = SHORT_ID_LENGTH + 1;
/** Below this many columns left on the first line, the content starts on the next line. */
const MIN_FIRST = 8;

const DIM: Style = { dim: true };

interface Block {
  readonly ts: string;
  readonly head: readonly Segment[];
  readonly content: string;
  readonly style?: Style;
  /** A short id shown at the right end of the first line. */
  readonly id?: string;
  /** A one-line quote before the content (replies). */
  readonly quote?: string;
  /** Style the first word of the content like this (the command of a command event). */
  readonly lead?: Style;
  /** Spaces between the head and the content: 2 after a name, 1 after a marker. */
  readonly gap?: number;
}

function name(user: string, max: number, style: Style = {}): Segment {
  return seg(truncate(user, max), { bold: true, color: userColor(user), ...style });
}

/** Colours @mentions in a line of content; a mention of `me` stands out. */
function paint(text: string, base: Style | undefined, me: string): Segment[] {
  if (!text.includes('@')) return [seg(text, base)];
  return text
    .split(/(@[A-Za-z0-9._-]+)/)
    .filter((t) => t !== '')
    .map((t) => {
      if (!t.startsWith('@')) return seg(t, base);
      return seg(
        t,
        t.slice(1) === me ? { ...base, bold: true, color: 'yellow', inverse: true } : { ...base, bold: true },
      );
    });
}

function block(b: Block, width: number, me: string): Line[] {
  const gap = b.gap ?? 2;
  const headWidth = CLOCK_WIDTH + b.head.reduce((n, s) => n + widthOf(s.text), 0) + gap;
  const idWidth = b.id === undefined ? 0 : ID_WIDTH;
  const indent = headWidth <= Math.floor(width / 2) ? headWidth : Math.min(CLOCK_WIDTH + 2, width - 1);
  const rest = Math.max(1, width - indent);
  const room = width - headWidth - idWidth;
  const firstFits = room >= MIN_FIRST;
  const quoteFirst = b.quote !== undefined;
  const texts = quoteFirst ? wrap(b.content, rest) : wrap(b.content, rest, firstFits ? room : 0);
  const first: Segment[] = [seg(`${clock(b.ts)} `, DIM), ...b.head, seg(' '.repeat(gap))];
  const lines: Segment[][] = [];
  const leadAt = b.lead === undefined ? -1 : texts.findIndex((t) => t !== '');
  let body = texts.map((text, i) => (i === leadAt ? lead(text, b.lead!, b.style, me) : paint(text, b.style, me)));
  if (quoteFirst) {
    const quote = seg(truncate(`↳ ${b.quote}`, firstFits ? room : rest), DIM);
    body = firstFits ? [[quote], ...body] : [[], [quote], ...body];
  } else if (!firstFits) {
    body = [[], ...body.slice(1)];
  }
  body.forEach((segments, i) => {
    lines.push(i === 0 ? [...first, ...segments] : [seg(' '.repeat(indent)), ...segments]);
  });
  if (b.id !== undefined) {
    const line = lines[0]!;
    const used = line.reduce((n, s) => n + widthOf(s.text), 0);
    if (used + idWidth <= width) line.push(seg(' '.repeat(width - used - SHORT_ID_LENGTH)), seg(b.id, DIM));
  }
  return lines;
}

function lead(text: string, style: Style, base: Style | undefined, me: string): Segment[] {
  const space = text.indexOf(' ');
  if (space === -1) return [seg(text, style)];
  return [seg(text.slice(0, space), style), ...paint(text.slice(space), base, me)];
}

/** A command as typed: `/claim the parser` (raw: sanitize before showing it). */
const commandText = (event: Extract<RoomEvent, { type: 'command' }>): string =>
  `/${event.cmd}${event.params.length === 0 ? '' : ` ${event.params.join(' ')}`}`;

/** A line of what an event says, for a reply's quote: every field from another user is sanitized. */
function gist(event: RoomEvent): string {
  switch (event.type) {
    case 'message':
    case 'reply':
    case 'dm':
    case 'system':
      return sanitize(event.content).replace(/\s+/g, ' ').trim();
    case 'command':
      return sanitize(commandText(event)).replace(/\s+/g, ' ').trim();
    case 'join':
      return 'joined';
    case 'leave':
      return 'left';
  }
}

function presence(ts: string, user: string, joined: boolean, width: number): Line[] {
  const text = joined ? ' joined' : ' left';
  const max = Math.max(1, width - CLOCK_WIDTH - 2 - text.length);
  return [
    [
      seg(`${clock(ts)} `, DIM),
      seg(joined ? '→ ' : '← ', DIM),
      seg(truncate(user, max), { color: userColor(user) }),
      seg(text, DIM),
    ],
  ];
}

function eventLines(entry: Extract<Entry, { kind: 'event' }>, width: number, me: string): Line[] {
  const { event } = entry;
  const nameMax = Math.max(4, Math.floor(width / 3));
  switch (event.type) {
    case 'join':
    case 'leave':
      return presence(event.ts, event.user, event.type === 'join', width);
    case 'message':
      return block(
        { ts: event.ts, head: [name(event.user, nameMax)], content: sanitize(event.content), id: shortId(event.id) },
        width,
        me,
      );
    case 'reply': {
      const target = entry.target;
      const quote = target === undefined ? `${shortId(event.reply_to)}…` : `${target.user}: ${gist(target)}`;
      return block(
        {
          ts: event.ts,
          head: [name(event.user, nameMax)],
          content: sanitize(event.content),
          id: shortId(event.id),
          quote,
        },
        width,
        me,
      );
    }
    case 'dm': {
      const half = Math.max(4, Math.floor(nameMax / 2));
      const head = [name(event.user, half), seg(' → ', { bold: true, color: 'magenta' }), name(event.to, half)];
      return block(
        {
          ts: event.ts,
          head,
          content: sanitize(event.content),
          id: shortId(event.id),
          style: { italic: true, color: 'magenta' },
        },
        width,
        me,
      );
    }
    case 'command':
      return block(
        {
          ts: event.ts,
          head: [name(event.user, nameMax)],
          content: sanitize(commandText(event)),
          id: shortId(event.id),
          lead: { bold: true, color: 'cyan' },
        },
        width,
        me,
      );
    case 'system':
      return block(
        {
          ts: event.ts,
          head: [seg('*', { bold: true, color: 'yellow' })],
          gap: 1,
          content: sanitize(event.content),
          style: { italic: true },
        },
        width,
        me,
      );
  }
}

/** A folded run of joins and leaves (presence.ts): one line, cut to the width. */
function presenceRun(entry: Extract<Entry, { kind: 'presence' }>, width: number): Line[] {
  const { joined, left, count } = presenceSummary(entry);
  const parts: Segment[] = [seg(`${clock(entry.events.at(-1)!.ts)} `, DIM)];
  const group = (arrow: string, users: string[], verb: string) => {
    if (users.length === 0) return;
    if (parts.length > 1) parts.push(seg(' · ', DIM));
    parts.push(seg(`${arrow} `, DIM));
    users.forEach((u, i) => {
      if (i > 0) parts.push(seg(', ', DIM));
      parts.push(seg(u, { color: userColor(u) }));
    });
    parts.push(seg(` ${verb}`, DIM));
  };
  group('→', joined, 'joined');
  group('←', left, 'left');
  if (count > joined.length + left.length) parts.push(seg(` (${count} joins and leaves)`, DIM));
  return [fit(parts, width)];
}

/** Segments cut to `width` columns, the last one ending with `…` when cut. */
function fit(parts: readonly Segment[], width: number): Line {
  const out: Segment[] = [];
  let used = 0;
  for (const part of parts) {
    const w = widthOf(part.text);
    if (used + w <= width) {
      out.push(part);
      used += w;
      continue;
    }
    out.push(seg(truncate(part.text, width - used), part.style));
    break;
  }
  return out;
}

function build(entry: Entry, width: number, me: string): Line[] {
  switch (entry.kind) {
    case 'event':
      return eventLines(entry, width, me);
    case 'presence':
      return presenceRun(entry, width);
    case 'notice':
      return block(
        {
          ts: entry.notice.ts,
          head: [seg('»', { bold: true, color: 'blueBright' }), seg(' only you:', DIM)],
          gap: 1,
          content: sanitize(entry.notice.content),
        },
        width,
        me,
      );
    case 'local': {
      const color = entry.tone === 'error' ? 'red' : entry.tone === 'warn' ? 'yellow' : undefined;
      return block(
        {
          ts: entry.ts,
          head: [seg('!', { bold: true, color })],
          gap: 1,
          content: entry.text,
          style: entry.tone === 'info' ? DIM : { color },
        },
        width,
        me,
      );
    }
  }
}

/**
 * The styled lines of the entries drawn lately, the most recently used last
 * (a Map keeps insertion order): bounded, so a long session does not keep
 * the lines of every entry it ever showed. A screenful and the scrolling
 * around it fit many times over; anything else is rebuilt when needed.
 */
const CACHED_ENTRIES = 2000;
const cache = new Map<Entry, { width: number; me: string; lines: Line[] }>();

function remember(entry: Entry, value: { width: number; me: string; lines: Line[] }): void {
  cache.delete(entry);
  cache.set(entry, value);
  if (cache.size > CACHED_ENTRIES) cache.delete(cache.keys().next().value!);
}

/** The styled lines of an entry at this width, as `me` sees them (cached per entry). */
export function entryLines(entry: Entry, width: number, me: string): Line[] {
  const hit = cache.get(entry);
  if (hit !== undefined && hit.width === width && hit.me === me) return hit.lines;
  const lines = build(entry, Math.max(1, width), me);
  remember(entry, { width, me, lines });
  return lines;
}

/** How many lines an entry takes at this width (the same for every viewer). */
export function lineCount(entry: Entry, width: number): number {
  const hit = cache.get(entry);
  return hit !== undefined && hit.width === width ? hit.lines.length : entryLines(entry, width, '').length;
}
