// The token record `<dir>/room-<id>-<user>.token`: a convenience copy of the
// join answer, written by `room join` and by live sessions that join. It is
// never read implicitly by send, poll or watch; only a live session that
// finds its name taken reuses it (after checking it is still valid).
import type { TokenResponse } from '../shared/api.ts';
import { tokenRecordPath, type RoomPaths } from '../shared/paths.ts';
import { readFileSafe, writeFileAtomic } from '../shared/safe-fs.ts';

export function writeTokenRecord(paths: RoomPaths, response: TokenResponse): string {
  const path = tokenRecordPath(paths, response.username);
  writeFileAtomic(path, `${JSON.stringify(response)}\n`);
  return path;
}

/** The token in a user's record, or null if there is none (or it is not readable as one). */
export function readTokenRecord(paths: RoomPaths, user: string): string | null {
  const text = readFileSafe(tokenRecordPath(paths, user))?.toString('utf8');
  if (text === undefined) return null;
  try {
    const value = JSON.parse(text) as Partial<TokenResponse>;
    return value.username === user && typeof value.token === 'string' ? value.token : null;
  } catch {
    return null;
  }
}
