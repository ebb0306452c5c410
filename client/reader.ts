// What poll and watch need before reading: who the token belongs to, who
// the host is (for the DM rule) and where the history is, all from the
// room's state file, with no broker.
import { roomError } from '../shared/errors.ts';
import { isVisibleTo, type RoomEvent } from '../shared/events.ts';
import { roomPaths, type RoomPaths } from '../shared/paths.ts';
import { readRoomState, userForToken } from '../shared/room-state.ts';
import { openForRead } from '../shared/safe-fs.ts';
import { CursorFile } from './cursor.ts';

export interface Reader {
  readonly paths: RoomPaths;
  readonly user: string;
  readonly chat: string;
  readonly cursor: CursorFile;
  readonly canSee: (event: RoomEvent) => boolean;
  /** A room shared through NATS: its history is a mirror its broker keeps current (client/broker-start.ts ensureMirror), unless stopped. */
  readonly shared: boolean;
  /** Re-reads the state file: throws invalid_token if the token was revoked since (a kick, /clear-tokens). */
  readonly checkToken: () => void;
}

export function openReader(dir: string, roomId: string, token: string): Reader {
  const paths = roomPaths(dir, roomId);
  const state = readRoomState(paths);
  if (state === null) {
    throw roomError('invalid_token.no_state', { room: roomId, dir });
  }
  const user = userForToken(state, token);
  if (user === null) throw roomError('invalid_token.revoked_in_room', { room: roomId });
  const host = state.host;
  return {
    paths,
    user,
    chat: state.chat,
    cursor: new CursorFile(paths, user),
    canSee: (event) => isVisibleTo(event, user, host),
    shared: state.nats !== undefined,
    checkToken: () => {
      const now = readRoomState(paths);
      if (now !== null && userForToken(now, token) === user) return;
      const kicked = now?.users[user]?.kicked === true;
      throw roomError(kicked ? 'invalid_token.kicked' : 'invalid_token.revoked_since', { room: roomId });
    },
  };
}

/** Opens the history for reading; null when the room has no history file yet. */
export function openHistory(reader: Reader): number | null {
  return openForRead(reader.chat);
}
