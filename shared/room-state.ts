// The room's state file (`room-<id>.state`, 0600): where the history is, who
// the host is, and every user who ever joined with their token. The broker
// writes it (atomically, after every change, so a restart never brings back
// a revoked token); `poll` and `watch` read it to turn a token into a
// username and to apply the DM rule without a broker.
import { roomError } from './errors.ts';
import { nameKey } from './names.ts';
import type { RoomPaths } from './paths.ts';
import { readFileSafe } from './safe-fs.ts';

export interface UserRecord {
  /** The user's live token, or null once revoked (kick, clear-tokens). */
  token: string | null;
  /** Set by /kick: the name stays reserved and may not join until /reauth. */
  kicked: boolean;
  /** When the name first joined (ISO 8601). */
  joined: string;
}

export interface RoomState {
  version: 1;
  room: string;
  /** The history file's path, fixed when the room is created. */
  chat: string;
  /**
   * A shared room's NATS server(s) (shared/nats-url.ts), fixed when the room
   * is created on this machine (--nats, ROOM_NATS_URL); absent for a room
   * that lives on this machine only. A URL, never a secret.
   */
  nats?: string;
  /** The first user to join the room; never changes afterwards. */
  host: string | null;
  /** Keyed by each user's name as they spell it; a null-prototype object, so `__proto__` is a name like any other. */
  users: Record<string, UserRecord>;
  /**
   * 'exit' once the host stopped the broker with /exit; cleared when a
   * broker starts. Such a room is started again by join, the UI or agent
   * mode, but not by `room send` (which restarts a broker that stopped idle).
   */
  stopped?: 'exit';
}

export function emptyState(room: string, chat: string): RoomState {
  return { version: 1, room, chat, host: null, users: Object.create(null) };
}

/** Reads the state file; `null` when the room was never started. */
export function readRoomState(paths: RoomPaths): RoomState | null {
  const data = readFileSafe(paths.state);
  if (data === null) return null;
  let state: RoomState;
  try {
    state = JSON.parse(data.toString('utf8')) as RoomState;
  } catch (error) {
    throw roomError('internal.corrupt_state', { path: paths.state, detail: (error as Error).message });
  }
  if (
    state?.version !== 1 ||
    typeof state.chat !== 'string' ||
    typeof state.users !== 'object' ||
    state.users === null
  ) {
    throw roomError('internal.unrecognised_state', { path: paths.state });
  }
  // JSON.parse makes `"__proto__"` an own key; keep it one (no prototype, no setter) from here on.
  state.users = Object.assign(Object.create(null), state.users) as Record<string, UserRecord>;
  return state;
}

/** The username a token belongs to, or null. */
export function userForToken(state: RoomState, token: string): string | null {
  if (token === '') return null;
  for (const [name, record] of Object.entries(state.users)) {
    if (record.token === token) return name;
  }
  return null;
}

/** The spelling a user joined with, found in any case (names are unique regardless of case); null if nobody did. */
export function joinedName(state: RoomState, name: string): string | null {
  const key = nameKey(name);
  return Object.keys(state.users).find((joined) => nameKey(joined) === key) ?? null;
}
