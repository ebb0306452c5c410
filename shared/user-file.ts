// A user's token record or cursor: which of its two names (shared/paths.ts)
// is theirs, and writing it without taking another pair's file. Both kinds
// are JSON naming their room and user inside; a file that is not JSON (a
// cursor or token written by hand) counts as the reader's own.
import { lstatSync } from 'node:fs';
import { type RoomPaths, type UserFileKind, userFilePaths } from './paths.ts';
import { createFileExclusive, readFileSafe, writeFileAtomic } from './safe-fs.ts';

/** Is anything at `path` (a dangling symlink included)? */
const present = (path: string): boolean => lstatSync(path, { throwIfNoEntry: false }) !== undefined;

/** Does the file at `path` belong to room `room`, user `user`? null when there is no file. */
function belongs(path: string, room: string, user: string): boolean | null {
  const text = readFileSafe(path)?.toString('utf8');
  if (text === undefined) return null;
  let value: { room?: unknown; user?: unknown; username?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return true;
  }
  if (typeof value !== 'object' || value === null) return true;
  const owner = value.user ?? value.username;
  // A record from before rooms were recorded: its user and its name fix its room.
  return owner === user && (value.room === undefined || value.room === room);
}

/**
 * The path of the user's file: the seed's name if it is theirs, else the
 * unambiguous name if it exists, else the seed's name if it is free, else
 * the unambiguous name.
 */
export function userFilePath(paths: RoomPaths, user: string, kind: UserFileKind): string {
  const { seed, unambiguous } = userFilePaths(paths, user, kind);
  const seedIsOurs = belongs(seed, paths.room, user);
  if (seedIsOurs === true) return seed;
  if (present(unambiguous) || seedIsOurs === false) return unambiguous;
  return seed;
}

/** Writes the user's file (atomically, 0600) under the name that is theirs; returns that path. */
export function writeUserFile(paths: RoomPaths, user: string, kind: UserFileKind, data: string): string {
  const path = userFilePath(paths, user, kind);
  // A free seed name is claimed exclusively: two pairs sharing it cannot both take it.
  if (path === userFilePaths(paths, user, kind).seed && !present(path)) {
    if (createFileExclusive(path, data)) return path;
    return writeUserFile(paths, user, kind, data);
  }
  writeFileAtomic(path, data);
  return path;
}
