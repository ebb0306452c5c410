// The only module that knows where room keeps its files. Everything lives in
// one directory: `/tmp` by default, or `$ROOM_DIR` (tests use a fresh one).
//
//   room-<id>.sock          the broker's socket
//   <id>.chat               the history (NDJSON); `-f` picks another path at creation
//   room-<id>.state         broker state: chat path, host, users and tokens
//   room-<id>.log           the broker's log
//   room-<id>.lock          held while a client starts the broker
//   room-<id>-<user>.token  a user's token record, written by `room join`
//   room-<id>-<user>.cursor a user's poll/watch cursor
//   room-<id>-<user>.cursor.lock  held while follow or a hook delivers from the cursor
import { basename, join } from 'node:path';
import { RoomError } from './errors.ts';
import { checkRoomId, checkUsername } from './names.ts';

export const DEFAULT_DIR = '/tmp';

/** Unix socket paths are limited to 108 bytes including the final NUL on Linux (104 on macOS). */
const MAX_SOCKET_PATH = 103;

export function roomDirFrom(env: NodeJS.ProcessEnv): string {
  const dir = env.ROOM_DIR;
  return dir !== undefined && dir !== '' ? dir : DEFAULT_DIR;
}

export interface RoomPaths {
  readonly dir: string;
  readonly room: string;
  readonly socket: string;
  readonly defaultChat: string;
  readonly state: string;
  readonly log: string;
  readonly lock: string;
}

export function roomPaths(dir: string, roomId: string): RoomPaths {
  checkRoomId(roomId);
  const socket = join(dir, `room-${roomId}.sock`);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new RoomError(
      'usage',
      `socket path too long (${Buffer.byteLength(socket)} bytes, at most ${MAX_SOCKET_PATH}): ${socket}; use a shorter ROOM_DIR or room id`,
    );
  }
  return {
    dir,
    room: roomId,
    socket,
    defaultChat: join(dir, `${roomId}.chat`),
    state: join(dir, `room-${roomId}.state`),
    log: join(dir, `room-${roomId}.log`),
    lock: join(dir, `room-${roomId}.lock`),
  };
}

/** The room id a socket path belongs to (the inverse of roomPaths' `socket`), or undefined if it is not one. */
export function roomOfSocket(socket: string): string | undefined {
  return /^room-(.+)\.sock$/.exec(basename(socket))?.[1];
}

export function tokenRecordPath(paths: RoomPaths, user: string): string {
  return join(paths.dir, `room-${paths.room}-${checkUsername(user)}.token`);
}

export function cursorPath(paths: RoomPaths, user: string): string {
  return join(paths.dir, `room-${paths.room}-${checkUsername(user)}.cursor`);
}

export function cursorLockPath(paths: RoomPaths, user: string): string {
  return `${cursorPath(paths, user)}.lock`;
}
