// Which lines the message area shows. Only what is on screen is wrapped:
// the walk starts at the newest entry and stops once `scroll + height`
// lines are collected, so a history of 10,000 entries costs no more than
// one screenful (each entry's lines are cached per width, see look.ts).
// An entry that starts a local day has a separator line on top (days.ts);
// every count here includes it, so what is counted is what is drawn.
import { dayOf, separator, startsDay } from './days.ts';
import type { Entry } from './entry.ts';
import { entryLines, lineCount } from './look.ts';
import type { Line } from './theme.ts';

export interface Viewport {
  /** Exactly `height` lines, oldest first; blank lines on top when the room holds fewer. */
  readonly lines: readonly Line[];
  /** The entries with at least one line on screen, oldest first. */
  readonly entries: readonly Entry[];
  /** For each line, the entry it belongs to (null for the blank lines on top). */
  readonly owners: readonly (Entry | null)[];
}

/** The lines of `entries[index]` as drawn, with its day separator when it starts a day. */
function linesAt(
  entries: readonly Entry[],
  index: number,
  width: number,
  me: string,
  today: number | null,
): readonly Line[] {
  const entry = entries[index]!;
  const lines = entryLines(entry, width, me);
  return startsDay(entries, index, today) ? [separator(entry, width), ...lines] : lines;
}

/** How many lines `linesAt` gives, without styling. */
export function countAt(entries: readonly Entry[], index: number, width: number, today: number | null): number {
  return lineCount(entries[index]!, width) + (startsDay(entries, index, today) ? 1 : 0);
}

/** The lines `scroll` lines above the bottom, `height` of them. */
export function viewport(
  entries: readonly Entry[],
  width: number,
  height: number,
  scroll: number,
  me: string,
  now = new Date(),
): Viewport {
  const today = dayOf(now);
  const picked: Line[] = [];
  const owners: (Entry | null)[] = [];
  const shown: Entry[] = [];
  let skip = scroll;
  for (let i = entries.length - 1; i >= 0 && picked.length < height; i--) {
    const entry = entries[i]!;
    const lines = linesAt(entries, i, width, me, today);
    if (skip >= lines.length) {
      skip -= lines.length;
      continue;
    }
    const end = lines.length - skip;
    skip = 0;
    const start = Math.max(0, end - (height - picked.length));
    for (let j = end - 1; j >= start; j--) {
      picked.push(lines[j]!);
      owners.push(entry);
    }
    shown.push(entry);
  }
  while (picked.length < height) {
    picked.push([]);
    owners.push(null);
  }
  return { lines: picked.reverse(), entries: shown.reverse(), owners: owners.reverse() };
}

/** Lines from the bottom up, counting no further than `limit`. */
export function linesUpTo(entries: readonly Entry[], width: number, limit: number, now = new Date()): number {
  const today = dayOf(now);
  let total = 0;
  for (let i = entries.length - 1; i >= 0 && total < limit; i--) total += countAt(entries, i, width, today);
  return Math.min(total, limit);
}

/** The furthest `scroll` may go: the top line of the oldest entry at the top of the area. */
export function clampScroll(
  entries: readonly Entry[],
  width: number,
  height: number,
  scroll: number,
  now = new Date(),
): number {
  if (scroll <= 0) return 0;
  const available = linesUpTo(entries, width, scroll + height, now);
  return Math.max(0, Math.min(scroll, available - height));
}
