// The lines around the messages, built purely from the state: the title,
// the "new below" marker, the palette, the input box, the error and the
// hint. Each line is at most `width` columns.
import { pad, sanitizeLine, truncate, width as widthOf } from './format.ts';
import { inputColumns, openPalette, type Layout } from './layout.ts';
import type { State } from './state.ts';
import { seg, userColor, type Line, type Segment, type Style } from './theme.ts';

const DIM: Style = { dim: true };
const segmenter = new Intl.Segmenter();
const lineWidth = (line: readonly Segment[]) => line.reduce((n, s) => n + widthOf(s.text), 0);

const CONNECTION: Record<State['connection'], Segment> = {
  connecting: seg('◌ connecting…', { color: 'yellow' }),
  live: seg('● live', { color: 'green' }),
  reconnecting: seg('◌ reconnecting…', { color: 'yellow', bold: true }),
  ended: seg('✕ disconnected', { color: 'red' }),
};
/** A live session whose broker lost the room's NATS server (a room shared between machines). */
const NATS_UNREACHABLE = seg('◌ NATS unreachable', { color: 'yellow', bold: true });

/**
 * Who the title lists, in order: the host and you first (they are never the
 * ones left out behind `+N`), then the others as the broker lists them. You
 * are in it while your session is live, even before the broker's list says so.
 */
function titleUsers(state: State): State['online'] {
  const online = [...state.online];
  if (state.connection === 'live' && !online.some((u) => u.user === state.me))
    online.push({ user: state.me, status: '' });
  const rank = (user: string) => (user === state.host ? 0 : user === state.me ? 1 : 2);
  return online
    .map((u, i) => ({ u, i }))
    .sort((a, b) => rank(a.u.user) - rank(b.u.user) || a.i - b.i)
    .map((x) => x.u);
}

/** `[src/a.ts +1]`: what a user holds, the first claim (cut) and how many more. */
function claimsOf(state: State, user: string): string | null {
  const held = state.claims.filter((c) => c.user === user);
  if (held.length === 0) return null;
  const more = held.length > 1 ? ` +${held.length - 1}` : '';
  return ` [${truncate(sanitizeLine(held[0]!.what), 20)}${more}]`;
}

/** The users after the room's name: each with (host), their claims when `withClaims`, and status; `+N` for the rest. */
function userSegments(state: State, online: State['online'], room: number, withClaims: boolean) {
  const chunks = online.map((u, i) => {
    const parts = [
      seg(i === 0 ? ': ' : ', ', DIM),
      seg(u.user, { color: userColor(u.user), bold: u.user === state.me }),
    ];
    if (u.user === state.host) parts.push(seg(' (host)', DIM));
    const claims = withClaims ? claimsOf(state, u.user) : null;
    if (claims !== null) parts.push(seg(claims, { color: 'yellow' }));
    if (u.status !== '') parts.push(seg(`: ${truncate(sanitizeLine(u.status), 24)}`, DIM));
    return parts;
  });
  const users: Segment[] = [];
  let shown = 0;
  for (const [i, chunk] of chunks.entries()) {
    const left = chunks.length - i - 1;
    if (lineWidth(users) + lineWidth(chunk) + (left > 0 ? ` +${left}`.length : 0) <= room) {
      users.push(...chunk);
      shown++;
      continue;
    }
    const more = ` +${chunks.length - i}`;
    if (lineWidth(users) + more.length <= room) users.push(seg(more, DIM));
    break;
  }
  return { users, shown };
}

/**
 * `[ myroom ]  1 listening ·  2 online: alice (host) [src/a.ts], bob: reviewing      ● live`
 * (listening only when some are). A holder's claims go beside their name where they fit: when
 * they would push users out behind `+N`, the claims are left out (/claims lists them all).
 */
export function titleLine(state: State, width: number): Line {
  const online = titleUsers(state);
  const left: Segment[] = [
    seg(` ${state.room} `, { bold: true, inverse: true }),
    seg(`${state.listening > 0 ? `  ${state.listening} listening ·` : ''}  ${online.length} online`, DIM),
  ];
  const right =
    state.connection === 'live' && state.nats === 'unreachable' ? NATS_UNREACHABLE : CONNECTION[state.connection];
  const room = width - lineWidth(left) - widthOf(right.text) - 2;
  const withClaims = userSegments(state, online, room, true);
  const { users } = withClaims.shown < online.length ? userSegments(state, online, room, false) : withClaims;
  const line = [...left, ...users];
  const gap = width - lineWidth(line) - widthOf(right.text) - 1;
  return gap >= 1
    ? [...line, seg(' '.repeat(gap)), right, seg(' ')]
    : [seg(truncate(line.map((s) => s.text).join(''), width))];
}

/** While scrolled up: how many entries arrived below (shown in the input box's top border). */
function markerSegment(state: State): Segment | null {
  if (state.scroll === 0) return null;
  if (state.unread === 0) return seg(' ↓ more below · Esc ', { inverse: true });
  return seg(` ↓ ${state.unread} new below · Esc `, { color: 'yellow', inverse: true, bold: true });
}

