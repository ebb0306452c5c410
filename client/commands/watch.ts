// `room watch`: block until something arrives for you, then print what is new.
import { closeSync } from 'node:fs';
import { EXIT } from '../../shared/errors.ts';
import { cursorLockPath } from '../../shared/paths.ts';
import { parse, seconds, TOKEN_OPTIONS, tokenFrom, usageError, type Command } from '../cli.ts';
import { withCursorLock } from '../cursor-lock.ts';
import { locate, type Cursor } from '../cursor.ts';
import { ChangeSignal } from '../change-signal.ts';
import { isForYou } from '../for-you.ts';
import { entryAt, scanEntries, type Entry } from '../history-file.ts';
import { listen } from '../listen.ts';
import { openHistory, openReader, type Reader } from '../reader.ts';

const USAGE = `Usage: room watch [-t TOKEN | --token-file PATH] <room-id> [--mentions] [--interval S] [--timeout S]

Waits until an unseen event from another user is for you (a message, reply or
command, a DM to you, or a notice naming you such as a claim of yours taken
over; not joins, leaves or other notices), then prints every unseen visible
event except your own as NDJSON and exits 0. Shares the cursor with poll and
follow: nothing is printed twice, nothing is skipped unseen.
While it waits it is listed as listening by /who (when a broker runs). Wakes
within milliseconds of the write (file notifications), checking every
--interval seconds as a fallback. Reads the history file: no broker needed.

Options:
  -t, --token TOKEN  your token (default: $ROOM_TOKEN)
      --token-file PATH
                     read the token from PATH: the record room join wrote
                     (<dir>/room-<room-id>-<user>.token) or a file holding only the token
      --mentions     wake only on a DM to you or a message that mentions you (@name);
                     then print every unseen event, as without it
      --interval S   fallback check interval in seconds (default 5)
      --timeout S    give up after S seconds: exit 6, print nothing, cursor unchanged

If your token is revoked while it waits (the host kicks you, or clears the
tokens), it stops at once: exit 4, nothing printed, cursor unchanged.`;

const sameCursor = (a: Cursor | null, b: Cursor | null) =>
  a === null || b === null ? a === b : a.id === b.id && a.start === b.start && a.end === b.end;

/** Is `entry` still at its byte range? Gone means the history was cleared (truncated, then perhaps regrown). */
function stillThere(fd: number, entry: Entry): boolean {
  return entryAt(fd, entry.event.id, entry.start, entry.end) !== null;
}

/**
 * Reads until something wakes the watcher; returns every event read since the cursor.
 * Invariant: everything in `seen` comes from the history as it is now. A
 * `/clear` truncates the file in place and new events may refill it past our
 * offset before we read again, so the file's size proves nothing: after each
 * scan, the entry it continued from (or, scanning from 0, the first it read)
 * must still be at its byte range. If not, the history was replaced while we
 * held or read it: we start over from 0 holding nothing.
 */
async function waitForNews(
  reader: Reader,
  fd: number,
  signal: ChangeSignal,
  start: Entry | null,
  mentionsOnly: boolean,
): Promise<Entry[]> {
  let anchor = start; // the last entry read: the next scan continues after it
  let position = start?.end ?? 0;
  let seen: Entry[] = [];
  for (;;) {
    // A kick (or /clear-tokens) ends the watch at once: it is in the state file before the history says so.
    reader.checkToken();
    const before = seen.length;
    position = scanEntries(fd, position, (entry) => seen.push(entry));
    const check = anchor ?? seen[before];
    if (check !== undefined && !stillThere(fd, check)) {
      anchor = null;
      position = 0;
      seen = [];
      continue; // read the new history at once
    }
    anchor = seen.at(-1) ?? anchor;
    if (seen.some((e) => reader.canSee(e.event) && isForYou(e.event, reader.user, mentionsOnly))) return seen;
    await signal.next();
  }
}

const watch: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(
      argv,
      {
        ...TOKEN_OPTIONS,
        interval: { type: 'string' },
        timeout: { type: 'string' },
        mentions: { type: 'boolean' },
      },
      USAGE,
    );
    if (positionals.length !== 1) throw usageError(USAGE, 'usage.expected', { what: '<room-id>' });
    const intervalS = seconds(values.interval, 'interval', 5, USAGE)!;
    const timeoutS = seconds(values.timeout, 'timeout', undefined, USAGE);
    const token = tokenFrom(values, cli.env, USAGE);
    const reader = openReader(cli.dir, positionals[0]!, token);
    // Loaded only for a shared room: a room on this machine only pays nothing for it.
    if (reader.shared) await (await import('../broker-start.ts')).ensureMirror(reader.paths, (line) => cli.err(line));

    let fd = openHistory(reader);
    const signal = new ChangeSignal(reader.chat, intervalS * 1000);
    // While it waits, the watcher counts as listening (if a broker runs; none is started for it).
    const listener = listen(reader.paths.socket, token, { onEvent: () => signal.poke(), onEnd: () => {} });
    const timeout = new Promise<'timeout'>((resolve) => {
      if (timeoutS !== undefined) setTimeout(() => resolve('timeout'), timeoutS * 1000).unref();
    });
    try {
      while (fd === null) {
        // No history file yet: wait for the broker to create it.
        if ((await Promise.race([signal.next(), timeout])) === 'timeout') return EXIT.timeout;
        fd = openHistory(reader);
      }
      const history = fd;
      for (;;) {
        const cursor = reader.cursor.read();
        const start = cursor === null ? null : locate(history, cursor);
        const news = await Promise.race([
          waitForNews(reader, history, signal, start, values.mentions === true),
          timeout,
        ]);
        if (news === 'timeout') return EXIT.timeout;
        // Print and move the cursor holding its lock, and only if nobody (poll, a follower, a hook) moved it
        // while we waited: then they delivered what woke us, and we wait again from where they left it.
        const printed = withCursorLock(cursorLockPath(reader.cursor.path), () => {
          if (!sameCursor(reader.cursor.read(), cursor)) return false;
          cli.write(
            news
              .filter((e) => reader.canSee(e.event) && e.event.user !== reader.user)
              .map((e) => `${e.line}\n`)
              .join(''),
          );
          reader.cursor.write(news.at(-1)!);
          return true;
        });
        if (printed) return EXIT.ok;
      }
    } finally {
      listener.close();
      signal.close();
      if (fd !== null) closeSync(fd);
    }
  },
};

export default watch;
