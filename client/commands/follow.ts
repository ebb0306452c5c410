// `room follow`: a long-lived listener for agents. Prints one line per new
// event meant for the caller, as it happens, from the history file and the
// shared cursor (so poll, watch, the hooks and follow never deliver the same
// event twice), and keeps a listening stream open to the broker so the
// caller counts as present. The file is the source of truth: the broker may
// stop, restart or exit when idle; the follower keeps reading and reconnects
// its stream when a broker is back. It ends with one line on kick,
// revocation or the host's /exit.
import { closeSync } from 'node:fs';
import type { CloseReason } from '../../shared/api.ts';
import { EXIT } from '../../shared/errors.ts';
import { openForRead } from '../../shared/safe-fs.ts';
import { readRoomState } from '../../shared/room-state.ts';
import { cursorLockPath } from '../../shared/paths.ts';
import { ChangeSignal } from '../change-signal.ts';
import { withCursorLock } from '../cursor-lock.ts';
import { parse, seconds, TOKEN_OPTIONS, tokenFrom, usageError, type Command } from '../cli.ts';
import type { Cursor } from '../cursor.ts';
import { boundedLines, readUnseen } from '../delivery.ts';
import type { Entry } from '../history-file.ts';
import { isForYou } from '../for-you.ts';
import { listen, type Listener } from '../listen.ts';
import { openReader, type Reader } from '../reader.ts';

const USAGE = `Usage: room follow [-t TOKEN | --token-file PATH] <room-id> [--mentions] [--json] [--interval S]

Runs until stopped, printing one line per new event meant for you, as it
arrives: messages, replies and commands from others, DMs to you, and
notices naming you (a claim of yours taken over). A line reads:
[room] <sender> (<kind> <short id>): <text>; the short id is what /reply
takes; texts over 400 characters are cut, with the poll command that prints
them whole. At start it prints what you have not seen yet (at most
the last 20 lines, after a line saying how to read the rest).

Shares your cursor with poll, watch and the Claude Code hooks: what one of
them printed, no other prints again. While it runs you are listed as
listening by /who (and the broker does not stop for being idle). It reads
the history file, so it keeps going while the broker stops or restarts, and
listens again when one runs.
It ends with one line (exit 4) when you are kicked or your token is revoked,
and (exit 0) when the host shuts the room down with /exit.

Options:
  -t, --token TOKEN  your token (default: $ROOM_TOKEN)
      --token-file PATH
                     read the token from PATH (default: $ROOM_TOKEN_FILE)
      --mentions     print only DMs to you and messages that mention you (@name);
                     your cursor is left alone, so poll still prints everything
      --json         print the events as NDJSON (their history lines) instead
      --interval S   fallback check interval in seconds (default 2)`;

/** At most this many lines are printed for one backlog; the rest are counted. */
const MAX_LINES = 20;
/** How often a follower with no broker tries to listen again. */
const RECONNECT_MS = 1000;

interface End {
  readonly code: number;
  readonly message: string;
}

/** The listening stream the follower keeps open while a broker runs, reopened after it stops. */
class ListeningStream {
  #listener: Listener | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly socket: string;
  readonly token: string;
  readonly onEvent: () => void;
  readonly onFinal: (reason: CloseReason, message: string) => void;

  constructor(
    socket: string,
    token: string,
    onEvent: () => void,
    onFinal: (reason: CloseReason, message: string) => void,
  ) {
    this.socket = socket;
    this.token = token;
    this.onEvent = onEvent;
    this.onFinal = onFinal;
    this.#open();
  }

  /** Is the stream open now (the broker will say why it ends it)? */
  get open(): boolean {
    return this.#listener !== null;
  }

  #open(): void {
    if (this.#closed) return;
    this.#listener = listen(this.socket, this.token, {
      onEvent: this.onEvent,
      onEnd: ({ reason, message }) => {
        this.#listener = null;
        if (reason === 'kicked' || reason === 'revoked' || reason === 'exit') {
          this.onFinal(reason, message);
          return;
        }
        // Cut, shut down, refused or no broker: try again later (a revoked token is seen in the state file).
        this.onEvent(); // a broker going away may have written its last events
        this.#timer = setTimeout(() => this.#open(), RECONNECT_MS);
      },
    });
  }

  close(): void {
    this.#closed = true;
    this.#listener?.close();
    if (this.#timer !== null) clearTimeout(this.#timer);
  }
}

