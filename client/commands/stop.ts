// `room stop <room-id>`: what the host's /exit does (every session ends
// cleanly, the broker exits; history, tokens and host are kept), without
// looking for the host's token. A room belongs to one Unix user: its state
// file, readable only by that user, holds the host's token, and whoever can
// read it could stop the broker anyway. A token given with -t or --token-file
// is used instead, and must be the host's (else exit 7). A token in the
// environment (ROOM_TOKEN, ROOM_TOKEN_FILE) is used only if it is the host's:
// a shell that exported a bot's token (the quick start) still stops the room,
// with a line on stderr, as the UI sets such a token aside.
import { EXIT, roomError } from '../../shared/errors.ts';
import { roomPaths } from '../../shared/paths.ts';
import { readRoomState, userForToken, type RoomState } from '../../shared/room-state.ts';
import { probeSocket } from '../../shared/socket.ts';
import { parse, TOKEN_OPTIONS, tokenFrom, usageError, type Cli, type Command } from '../cli.ts';
import { call } from '../http.ts';

const USAGE = `Usage: room stop [-t TOKEN | --token-file PATH] <room-id>

Stops the room's broker as the host's /exit does: every session ends with a
notice, the broker exits; the history, tokens and host are kept, and the next
room join or room <room-id> <name> starts it again. Prints the notice stored
in the history (NDJSON) and returns once the broker is gone. With no token it
acts as the host, whose token it reads from the room's state file (a room
belongs to the Unix user who runs it). A room that is not running: a line on
stderr, exit 0.

Options:
  -t, --token TOKEN  act as this user instead, who must be the host
      --token-file PATH
                     read that token from PATH
A token in ROOM_TOKEN or ROOM_TOKEN_FILE is used if it is the host's; another
user's is set aside, with a line on stderr.`;

/** How long the broker may take to close its socket after /exit. */
const GONE_MS = 10_000;

function hostToken(paths: ReturnType<typeof roomPaths>, cli: Cli): string {
  const state = readRoomState(paths);
  const host = state?.host ?? null;
  const token = host === null ? null : (state?.users[host]?.token ?? null);
  if (token === null) throw roomError('invalid_token.host_revoked', { room: paths.room });
  if (state !== null) setAside(state, token, cli);
  return token;
}

/** Says on stderr that a token in the environment that is not the host's is not used. */
function setAside(state: RoomState, hostToken: string, cli: Cli): void {
  const name = cli.env.ROOM_TOKEN_FILE ? 'ROOM_TOKEN_FILE' : cli.env.ROOM_TOKEN ? 'ROOM_TOKEN' : undefined;
  if (name === undefined) return;
  let ambient: string | null;
  try {
    ambient = tokenFrom({}, cli.env, USAGE).trim();
  } catch {
    ambient = null; // an unreadable file, or a record's JSON: not the host's token either
  }
  if (ambient === hostToken) return;
  const owner = ambient === null ? null : userForToken(state, ambient);
  cli.err(
    `room: ${name} is ${owner === null ? `not a valid token of room ${state.room}` : `${owner}'s token, not the host's`}: ignoring it; stopping as the host, ${state.host}`,
  );
}

const stop: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(argv, TOKEN_OPTIONS, USAGE);
    if (positionals.length !== 1) throw usageError(USAGE, 'usage.expected', { what: '<room-id>' });
    const paths = roomPaths(cli.dir, positionals[0]!);
    const given = values.token !== undefined || values['token-file'] !== undefined;
    if ((await probeSocket(paths.socket)) !== 'alive') {
      cli.err(`room: room ${paths.room} is not running: nothing to stop`);
      return EXIT.ok;
    }
    const token = given ? tokenFrom(values, {}, USAGE) : hostToken(paths, cli);
    const { body } = await call(paths.socket, {
      method: 'POST',
      path: '/messages',
      token,
      json: { type: 'command', cmd: 'exit', params: [] },
    });
    cli.out(body);
    const deadline = Date.now() + GONE_MS;
    // A probe that lands while the broker closes its socket can be reset (ECONNRESET): not an
    // error, the broker is on its way out; look again until the socket is gone or refuses.
    const alive = async () => (await probeSocket(paths.socket).catch(() => 'alive' as const)) === 'alive';
    while (await alive()) {
      if (Date.now() > deadline) throw roomError('internal.still_running', { room: paths.room });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return EXIT.ok;
  },
};

export default stop;
