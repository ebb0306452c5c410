// Which lines the message area shows. Only what is on screen is wrapped:
// the walk starts at the newest entry and stops once `scroll + height`
// lines are collected, so a history of 10,000 entries costs no more than
// one screenful (each entry's lines are cached per width, see look.ts).
import type { Entry } from './entry.ts';
import { entryLines, lineCount } from './look.ts';
import type { Line } from './theme.ts';

export interface Viewport {
  /** Exactly `height` lines, oldest first; blank lines on top when the room holds fewer. */
  readonly lines: readonly Line[];
  /** The entries with at least one line on screen, oldest first. */
  readonly entries: readonly Entry[];
}

/** The lines `scroll` lines above the bottom, `height` of them. */
export function viewport(entries: readonly Entry[], width: number, height: number, scroll: number, me: string): Viewport {
  const picked: Line[] = [];
  const shown: Entry[] = [];
  let skip = scroll;
  for (let i = entries.length - 1; i >= 0 && picked.length < height; i--) {
    const entry = entries[i]!;
    const lines = entryLines(entry, width, me);
    if (skip >= lines.length) {
      skip -= lines.length;
      continue;
    }
    const end = lines.length - skip;
    skip = 0;
    const start = Math.max(0, end - (height - picked.length));
    for (let j = end - 1; j >= start; j--) picked.push(lines[j]!);
    shown.push(entry);
  }
  while (picked.length < height) picked.push([]);
  return { lines: picked.reverse(), entries: shown.reverse() };
}

/** Lines from the bottom up, counting no further than `limit`. */
export function linesUpTo(entries: readonly Entry[], width: number, limit: number): number {
  let total = 0;
  for (let i = entries.length - 1; i >= 0 && total < limit; i--) total += lineCount(entries[i]!, width);
  return Math.min(total, limit);
}

/** The furthest `scroll` may go: the top line of the oldest entry at the top of the area. */
export function clampScroll(entries: readonly Entry[], width: number, height: number, scroll: number): number {
  if (scroll <= 0) return 0;
  const available = linesUpTo(entries, width, scroll + height);
  return Math.max(0, Math.min(scroll, available - height));
}
