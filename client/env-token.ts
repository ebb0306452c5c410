// ROOM_TOKEN for a live session opened under a name (the UI, agent mode,
// room web): used only when it is that name's.
import type { RoomPaths } from '../shared/paths.ts';
import { nameKey } from '../shared/names.ts';
import { readRoomState, userForToken } from '../shared/room-state.ts';
import type { Cli } from './cli.ts';

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
