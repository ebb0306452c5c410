// `room send`: deliver one message and print the broadcast record.
import type { Inbound } from '../../shared/api.ts';
import { EXIT, RoomError, roomError } from '../../shared/errors.ts';
import { parseEnvelope, parseInput } from '../../shared/input.ts';
import { roomPaths } from '../../shared/paths.ts';
import { readRoomState } from '../../shared/room-state.ts';
import { parse, splitText, TOKEN_OPTIONS, tokenFrom, usageError, type Command } from '../cli.ts';
import { call } from '../http.ts';

const USAGE = `Usage: room send [OPTIONS] <room-id> [OPTIONS] [MESSAGE...]

Sends one message and prints the broadcast record (the JSON line written to
the history; its "id" works as a --since for poll). The words are joined with
spaces; with no words the message is read from stdin, newlines kept.
Options go before the room id or right after it: from the first word of the
message on, every word is message text (room send r run it with -n 5).
  - a JSON envelope (an object with a known "type") is sent as that event:
    '{"type":"command","cmd":"claim","params":["auth"]}'; other text starting
    with { is sent as text, unless --json is given
  - text starting with / is a command: /who, /set_status reviewing PRs, /dm bob hi, /reply <id> ok
    (/who and /help print a private answer that is not stored)
  - start with // to send text beginning with a single /

Options:
  -t, --token TOKEN  your token (default: $ROOM_TOKEN)
      --token-file PATH
                     read the token from PATH: the record room join wrote
                     (<dir>/room-<room-id>-<user>.token) or a file holding only the token
      --to USER      send a direct message to USER (seen only by you, USER and the host)
      --json         the message must be a JSON envelope: malformed JSON or an unknown
                     type is an error (exit 2) instead of being sent as text
      --retry        if the broker (or a shared room's NATS server) cannot be reached,
                     try again for a few seconds; every try carries the same
                     Idempotency-Key, so a message stored before the answer was
                     lost is not stored twice`;

/** Waits between the tries of --retry (about 6 s in all). */
const RETRY_DELAYS_MS = [200, 400, 800, 1600, 3200];

const OPTIONS = {
  ...TOKEN_OPTIONS,
  to: { type: 'string' },
  json: { type: 'boolean' },
  retry: { type: 'boolean' },
} as const;

async function readStdin(stdin: NodeJS.ReadStream): Promise<string> {
  let text = '';
  stdin.setEncoding('utf8');
  for await (const chunk of stdin) text += chunk as string;
  return text.endsWith('\n') ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
}

const send: Command = {
  usage: USAGE,
  optionPart: (argv) => splitText(argv, OPTIONS, 1).head,
  async run(argv, cli) {
    const { head, words } = splitText(argv, OPTIONS, 1);
    const { values, positionals } = parse(head, OPTIONS, USAGE);
    const [roomId] = positionals;
    if (roomId === undefined) throw usageError(USAGE, 'usage.expected', { what: '<room-id>' });
    if (values.json === true && values.to !== undefined) throw usageError(USAGE, 'usage.json_and_to');
    const paths = roomPaths(cli.dir, roomId);
    const token = tokenFrom(values, cli.env, USAGE);
    let text: string;
    if (words.length > 0) {
      text = words.join(' ');
    } else if (cli.stdin.isTTY) {
      throw usageError(USAGE, 'usage.no_message');
    } else {
      text = await readStdin(cli.stdin);
    }
    if (text.trim() === '') throw usageError(USAGE, 'usage.empty_message');
    // --json insists on an envelope: plain text or a /command is an error then, not a message.
    const inbound: Inbound =
      values.to !== undefined
        ? { type: 'dm', to: values.to, content: text }
        : values.json === true
          ? parseEnvelope(text.trim())
          : parseInput(text, { json: 'auto' });
    const request = { method: 'POST', path: '/messages', token, json: inbound } as const;
    const once = (headers?: Record<string, string>) =>
      call(paths.socket, headers === undefined ? request : { ...request, headers });
    // A broker that stopped (idle, or /exit) is started again; the message had reached no broker, so it goes once.
    const post = (headers?: Record<string, string>) =>
      once(headers).catch(async (error: unknown) => {
        const { restartStopped } = await import('../broker-start.ts');
        if (await restartStopped(paths, error)) return once(headers);
        const state = error instanceof RoomError && error.code === 'broker_unreachable' ? readRoomState(paths) : null;
        if (state?.stopped === 'exit')
          // In a room shared between machines, only this machine's broker stopped.
          throw roomError(state.nats === undefined ? 'broker_unreachable.exited' : 'broker_unreachable.exited_here', {
            room: roomId,
          });
        throw error;
      });
    if (values.retry !== true) {
      cli.out((await post()).body);
      return EXIT.ok;
    }
    const headers = { 'idempotency-key': crypto.randomUUID() };
    for (const delay of [...RETRY_DELAYS_MS, undefined]) {
      try {
        cli.out((await post(headers)).body);
        return EXIT.ok;
      } catch (error) {
        const retryable =
          error instanceof RoomError &&
          (error.code === 'broker_unreachable' || error.code === 'room_closing' || error.code === 'nats_unreachable');
        if (!retryable || delay === undefined) throw error;
        cli.err(`room: ${error.message}; trying again in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return EXIT.unreachable; // not reached: the last try returns or throws
  },
};

export default send;
