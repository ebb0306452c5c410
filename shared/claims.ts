// What a claim is and when two claims collide. Pure logic, used by the broker
// (its claim table) and by clients (`room edit-check` reads the claims file).
//
// `/claim <what…>`: the leading words that look like paths (they contain
// `/`, `.`, `*`, `?`, `[` or `{`) are each claimed as a path or glob; with no
// such word, the whole text is one free-text topic. Two claims overlap when:
// - both are topics and read the same (case and spacing aside);
// - both are paths and one equals the other or is a parent folder of it
//   (`src` covers `src/a.ts`), or one is a glob matching the other
//   (`src/*.ts` matches `src/a.ts`; `src/**` matches the glob `src/*.ts` too).
// Two unrelated globs (`**/*.ts` and `src/*.md`) are not compared further: a
// glob's claim covers what it matches, not every file it might share.
import { matchesGlob, posix } from 'node:path';

import { Claim, type ClaimKind } from './claim-schema.ts';

export { Claim, type ClaimKind };

export interface ClaimTarget {
  readonly what: string;
  readonly kind: ClaimKind;
}

const PATH_LIKE = /[/.*?[{]/;
const GLOB = /[*?[{]/;

/** A path as claims compare it: no `./`, no doubled or trailing slashes, `..` resolved. */
export function normalisePath(path: string): string {
  const normal = posix.normalize(path.replace(/\\/g, '/'));
  const trimmed = normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
  return trimmed.startsWith('./') ? trimmed.slice(2) : trimmed;
}

function normaliseTopic(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** What `/claim <words…>` (or `/release <words…>`) names: its leading path-like words, or one topic. */
export function claimTargets(words: readonly string[]): ClaimTarget[] {
  const parts = words.flatMap((w) => w.split(/\s+/)).filter((w) => w !== '');
  const paths: ClaimTarget[] = [];
  for (const word of parts) {
    if (!PATH_LIKE.test(word)) break;
    paths.push({ what: normalisePath(word), kind: 'path' });
  }
  if (paths.length > 0) return paths;
  const topic = normaliseTopic(parts.join(' '));
  return topic === '' ? [] : [{ what: topic, kind: 'topic' }];
}

/** True when claiming `a` claims `b` too: the same, a parent folder of it, or a glob matching it. */
export function covers(a: ClaimTarget, b: ClaimTarget): boolean {
  if (a.kind !== b.kind) return false;
  if (a.what === b.what) return true;
  if (a.kind === 'topic') return false;
  if (a.what === '.' || b.what.startsWith(`${a.what}/`)) return true;
  return GLOB.test(a.what) && matchesGlob(b.what, a.what);
}

export function overlaps(a: ClaimTarget, b: ClaimTarget): boolean {
  return covers(a, b) || covers(b, a);
}

/** The claims that cover a file about to be edited, given relative to the project (or absolute). */
export function claimsOnFile(claims: readonly Claim[], file: string): Claim[] {
  const target: ClaimTarget = { what: normalisePath(file), kind: 'path' };
  return claims.filter((c) => overlaps(c, target));
}
