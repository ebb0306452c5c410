// Day separators. Each entry shows only its local `HH:MM:SS` (format.ts
// `clock`), so where the local calendar day changes between two entries, and
// before the oldest entry when it is not from today, the message area draws
// one dim line naming the day:
//
//   ── Tue 24 Nov 2026 ──
//
// The separator belongs to the entry below it: it is that entry's top line
// in the viewport, so line counts (scrolling, the unread marker) include it.
import { type Entry, entryTime } from './entry.ts';
import { truncate } from './format.ts';
import { seg, type Line } from './theme.ts';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The local calendar day as yyyymmdd, or null for a time that is not a date. */
export function dayOf(date: Date): number | null {
  if (Number.isNaN(date.getTime())) return null;
  return date.getFullYear() * 10_000 + (date.getMonth() + 1) * 100 + date.getDate();
}

const days = new WeakMap<Entry, number | null>();

function entryDay(entry: Entry): number | null {
  let day = days.get(entry);
  if (day === undefined) {
    day = dayOf(new Date(entryTime(entry)));
    days.set(entry, day);
  }
  return day;
}

/** `Tue 24 Nov 2026`, in local time, the same in every locale. */
export function dayLabel(date: Date): string {
  return `${WEEKDAYS[date.getDay()]} ${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}`;
}

/**
 * Whether a separator goes above `entries[index]`: its day differs from the
 * entry before it, or it is the oldest entry and not from `today`. An entry
 * without a valid time never starts a day.
 */
export function startsDay(entries: readonly Entry[], index: number, today: number | null): boolean {
  const day = entryDay(entries[index]!);
  if (day === null) return false;
  if (index === 0) return day !== today;
  return day !== entryDay(entries[index - 1]!);
}

/** The separator line above an entry, at most `width` columns. */
export function separator(entry: Entry, width: number): Line {
  return [seg(truncate(`── ${dayLabel(new Date(entryTime(entry)))} ──`, Math.max(1, width)), { dim: true })];
}
