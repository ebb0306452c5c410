// `room sned myroom` reads as `room <room-id> <username>`: it would open (and
// create) room `sned` as user `myroom`. A first word one slip away from a
// command's name is taken as a typo of that command.

/** The commands a first word may be a typo of (the session form has none). */
const COMMAND_NAMES = ['join', 'send', 'poll', 'watch', 'init', 'log', 'stop', 'help'];

/** Optimal string alignment distance (edits and adjacent swaps), capped: only 0, 1 and "more" matter here. */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 1) return 2;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows[i] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[i]![j] = j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The command `word` is probably a typo of (`sned` → `send`, `Send` → `send`), or undefined. */
export function commandTypo(word: string): string | undefined {
  if (word.length < 3) return undefined;
  const lower = word.toLowerCase();
  return COMMAND_NAMES.find((name) => name !== word && distance(lower, name) <= 1);
}
