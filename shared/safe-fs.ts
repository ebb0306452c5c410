// File access for everything room keeps in its directory (by default the
// shared, world-writable /tmp). Invariants:
// - a symlink planted at one of our paths is refused, never followed (O_NOFOLLOW, lstat);
// - a file we read or write must be a regular file owned by the current user,
//   checked with fstat on the opened descriptor (no race between check and use);
// - opening never blocks: O_NONBLOCK, so a FIFO planted at one of our paths
//   is opened at once and then refused, instead of hanging the broker, poll
//   or watch (a plain open of a FIFO waits for a writer forever);
// - every file we create is 0600.
import * as fs from 'node:fs';
import { roomError } from './errors.ts';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export const FILE_MODE = 0o600;

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function refuse(path: string, why: string): never {
  throw roomError('unsafe_path', { path, why });
}

/** Checks an open file is a regular file of ours; closes it and throws otherwise. */
function checkOwnedRegular(fd: number, path: string): void {
  const st = fs.fstatSync(fd);
  const uid = process.getuid?.();
  if (!st.isFile() || (uid !== undefined && st.uid !== uid)) {
    fs.closeSync(fd);
    refuse(path, st.isFile() ? 'it belongs to another user' : 'it is not a regular file');
  }
}

function open(path: string, flags: number): number {
  try {
    const fd = fs.openSync(path, flags | O_NOFOLLOW | O_NONBLOCK, FILE_MODE);
    checkOwnedRegular(fd, path);
    return fd;
  } catch (error) {
    if (errno(error) === 'ELOOP') refuse(path, 'it is a symbolic link');
    // A FIFO with no reader, opened for writing without blocking; a socket file.
    if (errno(error) === 'ENXIO' || errno(error) === 'EOPNOTSUPP') refuse(path, 'it is not a regular file');
    throw error;
  }
}

/**
 * Creates `path` holding `data`, only if nothing is there: false when it
 * exists. Readers never see it half-written: the data goes to a temporary
 * file first, which is then hard-linked into place (link fails on an
 * existing target, and never follows a symlink there).
 */
export function createFileExclusive(path: string, data: string | Buffer): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, FILE_MODE);
  try {
    fs.writeFileSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, path);
    return true;
  } catch (error) {
    if (errno(error) === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Opens for reading; `null` when the file does not exist. */
export function openForRead(path: string): number | null {
  try {
    return open(path, O_RDONLY);
  } catch (error) {
    if (errno(error) === 'ENOENT') return null;
    throw error;
  }
}

/** Opens for appending (and reading), creating the file 0600 if needed. */
export function openForAppend(path: string): number {
  return open(path, O_RDWR | O_APPEND | O_CREAT);
}

/** Reads a whole file; `null` when it does not exist. */
export function readFileSafe(path: string): Buffer | null {
  const fd = openForRead(path);
  if (fd === null) return null;
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces a file atomically: readers see the old or the new content, never
 * a mix. `durable` also flushes it to disk before the rename (power loss). The temporary file is created exclusively, so nothing planted can
 * be written through; rename never follows a symlink at the target, but we
 * refuse one anyway so a planted link is reported rather than replaced.
 */
export function writeFileAtomic(path: string, data: string | Buffer, options: { durable?: boolean } = {}): void {
  refuseSymlink(path);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, FILE_MODE);
  try {
    fs.writeFileSync(fd, data);
    if (options.durable === true) fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, path);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/** Throws when `path` is a symlink; a missing path is fine. */
export function refuseSymlink(path: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch (error) {
    if (errno(error) === 'ENOENT') return;
    throw error;
  }
  if (st.isSymbolicLink()) refuse(path, 'it is a symbolic link');
}

/** Removes a file if present, never following a symlink (unlink removes the link itself). */
export function removeFile(path: string): void {
  fs.rmSync(path, { force: true });
}

/**
 * Refuses a socket path that is a symlink, not a socket, or not ours, before
 * anything connects to it: whoever listens there would receive our token and
 * our DMs. Every client connect checks (client/http.ts for one-shots,
 * client/live/broker-client.ts for each connection of the live clients).
 * Kept here, not in shared/socket.ts, so that one-shots check without loading
 * node:net early (client/http.ts). A missing path passes (the connect then fails with ENOENT).
 *
 * The peer's credentials (SO_PEERCRED) would prove who accepted the
 * connection, but Node does not expose them, so this lstat is the check;
 * the window between it and connect is closed by the directory: another
 * user cannot replace a file in a private ROOM_DIR, nor one of ours in a
 * sticky one (/tmp), and a non-sticky world-writable ROOM_DIR is refused
 * (shared/paths.ts).
 */
export function checkSocketPath(path: string): void {
  const st = fs.lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (st.isSymbolicLink()) refuse(path, 'it is a symbolic link');
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) refuse(path, 'it belongs to another user');
  if (!st.isSocket()) refuse(path, 'it is not a socket');
}

/**
 * Reads a file that room only looks for in a project and the folders above
 * it (CLAUDE.md, `.claude/room.json`): null when it is missing, not a
 * regular file (a plain read of a FIFO waits forever, a device never ends),
 * over `maxBytes`, or owned by another user (root excepted): a folder above
 * a project, such as /tmp, may hold a file planted by anyone. Symlinks are
 * followed (a project may link CLAUDE.md to AGENTS.md); what they reach is
 * checked on the opened descriptor.
 */
export function readProjectFile(path: string, maxBytes = 1 << 20): string | null {
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || st.size > maxBytes || (uid !== undefined && st.uid !== uid && st.uid !== 0)) return null;
    return fs.readFileSync(fd, 'utf8');
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