export function paletteLines(state: State, rows: number, width: number): Line[] {
  const palette = openPalette(state);
  if (palette === null || rows === 0) return [];
  // With more entries than rows, the last row says how many are not shown.
  const more = palette.items.length > rows && rows > 1;
  const listed = more ? rows - 1 : rows;
  const start = Math.min(Math.max(0, palette.selected - listed + 1), Math.max(0, palette.items.length - listed));
  const shown = palette.items.slice(start, start + listed);
  const labelWidth = Math.min(Math.max(...shown.map((i) => widthOf(i.label))), Math.floor(width / 2));
  const lines = shown.map((item, i): Line => {
    const selected = start + i === palette.selected;
    const label = pad(truncate(item.label, labelWidth), labelWidth);
    const detail = truncate(item.detail, Math.max(0, width - labelWidth - 6));
    return [
      seg(selected ? ' › ' : '   ', { color: 'cyan', bold: true }),
      seg(label, selected ? { color: 'cyan', bold: true, inverse: true } : { color: 'cyan' }),
      seg('  '),
      seg(detail, DIM),
    ];
  });
  if (more) lines.push([seg(truncate(`   … ${palette.items.length - listed} more (↑↓)`, width), DIM)]);
  return lines;
}

/** The first row of the draft in the box: the box shows the rows around the cursor. */
function firstInputRow(lay: Layout): number {
  const { rows, cursorRow } = lay.input;
  return Math.min(Math.max(0, cursorRow - lay.inputHeight + 1), rows.length - lay.inputHeight);
}

/**
 * Where the input cursor is on the screen (0-based, from the top left), for
 * the terminal's own cursor: the box's top border is below the title, the
 * message area and the palette; `│ ` comes before the text.
 */
export function inputCursor(lay: Layout): { x: number; y: number } {
  const { rows, cursorRow, cursorAt } = lay.input;
  return {
    x: 2 + widthOf(rows[cursorRow]!.slice(0, cursorAt)),
    y: 1 + lay.messages + lay.palette + 1 + cursorRow - firstInputRow(lay),
  };
}

/** The bordered box, titled with the username; the cursor is drawn inverse. */
export function inputLines(state: State, lay: Layout, width: number): Line[] {
  const inner = inputColumns(width);
  const border: Style = state.connection === 'live' && state.nats !== 'unreachable' ? DIM : { color: 'yellow' };
  const title = truncate(state.me, Math.max(1, width - 8));
  const marker = markerSegment(state);
  const tail =
    marker !== null && widthOf(title) + widthOf(marker.text) + 8 <= width
      ? [marker, seg('─╮', border)]
      : [seg('╮', border)];
  const fill = Math.max(0, width - widthOf(title) - 4 - lineWidth(tail));
  const top: Line = [
    seg('╭─ ', border),
    seg(title, { bold: true, color: userColor(state.me) }),
    seg(` ${'─'.repeat(fill)}`, border),
    ...tail,
  ];
  const bottom: Line = [seg(`╰${'─'.repeat(Math.max(0, width - 2))}╯`, border)];
  const { rows, cursorRow, cursorAt } = lay.input;
  const first = firstInputRow(lay);
  const body = rows.slice(first, first + lay.inputHeight).map((row, i): Line => {
    let segments: Segment[];
    if (first + i === cursorRow) {
      const after = row.slice(cursorAt);
      const under = after === '' ? '' : (segmenter.segment(after)[Symbol.iterator]().next().value?.segment ?? '');
      segments = [
        seg(row.slice(0, cursorAt)),
        seg(under === '' ? ' ' : under, { inverse: true }),
        seg(after.slice(under.length)),
      ];
      if (state.input.text === '')
        segments.push(seg(truncate('Write a message · / commands · @ names', inner - 1), DIM));
    } else {
      segments = [seg(row)];
    }
    return [
      seg('│ ', border),
      ...segments,
      seg(' '.repeat(Math.max(0, inner - lineWidth(segments)))),
      seg(' │', border),
    ];
  });
  return [top, ...body, bottom];
}

/** Under the input: why it was not sent (red), or the question before a destructive command (yellow). */
export function errorLines(lay: Layout, state?: State): Line[] {
  const style: Style = state?.confirm != null ? { color: 'yellow', bold: true } : { color: 'red' };
  return lay.error.map((text) => [seg(text, style)]);
}

const HINTS = {
  palette: ['↑↓ choose', 'Tab complete', 'Enter complete or send', 'Esc close'],
  scrolled: ['↑↓ line', 'PgUp PgDn page', 'Esc back to the newest', 'Ctrl-C quit'],
  find: ['↑ older match', '↓ newer match', 'Esc end the search'],
  reply: ['↑↓ choose a message', 'Enter reply to it', 'Esc cancel'],
  typing: ['Enter send', '\\ Enter newline', '↑↓ PgUp PgDn scroll', '/ commands', '@ names', 'Ctrl-C quit'],
};

/**
 * The keys for what the user is doing. On a narrow terminal the items
 * before the last are dropped from the end, so the last one (how to quit,
 * or close the palette) always shows.
 */
export function hintLine(state: State, width: number): Line {
  const items =
    state.focus !== null
      ? HINTS[state.focus.kind]
      : openPalette(state) !== null
        ? HINTS.palette
        : state.scroll > 0
          ? HINTS.scrolled
          : HINTS.typing;
  const last = items.at(-1)!;
  let shown = items.slice(0, -1);
  const text = () => [...shown, last].join(' · ');
  while (shown.length > 0 && widthOf(text()) > width) shown = shown.slice(0, -1);
  return [seg(truncate(text(), width), DIM)];
}
