// The only module that knows where room keeps its files. Everything lives in
// one directory: `/tmp` by default, or `$ROOM_DIR` (tests use a fresh one).
//
//   room-<id>.sock          the broker's socket
//   <id>.chat               the history (NDJSON); `-f` picks another path at creation
//   room-<id>.state         broker state: chat path, host, users and tokens
//   room-<id>.log           the broker's log
//   room-<id>.lock          held while a client starts the broker (shared/pid-lock.ts)
//   room-<id>.pid           held by the room's broker for its whole life (shared/pid-lock.ts)
//   room-<id>.claims        the open claims (JSON), written by the broker
//   room-<id>.idx           the history's index, kept by the broker (server/log/index-file.ts)
//   room-<id>-<user>.token  a user's token record, written by `room join`
//   room-<id>-<user>.cursor a user's poll/watch cursor
//   room-<id>.web           the running `room web` gateway: its pid and address
//   room-<id>.web.html      a page that sends the browser `room web` opens to the address
//   room-<id>-<user>.cursor.lock  held while poll, watch, follow, a hook or room mcp delivers from the cursor
//
// Per-user file names. `room-<id>-<user>` is the seed's name and stays the
// name in the common case, but it is ambiguous: room `a` user `b-c` and room
// `a-b` user `c` both give `room-a-b-c`. So each such file also records its
// room and user inside, and a pair whose name is held by the other pair uses
// `room-<id>+<user>` instead. `+` is not in the name alphabet (names.ts), so
// that name splits one way only and never equals any pair's seed name: two
// pairs can never end up in one file. shared/user-file.ts picks between the
// two names.
//
// Outside that directory, per user: `$XDG_CACHE_HOME/room/` (else
// `~/.cache/room/`) holds the launcher's stamp of a checked Node (bin/room)
// and Node's compile cache for room's code (compileCacheDir).
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { roomError } from './errors.ts';
import { checkRoomId, checkUsername } from './names.ts';

export const DEFAULT_DIR = '/tmp';

/**
 * Node's compile cache (V8 code for room's bundles, kept between runs): the
 * CLI turns it on for itself (client/main.ts) and hands it to the brokers it
 * starts (client/broker-start.ts). `home` is the user's home directory.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'room', 'compile-cache');
}

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
  readonly pid: string;
  readonly claims: string;
  /** The broker's index of the history, read back at its next start (derived: deleting it costs a rebuild). */
  readonly index: string;
}

/**
 * Refuses a room directory that every user may write to without the sticky
 * bit: anyone could then rename or delete room's files there (the history,
 * the socket) even though they cannot open them. `/tmp` is sticky. A missing
 * directory is fine (the client creates it 0700).
 */
export function checkRoomDir(dir: string): void {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st === undefined || !st.isDirectory()) return;
  if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
    throw roomError('unsafe_path.room_dir_writable', { dir });
  }
}

export function roomPaths(dir: string, roomId: string): RoomPaths {
  checkRoomId(roomId);
  checkRoomDir(dir);
  const socket = join(dir, `room-${roomId}.sock`);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw roomError('usage.socket_path_too_long', { bytes: Buffer.byteLength(socket), max: MAX_SOCKET_PATH, socket });
  }
  return {
    dir,
    room: roomId,
    socket,
    defaultChat: join(dir, `${roomId}.chat`),
    state: join(dir, `room-${roomId}.state`),
    log: join(dir, `room-${roomId}.log`),
    lock: join(dir, `room-${roomId}.lock`),
    pid: join(dir, `room-${roomId}.pid`),
    claims: join(dir, `room-${roomId}.claims`),
    index: join(dir, `room-${roomId}.idx`),
  };
}

/** The room id a socket path belongs to (the inverse of roomPaths' `socket`), or undefined if it is not one. */
export function roomOfSocket(socket: string): string | undefined {
  return /^room-(.+)\.sock$/.exec(basename(socket))?.[1];
}

export type UserFileKind = 'token' | 'cursor';

/** A user's file: the seed's name first, then the unambiguous one used when another pair holds the seed's. */
export function userFilePaths(
  paths: RoomPaths,
  user: string,
  kind: UserFileKind,
): { readonly seed: string; readonly unambiguous: string } {
  checkUsername(user);
  return {
    seed: join(paths.dir, `room-${paths.room}-${user}.${kind}`),
    unambiguous: join(paths.dir, `room-${paths.room}+${user}.${kind}`),
  };
}

/** The seed's name of a user's token record (shared/user-file.ts says which name is in use). */
export function tokenRecordPath(paths: RoomPaths, user: string): string {
  return userFilePaths(paths, user, 'token').seed;
}

/** The record of the room's running `room web` gateway, so a second `room web` reuses it. */
export function webGatewayPath(paths: RoomPaths): string {
  return join(paths.dir, `room-${paths.room}.web`);
}

/** What `room web` hands the browser it opens: a page that redirects to the address, so its secret is not in argv. */
export function webOpenPagePath(paths: RoomPaths): string {
  return join(paths.dir, `room-${paths.room}.web.html`);
}

/** The lock beside a user's cursor file (the path shared/user-file.ts picked for it). */
export function cursorLockPath(cursorFile: string): string {
  return `${cursorFile}.lock`;
}
