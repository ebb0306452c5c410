// The token record `<dir>/room-<id>-<user>.token` (or `room-<id>+<user>.token`
// when another room's user holds that name: shared/paths.ts): a convenience
// copy of the join answer and the room's id, written by `room join` and by live sessions that join. It is
// never read implicitly by send, poll or watch; only a live session that
// finds its name taken reuses it (after checking it is still valid).
import type { TokenResponse } from '../shared/api.ts';
import type { RoomPaths } from '../shared/paths.ts';
import { roomError } from '../shared/errors.ts';
import { readFileSafe } from '../shared/safe-fs.ts';
import { userFilePath, writeUserFile } from '../shared/user-file.ts';

/** Writes the record; returns its path. */
export function writeTokenRecord(paths: RoomPaths, response: TokenResponse): string {
  return writeUserFile(paths, response.username, 'token', `${JSON.stringify({ ...response, room: paths.room })}\n`);
}

/** The token in a user's record, or null if there is none (or it is not readable as one). */
export function readTokenRecord(paths: RoomPaths, user: string): string | null {
  const text = readFileSafe(userFilePath(paths, user, 'token'))?.toString('utf8');
  if (text === undefined) return null;
  try {
    const value = JSON.parse(text) as Partial<TokenResponse> & { room?: unknown };
    const ours = value.username === user && (value.room === undefined || value.room === paths.room);
    return ours && typeof value.token === 'string' ? value.token : null;
  } catch {
    return null;
  }
}

/**
 * The token in a file named by --token-file: a token record (as `room join`
 * writes it) or a file holding just the token. Like every file room reads, it
 * must be a regular file of the current user, not a symlink.
 */
export function readTokenFile(path: string): string {
  const text = readFileSafe(path)?.toString('utf8').trim();
  if (text === undefined) throw roomError('missing_token.no_file', { path });
  let token: unknown = text;
  if (text.startsWith('{')) {
    try {
      token = (JSON.parse(text) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
  }
  if (typeof token !== 'string' || !/^\S{1,200}$/.test(token)) {
    throw roomError('missing_token.not_in_file', { path });
  }
  return token;
}
