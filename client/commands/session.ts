// `room <room-id> <username>`: a live session, as the terminal UI or, with
// --agent, as JSON lines on stdin and stdout.
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { RoomError, roomError, errorMessage, withHint } from '../../shared/errors.ts';
import { clipped } from '../../shared/quote.ts';
import { checkUsername, isValidName } from '../../shared/names.ts';
import { roomPaths } from '../../shared/paths.ts';
import { commandTypo } from '../command-typo.ts';
import { readRoomState } from '../../shared/room-state.ts';
import { checkToken, count, parse, TOKEN_OPTIONS, usageError, type Cli, type Command } from '../cli.ts';
import { givenToken } from '../env-token.ts';

const USAGE = `Usage: room <room-id> <username> [--agent] [-n N] [-f PATH] [--nats URL] [-t TOKEN | --token-file PATH]

Opens a live session in the room, starting its broker if none is running.
Identity: the token from -t or --token-file (it must be <username>'s);
else ROOM_TOKEN if it is <username>'s (a ROOM_TOKEN of another user is set
aside, with a line on stderr); else the name is joined (writing its token
record); else, if the name is taken, the token in that user's token record
is reused while it is still valid.

Without --agent: the full-screen terminal UI.
With --agent: no UI. Every event is printed as one JSON line on stdout (the
last N history events, your own join, then everything live), exactly as in
the history file; private answers (/who, /help) are printed too. Every line on
stdin is sent, in order: a JSON event ({"type":"message","content":"hi"},
reply, command, dm) or plain text, where /who, /dm bob hi and other commands
work as in the UI. A bad line is reported on stderr and skipped. Runs until
stdin ends (lines still queued are sent first; then it leaves, exit 0) or the
broker ends the session (/exit, kick: exit 0). If the broker stops or
crashes, it reconnects (starting a new broker after a crash) and resumes
where it left off; after $ROOM_RECONNECT_SECONDS (default 30) without one it
gives up with exit 3. Keep stdin open with a FIFO:
  mkfifo in; room myroom bot --agent < in > out &
  tail -f /dev/null > in &
  echo '{"type":"message","content":"hi"}' > in

Options:
      --agent        agent mode (JSON lines) instead of the UI
  -n N               history events to show first (default 20)
  -f, --file PATH    the history file, when this creates the room
      --nats URL     share the room being created through this NATS server
                     (default: $ROOM_NATS_URL)
  -t, --token TOKEN  use this token (default: $ROOM_TOKEN, when it is <username>'s)
      --token-file PATH
                     read the token from PATH: the record room join wrote
                     (<dir>/room-<room-id>-<user>.token) or a file holding only the token`;

export interface SessionOptions {
  readonly roomId: string;
  readonly username: string;
  readonly history: number;
  readonly chat: string | undefined;
  /** The NATS server to share a room being created through (client/broker-start.ts). */
  readonly nats: string | undefined;
  readonly token: string | undefined;
}

/**
 * A first word that looks like a mistyped command (`room sned myroom`) is
 * refused, unless the room exists or `--` says it is a room id on purpose:
 * in a terminal always, elsewhere when the arguments do not fit a session
 * (a script's `room sned myroom hi`), each time saying which command was meant.
 */
async function checkTypo(argv: string[], cli: Cli, open: () => Promise<number>): Promise<number> {
  const first = argv[0] ?? '';
  const meant = argv[0] === '--' ? undefined : commandTypo(first);
  if (meant === undefined || (isValidName(first) && existsSync(roomPaths(cli.dir, first).state))) return open();
  const hint = errorMessage('usage.typo_hint', { command: meant, word: first, argv: clipped(argv.join(' ')) });
  if (cli.stdin.isTTY === true && cli.stdout.isTTY === true)
    throw roomError('usage.not_a_command', { word: first, hint });
  try {
    return await open();
  } catch (error) {
    if (error instanceof RoomError && (error.code === 'usage' || error.code === 'invalid_name'))
      throw withHint(error, hint);
    throw error;
  }
}

const session: Command = {
  usage: USAGE,
  run: (argv, cli) => checkTypo(argv, cli, () => open(argv, cli)),
};

async function open(argv: string[], cli: Cli): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      agent: { type: 'boolean' },
      n: { type: 'string', short: 'n' },
      file: { type: 'string', short: 'f' },
      nats: { type: 'string' },
      ...TOKEN_OPTIONS,
    },
    USAGE,
  );
  if (positionals.length !== 2) throw usageError(USAGE, 'usage.expected', { what: '<room-id> <username>' });
  const [roomId, username] = positionals as [string, string];
  const paths = roomPaths(cli.dir, roomId);
  checkUsername(username);
  const token = givenToken(values, cli, paths, username, USAGE);
  const options: SessionOptions = {
    roomId,
    username,
    history: count(values.n, '-n', 20, USAGE),
    chat: values.file === undefined ? undefined : resolve(values.file),
    nats: values.nats,
    // With no token, a session whose name is taken reads its record itself (client/live/identity.ts).
    token: token === undefined ? undefined : checkToken(token, 'invalid_token.record_json_session'),
  };
  // A token given is valid only in a room someone joined: refused before a broker starts, creating nothing.
  if ((values.token !== undefined || values['token-file'] !== undefined) && readRoomState(paths) === null)
    throw roomError('invalid_token.no_state_session', { room: roomId, dir: cli.dir, name: username });
  if (values.agent === true) return (await import('../agent/main.ts')).runAgent(options, cli);
  return (await import('../tui/main.ts')).runTui(options, cli);
}

export default session;
