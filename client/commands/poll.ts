// `room poll`: print the unseen visible events and advance the cursor.
import { closeSync } from 'node:fs';
import { EXIT, roomError } from '../../shared/errors.ts';
import { cursorLockPath } from '../../shared/paths.ts';
import { clipped } from '../../shared/quote.ts';
import { parse, TOKEN_OPTIONS, tokenFrom, usageError, type Command } from '../cli.ts';
import { withCursorLock } from '../cursor-lock.ts';
import { locate } from '../cursor.ts';
import { findEntry, scanEntries, type Entry } from '../history-file.ts';
import { openHistory, openReader } from '../reader.ts';

const USAGE = `Usage: room poll [-t TOKEN | --token-file PATH] <room-id> [--since ID]

Reads the room's history file directly (no broker needed), prints the events
you have not seen yet as NDJSON (DMs only if they are yours, or you are the
host) and advances your cursor (<dir>/room-<room-id>-<user>.cursor), so a
second poll prints nothing. Delete the cursor file to start over.

Options:
  -t, --token TOKEN  your token (default: $ROOM_TOKEN)
      --token-file PATH
                     read the token from PATH: the record room join wrote
                     (<dir>/room-<room-id>-<user>.token) or a file holding only the token
      --since ID     print what follows event ID instead (an unknown ID is an error);
                     the cursor then moves to the last event read`;

/** Output is gathered and written in large pieces: a first poll may print a long history. */
const FLUSH_BYTES = 1 << 20;

const poll: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(argv, { ...TOKEN_OPTIONS, since: { type: 'string' } }, USAGE);
    if (positionals.length !== 1) throw usageError(USAGE, 'usage.expected', { what: '<room-id>' });
    const reader = openReader(cli.dir, positionals[0]!, tokenFrom(values, cli.env, USAGE));
    // Loaded only for a shared room: a room on this machine only pays nothing for it.
    if (reader.shared) await (await import('../broker-start.ts')).ensureMirror(reader.paths, (line) => cli.err(line));
    const fd = openHistory(reader);
    if (fd === null) {
      if (values.since !== undefined) throw roomError('unknown_id.no_history', { id: clipped(values.since) });
      return EXIT.ok;
    }
    try {
      // Read, print and move the cursor holding its lock: a follower or hook of the same user delivering at
      // this moment waits for us (and we for it), so no event is printed by both.
      return withCursorLock(cursorLockPath(reader.cursor.path), () => {
        const cursor = reader.cursor.read();
        let from: Entry | null = null;
        if (values.since !== undefined) {
          const since = values.since.toLowerCase(); // ids are lowercase UUIDs; GET /messages?since= ignores case too
          from = cursor?.id === since ? locate(fd, cursor) : findEntry(fd, since);
          // An event the caller cannot see (a DM between others) is unknown, as for GET /messages?since=:
          // otherwise poll would confirm that it exists.
          if (from === null || !reader.canSee(from.event))
            throw roomError('unknown_id.no_event', { id: clipped(values.since) });
        } else if (cursor !== null) {
          from = locate(fd, cursor); // gone (cleared history): start over
        }
        let last = from;
        let pending = '';
        scanEntries(fd, from?.end ?? 0, (entry) => {
          last = entry;
          if (!reader.canSee(entry.event)) return;
          pending += `${entry.line}\n`;
          if (pending.length >= FLUSH_BYTES) {
            cli.write(pending);
            pending = '';
          }
        });
        if (pending !== '') cli.write(pending);
        // Also rewrites a cursor whose line moved, so the next poll reads only what is new.
        const moved = last !== null && (last.event.id !== cursor?.id || last.start !== cursor.start);
        if (moved) reader.cursor.write(last!);
        return EXIT.ok;
      });
    } finally {
      closeSync(fd);
    }
  },
};

export default poll;