/** Why the caller's token no longer works, from the state file; null while it does. */
function revoked(reader: Reader, token: string): End | null {
  const record = readRoomState(reader.paths)?.users[reader.user];
  if (record?.token === token) return null;
  const why = record?.kicked === true ? `you were kicked from ${reader.paths.room}` : 'your token was revoked';
  return { code: EXIT.auth, message: `${why}: room follow stopped` };
}

const follow: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(
      argv,
      {
        ...TOKEN_OPTIONS,
        mentions: { type: 'boolean' },
        json: { type: 'boolean' },
        interval: { type: 'string' },
      },
      USAGE,
    );
    if (positionals.length !== 1) throw usageError(USAGE, 'usage.expected', { what: '<room-id>' });
    const intervalS = seconds(values.interval, 'interval', 2, USAGE)!;
    const token = tokenFrom(values, cli.env, USAGE);
    const reader = openReader(cli.dir, positionals[0]!, token);
    const mentionsOnly = values.mentions === true;
    const room = reader.paths.room;

    // With --mentions the shared cursor is left alone: this follower keeps its own position.
    let own: Cursor | null = reader.cursor.read();
    const position = {
      read: (): Cursor | null => (mentionsOnly ? own : reader.cursor.read()),
      write: (entry: Entry): void => {
        if (mentionsOnly) own = { id: entry.event.id, start: entry.start, end: entry.end };
        else reader.cursor.write(entry);
      },
    };

    let end: End | null = null;
    let brokerSaid: () => void = () => {};
    const final = new Promise<void>((resolve) => {
      brokerSaid = resolve;
    });
    const signal = new ChangeSignal(reader.chat, intervalS * 1000);
    const stream = new ListeningStream(
      reader.paths.socket,
      token,
      () => signal.poke(),
      (reason, message) => {
        end ??= { code: reason === 'exit' ? EXIT.ok : EXIT.auth, message: `${message}: room follow stopped` };
        brokerSaid();
        signal.poke();
      },
    );
    const stop = new Promise<void>((resolve) => {
      const quit = () => resolve();
      process.once('SIGTERM', quit);
      process.once('SIGINT', quit);
      process.once('SIGHUP', quit);
    });

    let fd: number | null = null;
    try {
      for (;;) {
        const lost: End | null = end === null ? revoked(reader, token) : null;
        // The state file may show a kick before the broker's own word on it ("… by alice") arrives.
        if (lost !== null && stream.open) await Promise.race([final, new Promise((r) => setTimeout(r, 500))]);
        end ??= lost;
        fd ??= openForRead(reader.chat);
        if (fd !== null) {
          const history = fd;
          const deliver = () => {
            const unseen = readUnseen(history, reader, position.read(), (e) => isForYou(e, reader.user, mentionsOnly));
            const lines =
              values.json === true ? unseen.picked.map((p) => p.json) : boundedLines(unseen, MAX_LINES, room);
            if (lines.length > 0) cli.write(`${lines.join('\n')}\n`);
            if (unseen.last !== null) position.write(unseen.last);
          };
          // With the shared cursor, a hook delivering at the same moment waits for us (and we for it).
          if (mentionsOnly) deliver();
          else withCursorLock(cursorLockPath(reader.cursor.path), deliver);
        }
        if (end !== null) {
          if (values.json === true) cli.out(JSON.stringify({ type: 'end', content: end.message }));
          else cli.out(`[room] ${end.message}`);
          return end.code;
        }
        if ((await Promise.race([signal.next().then(() => 'wake'), stop.then(() => 'stop')])) === 'stop')
          return EXIT.ok;
      }
    } finally {
      stream.close();
      signal.close();
      if (fd !== null) closeSync(fd);
    }
  },
};

export default follow;
