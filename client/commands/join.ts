// `room join <room-id> <username>`: register a name and print its token.
import { resolve } from 'node:path';
import type { TokenResponse } from '../../shared/api.ts';
import { EXIT, RoomError, errorMessage, withHint } from '../../shared/errors.ts';
import { checkUsername } from '../../shared/names.ts';
import { roomPaths, tokenRecordPath, type RoomPaths } from '../../shared/paths.ts';
import { joinedName, readRoomState, userForToken } from '../../shared/room-state.ts';
import { refuseSymlink } from '../../shared/safe-fs.ts';
import { ensureBroker } from '../broker-start.ts';
import { parse, usageError, type Command } from '../cli.ts';
import { call } from '../http.ts';
import { readTokenRecord, writeTokenRecord } from '../token-record.ts';

const USAGE = `Usage: room join <room-id> <username> [-f PATH] [--nats URL]

Registers <username> in the room and prints its token as JSON:
  {"type":"token","token":"<uuid>","username":"<username>"}
Starts the room's broker if none is running. Writes the token record
<dir>/room-<room-id>-<username>.token (0600) and says where on stderr.
Pass the token to send, poll and watch with -t or ROOM_TOKEN; the record is
never read implicitly. Fails (exit 5) if the name is taken or blocked; when
the name's token record still holds its valid token, the error says how to
use it instead.

Options:
  -f, --file PATH  the history file, when this creates the room (default <dir>/<room-id>.chat)
      --nats URL   share the room being created through this NATS server
                   (default: $ROOM_NATS_URL); see README "Sharing a room between machines"`;

/**
 * A second `room join myroom bot` (the quick start run twice) fails, and
 * `ROOM_TOKEN=$(room join …)` is then empty: if bot's token record still
 * holds bot's valid token (per the room's state file), say so and how to use it.
 */
function withRecordHint(error: RoomError, paths: RoomPaths, username: string): RoomError {
  let token: string | null = null;
  let state: ReturnType<typeof readRoomState> = null;
  let spelled = username; // the name as it joined: `room join myroom BOT` after bot is bot's record
  try {
    state = readRoomState(paths);
    spelled = (state === null ? null : joinedName(state, username)) ?? username;
    token = readTokenRecord(paths, spelled);
  } catch {
    return error; // an unsafe or unreadable file: the plain error is the safe answer
  }
  if (token === null || state === null || userForToken(state, token) !== spelled) return error;
  const record = tokenRecordPath(paths, spelled);
  return withHint(error, errorMessage('name_taken.record_hint', { record }), '; ');
}

const join: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(
      argv,
      { file: { type: 'string', short: 'f' }, nats: { type: 'string' } },
      USAGE,
    );
    if (positionals.length !== 2) throw usageError(USAGE, 'usage.expected', { what: '<room-id> <username>' });
    const [roomId, username] = positionals as [string, string];
    const paths = roomPaths(cli.dir, roomId);
    checkUsername(username);
    const record = tokenRecordPath(paths, username);
    refuseSymlink(record); // before the name is taken, so a refusal changes nothing
    await ensureBroker(paths, {
      chat: values.file === undefined ? undefined : resolve(values.file),
      nats: values.nats,
    });
    const { body, value } = await call<TokenResponse>(paths.socket, {
      method: 'POST',
      path: '/join',
      json: { username },
    }).catch((error: unknown) => {
      throw error instanceof RoomError && error.code === 'name_taken' ? withRecordHint(error, paths, username) : error;
    });
    cli.out(body);
    cli.err(`Token written to ${writeTokenRecord(paths, value)}`);
    return EXIT.ok;
  },
};

export default join;
