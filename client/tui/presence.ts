// Runs of joins and leaves. A room whose users come and go (restarts,
// reconnects, one-shot agents) would fill the screen with `→ bob joined`
// lines; consecutive joins and leaves fold into one entry, drawn as one line
// that says where each user ended up:
//
//   10:01:20 → alice, bob joined · ← carl left (7 joins and leaves)
//
// Pure: the fold works on the end of the list only (what was just added).
import type { Entry } from './entry.ts';

type EventEntry = Extract<Entry, { kind: 'event' }>;

function isPresence(entry: Entry): boolean {
  if (entry.kind === 'presence') return true;
  return entry.kind === 'event' && (entry.event.type === 'join' || entry.event.type === 'leave');
}

const eventsOf = (entry: Entry) => (entry.kind === 'presence' ? entry.events : [(entry as EventEntry).event]);

/** `entries` with joins and leaves from index `from` on folded into the run before them. */
export function foldPresence(entries: readonly Entry[], from: number): Entry[] {
  const out = entries.slice(0, Math.max(0, from));
  for (let i = Math.max(0, from); i < entries.length; i++) {
    const entry = entries[i]!;
    const last = out.at(-1);
    if (last !== undefined && isPresence(entry) && isPresence(last)) {
      out[out.length - 1] = { kind: 'presence', events: [...eventsOf(last), ...eventsOf(entry)] };
    } else {
      out.push(entry);
    }
  }
  return out;
}

/** Where each user of a run ended up, in order of first appearance: `{ joined: [...], left: [...] }`. */
export function presenceSummary(entry: Extract<Entry, { kind: 'presence' }>): {
  joined: string[];
  left: string[];
  count: number;
} {
  const last = new Map<string, 'join' | 'leave'>();
  for (const event of entry.events) last.set(event.user, event.type === 'join' ? 'join' : 'leave');
  const joined = [...last].filter(([, t]) => t === 'join').map(([u]) => u);
  const left = [...last].filter(([, t]) => t === 'leave').map(([u]) => u);
  return { joined, left, count: entry.events.length };
}
