// A lock file naming the live process that holds it: `<pid> <start>\n`, where
// <start> is the process's start time (field 22 of /proc/<pid>/stat, in clock
// ticks since boot), so a pid reused by an unrelated process after the holder
// died is not mistaken for the holder. Used for the broker's hold on its room
// (room-<id>.pid, for the broker's whole life) and for the short lock a client
// takes while it starts a broker (room-<id>.lock).
//
// Node has no flock(2), so the kernel cannot release the lock for us; instead
// every would-be holder checks the recorded one:
// - a holder that is alive (same pid, same start time) keeps the lock;
// - a holder that is dead is broken at once;
// - a file that names no holder (empty or garbage: a full disk, a crash
//   between create and write, a planted file) is broken once it is older than
//   GRACE_MS, which leaves a holder time to finish writing it;
// - a file that is not ours (another user's, a symlink, a FIFO) is an error
//   naming it (shared/safe-fs.ts), never broken.
// Breaking renames the file aside and checks that what was moved is still
// the dead lock that was read; if another process took the lock in between,
// the lock is put back. Where there is no /proc (macOS), only the pid is checked.
import * as fs from 'node:fs';
import { createFileExclusive, readFileSafe } from './safe-fs.ts';

/** How long a lock file that names no holder is left alone before it is broken. */
export const GRACE_MS = 2000;

export interface LockHolder {
  readonly pid: number;
  /** The process's start time from /proc, or '' where /proc is not available. */
  readonly start: string;
}

/** The start time of process `pid` (clock ticks since boot), '' without /proc, null if no such process. */
export function processStart(pid: number): string | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return '';
    return fs.existsSync('/proc/self/stat') ? null : '';
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); a zombie has exited.
  if (fields[0] === 'Z') return null;
  return fields[19] ?? '';
}

export function selfHolder(): LockHolder {
  return { pid: process.pid, start: processStart(process.pid) ?? '' };
}

function format(holder: LockHolder): string {
  return `${holder.pid} ${holder.start}\n`;
}

/** The holder a lock file names, or null when it names none (empty, garbage). */
export function parseHolder(text: string): LockHolder | null {
  const match = /^(\d{1,10}) ?(\d*)\n?$/.exec(text);
  if (match === null) return null;
  const pid = Number(match[1]);
  return pid > 0 ? { pid, start: match[2]! } : null;
}

export function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(holder.pid);
  if (start === null) return false;
  return holder.start === '' || start === '' || start === holder.start;
}

export type LockState =
  | { readonly held: true }
  | { readonly held: false; readonly holder: LockHolder | null; readonly path: string };

/** The lock's holder if it is alive, null if the file names none yet; undefined if it can be broken. */
function liveHolder(text: string, mtimeMs: number): LockHolder | null | undefined {
  const holder = parseHolder(text);
  if (holder === null) return Date.now() - mtimeMs < GRACE_MS ? null : undefined;
  return isAlive(holder) ? holder : undefined;
}

/** Reads a lock file: its text and age, or null if there is none. Throws unsafe_path for a file that is not ours. */
function readLock(path: string): { text: string; mtimeMs: number } | null {
  const data = readFileSafe(path);
  if (data === null) return null;
  let mtimeMs = Date.now();
  try {
    mtimeMs = fs.lstatSync(path).mtimeMs;
  } catch {
    // removed since: treated as just written; the next try sees it gone
  }
  return { text: data.toString('utf8'), mtimeMs };
}

/** Moves a dead lock aside, unless what is there is no longer the one read (`text`). */
function breakLock(path: string, text: string): void {
  const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.broken`;
  try {
    fs.renameSync(path, aside);
  } catch {
    return; // gone already: someone else broke it
  }
  const moved = readFileSafe(aside)?.toString('utf8');
  if (moved !== text) {
    // Someone took the lock between our read and the rename: put theirs back.
    try {
      fs.linkSync(aside, path);
    } catch {
      // a third process took the lock meanwhile; theirs stands
    }
  }
  fs.rmSync(aside, { force: true });
}

/**
 * Tries once to take the lock at `path` for this process. Breaks a dead or
 * unnamed-and-old lock first. Throws unsafe_path for a lock file that is not ours.
 */
export function tryLock(path: string): LockState {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createFileExclusive(path, format(selfHolder()))) return { held: true };
    const lock = readLock(path);
    if (lock === null) continue; // released meanwhile
    const holder = liveHolder(lock.text, lock.mtimeMs);
    if (holder !== undefined) return { held: false, holder, path };
    breakLock(path, lock.text);
  }
  return { held: false, holder: null, path };
}

/** The live holder of the lock at `path`, if any (a lock that can be broken has none). */
export function lockHolder(path: string): LockHolder | null {
  const lock = readLock(path);
  return lock === null ? null : (liveHolder(lock.text, lock.mtimeMs) ?? null);
}

/** Releases a lock this process holds; a lock that is not ours (broken and retaken) is left alone. */
export function unlock(path: string): void {
  const lock = readLock(path);
  if (lock !== null && lock.text === format(selfHolder())) fs.rmSync(path, { force: true });
}
