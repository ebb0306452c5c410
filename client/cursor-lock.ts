// Mutual exclusion for "read from the cursor, print, move the cursor", so two
// deliverers of one user (poll, watch, a follower, the plugin's hooks, room
// mcp, at the same moment) never print the same event. The lock is a file
// created exclusively, holding the holder's pid; a lock whose holder is gone,
// or that is older than STALE_MS, is broken. Waiting is bounded: after
// WAIT_MS the work runs anyway (a hook must never hang a session). A lock
// that is not a regular file of ours (a FIFO or a file planted by another
// user in /tmp) is refused, never read with a blocking open.
import * as fs from 'node:fs';
import { createFileExclusive, readFileSafe } from '../shared/safe-fs.ts';

const STALE_MS = 10_000;
const WAIT_MS = 3_000;
const STEP_MS = 5;
const pause = new Int32Array(new SharedArrayBuffer(4));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock appears with the pid in it (never empty), so no one takes a lock being written for a stale one. */
function tryTake(path: string): boolean {
  return createFileExclusive(path, String(process.pid));
}

function breakIfStale(path: string): void {
  // Throws unsafe_path for a FIFO, a symlink or another user's file.
  const text = readFileSafe(path);
  if (text === null) return;
  try {
    const pid = Number(text.toString('utf8'));
    const old = Date.now() - fs.lstatSync(path).mtimeMs > STALE_MS;
    // Empty: written by an older room (create, then write the pid) this very moment; broken once old.
    if (text.length === 0 && !old) return;
    if (old || !Number.isInteger(pid) || pid <= 0 || !alive(pid)) fs.rmSync(path, { force: true });
  } catch {
    // gone already, or being written: look again on the next step
  }
}

/** Runs `work` holding the lock at `path` (synchronously: the critical section never awaits). */
export function withCursorLock<T>(path: string, work: () => T): T {
  const deadline = Date.now() + WAIT_MS;
  let held = tryTake(path);
  while (!held && Date.now() < deadline) {
    breakIfStale(path);
    Atomics.wait(pause, 0, 0, STEP_MS);
    held = tryTake(path);
  }
  try {
    return work();
  } finally {
    if (held) fs.rmSync(path, { force: true });
  }
}
