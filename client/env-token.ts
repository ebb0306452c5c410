// The token a live session (the UI, agent mode, room web) is given: from
// --token-file or -t, else ROOM_TOKEN, used only when it is the name's.
import type { RoomPaths } from '../shared/paths.ts';
import { nameKey } from '../shared/names.ts';
import { readRoomState, userForToken } from '../shared/room-state.ts';
import { tokenFrom, type Cli } from './cli.ts';

/**
 * ROOM_TOKEN, when it is <username>'s in this room. A shell that exported a
 * token for one name (the quick start's bot) may open the UI (or room web) as another:
 * that token is set aside, said on stderr, and the session joins the name
 * or reuses its record. Whose token it is comes from the room's state file;
 * with no state yet (a new room) no token can be valid.
 */
export function ownEnvToken(cli: Cli, paths: RoomPaths, username: string): string | undefined {
  const token = cli.env.ROOM_TOKEN;
  if (token === undefined || token === '') return undefined;
  if (token.trimStart().startsWith('{')) return token; // a token record's JSON: refused below, with how to pass it
  const state = readRoomState(paths);
  const owner = state === null ? null : userForToken(state, token.trim());
  if (owner !== null && nameKey(owner) === nameKey(username)) return token; // names match in any case
  cli.err(
    owner === null
      ? `room: ROOM_TOKEN is not a valid token of room ${paths.room}: ignoring it; opening as ${username}`
      : `room: ROOM_TOKEN is ${owner}'s token, not ${username}'s: ignoring it; opening as ${username} (with -t or --token-file a token must be the name's own)`,
  );
  return undefined;
}

/**
 * The token given to a live session: --token-file's (never with -t), else -t's, else ROOM_TOKEN (for a
 * session under a name, only when it is that name's: ownEnvToken). Undefined when none is; not yet checked
 * for a token record's JSON (each command says how to pass it).
 */
export function givenToken(
  values: { token?: string | undefined; 'token-file'?: string | undefined },
  cli: Cli,
  paths: RoomPaths,
  username: string | undefined,
  usage: string,
): string | undefined {
  if (values['token-file'] !== undefined) return tokenFrom(values, {}, usage);
  return values.token ?? (username === undefined ? cli.env.ROOM_TOKEN || undefined : ownEnvToken(cli, paths, username));
}
