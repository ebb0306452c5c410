// `room log <room-id>`: the visible history, filtered, in one of three
// formats, for reading, searching and exporting. It reads the history file
// directly (no broker needed) a chunk at a time and writes as it goes, so a
// history of a million events is never held in memory. Like poll, it needs a
// token (the DM rule depends on who is reading); unlike poll, it touches no
// cursor.
import { closeSync } from 'node:fs';
import { EXIT, roomError } from '../../shared/errors.ts';
import type { RoomEvent } from '../../shared/events.ts';
import { quoted } from '../../shared/quote.ts';
import { parse, TOKEN_OPTIONS, tokenFrom, usageError, type Command } from '../cli.ts';
import { type Entry, findByIdPrefix, offsetAfterSeq, scanEntries } from '../history-file.ts';
import { eventText, LOG_FORMATS, markdownLine, textLine, type LogFormat } from '../log-format.ts';
import { openHistory, openReader } from '../reader.ts';

const USAGE = `Usage: room log [-t TOKEN | --token-file PATH] <room-id> [--since X] [--until X] [--user NAME] [--grep RE] [--format F]

Prints the room's history as you can see it (DMs only if they are yours, or
you are the host), oldest first. Reads the history file directly: no broker
needed. Touches no cursor: poll and watch are not affected.

Options:
  -t, --token TOKEN  your token (default: $ROOM_TOKEN)
      --token-file PATH
                     read the token from PATH: the record room join wrote
                     (<dir>/room-<room-id>-<user>.token) or a file holding only the token
      --since X      only what comes after X: an event id, id prefix or seq (that
                     event excluded), or a time (events at or after it)
      --until X      only what comes up to X: an event id, id prefix or seq (that
                     event included), or a time (events before it)
                     An id prefix is at least 4 of the id's first characters (not
                     only digits: digits alone are a seq); a time is ISO 8601
                     (2026-11-25, 2026-11-25T19:30, …Z; local time unless it has Z
                     or an offset) or an age: 90s, 15m, 2h, 7d ago
      --user NAME    only events by NAME (repeat for several users)
      --grep RE      only events whose text matches the regular expression RE
                     (JavaScript syntax, case-insensitive)
      --format F     text (local time, first 4 characters of the id, who, what),
                     ndjson (the history lines as they are) or markdown;
                     default: text on a terminal, ndjson otherwise`;

const OPTIONS = {
  ...TOKEN_OPTIONS,
  since: { type: 'string' },
  until: { type: 'string' },
  user: { type: 'string', multiple: true },
  grep: { type: 'string' },
  format: { type: 'string' },
} as const;

const AGE = /^(\d{1,9})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Positions as GET /messages takes them (server/history-queries.ts): a seq is only digits. */
const SEQ = /^[0-9]{1,15}$/;
/** An event id or at least its first 4 characters (a UUID's first dash comes after 8). */
const ID_PREFIX = /^[0-9a-f]{4,8}(-[0-9a-f-]{0,27})?$/i;
const FULL_ID = 36;

/**
 * A --since/--until bound: an event id or id prefix (`ref`, lower case), a
 * seq, or a time as an ISO string comparable with events' `ts`. Digits alone
 * are a seq, an age (`15m`, `7d`) is an age even when it could be a prefix.
 */
type Bound = { readonly ref: string } | { readonly seq: number } | { readonly ts: string };

function bound(value: string | undefined, name: string, now: number): Bound | undefined {
  if (value === undefined) return undefined;
  if (SEQ.test(value)) return { seq: Number(value) };
  const age = AGE.exec(value);
  if (age === null && !/^\d{4}-\d\d/.test(value) && ID_PREFIX.test(value)) return { ref: value.toLowerCase() };
  // A date alone is local midnight, like a date and time without an offset (Date.parse would take it as UTC).
  const local = /^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00` : value;
  const ms = age !== null ? now - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS] : Date.parse(local);
  if (Number.isNaN(ms) || (age === null && !/^\d{4}-\d\d/.test(value)))
    throw usageError(USAGE, 'usage.log_position', { option: `--${name}`, value: quoted(value) });
  return { ts: new Date(ms).toISOString() };
}

/**
 * The one event `ref` (an id or id prefix) names among those the caller can
 * see: an event they cannot see is unknown, as for poll --since (log must not
 * confirm it exists), and a prefix two visible events share is refused.
 */
function resolve(fd: number | null, ref: string, canSee: (event: RoomEvent) => boolean): Entry {
  // A full id names one event: the search stops at it. A prefix is searched on for a second one.
  const found = fd === null ? [] : findByIdPrefix(fd, ref, canSee, ref.length === FULL_ID ? 1 : 2);
  if (found.length > 1) throw roomError('unknown_id.ambiguous_prefix', { prefix: ref });
  if (found.length === 0) throw roomError('unknown_id.no_event', { id: ref });
  return found[0]!;
}

function format(value: string | undefined, terminal: boolean): LogFormat {
  if (value === undefined) return terminal ? 'text' : 'ndjson';
  if (!(LOG_FORMATS as readonly string[]).includes(value))
    throw usageError(USAGE, 'usage.log_format', { value: quoted(value) });
  return value as LogFormat;
}

function pattern(value: string | undefined): RegExp | undefined {
  if (value === undefined) return undefined;
  try {
    return new RegExp(value, 'i');
  } catch (error) {
    throw usageError(USAGE, 'usage.log_grep', { detail: (error as Error).message });
  }
}

const TYPES = new Set(['join', 'leave', 'message', 'reply', 'command', 'system', 'dm']);
const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * A history line as an event, checking the fields log reads (type, id, user,
 * ts, and what each type shows) rather than the whole schema: the full check
 * took three quarters of log's time on a long history (bench/README.md). The
 * broker is the file's only writer and validated every event it wrote; a line
 * that is not even this shape is skipped, as poll skips invalid lines.
 */
function shapedEvent(line: string): RoomEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  if (!TYPES.has(e.type as string) || !isString(e.id) || !isString(e.user) || !isString(e.ts)) return null;
  const shaped =
    e.type === 'join' ||
    e.type === 'leave' ||
    (e.type === 'command'
      ? isString(e.cmd) && Array.isArray(e.params) && e.params.every(isString)
      : isString(e.content) && (e.type !== 'dm' || isString(e.to)) && (e.type !== 'reply' || isString(e.reply_to)));
  return shaped ? (value as RoomEvent) : null;
}

/** Output is gathered and written in large pieces. */
const FLUSH_BYTES = 1 << 20;

const log: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(argv, OPTIONS, USAGE);
    if (positionals.length !== 1) throw usageError(USAGE, 'usage.expected', { what: '<room-id>' });
    const now = Date.now();
    const since = bound(values.since, 'since', now);
    const until = bound(values.until, 'until', now);
    const users = values.user === undefined ? undefined : new Set(values.user.map((u) => u.toLowerCase()));
    const grep = pattern(values.grep);
    const shape = format(values.format, cli.stdout.isTTY === true);
    const reader = openReader(cli.dir, positionals[0]!, tokenFrom(values, cli.env, USAGE));
    const fd = openHistory(reader);
    try {
      const canSee = (event: RoomEvent) => reader.canSee(event);
      // Both are resolved before anything is printed: a bad --until must not follow a page of output.
      const first = since !== undefined && 'ref' in since ? resolve(fd, since.ref, canSee) : undefined;
      const last = until !== undefined && 'ref' in until ? resolve(fd, until.ref, canSee) : undefined;
      if (fd === null) return EXIT.ok;
      // Seqs rise through the file: a --since seq is found by binary search, an --until one ends the scan.
      const from = first?.end ?? (since !== undefined && 'seq' in since ? offsetAfterSeq(fd, since.seq) : 0);
      if (last !== undefined && last.end <= from) return EXIT.ok; // --until before --since: nothing between them
      const untilSeq = until !== undefined && 'seq' in until ? until.seq : Number.POSITIVE_INFINITY;
      const render = (line: string, event: RoomEvent): string =>
        shape === 'ndjson' ? line : shape === 'text' ? textLine(event) : markdownLine(event);
      let pending = shape === 'markdown' ? `# ${reader.paths.room}\n\n` : '';
      scanEntries(
        fd,
        from,
        (entry) => {
          const { event } = entry;
          if (event.seq > untilSeq) return false;
          // Times filter rather than stop the scan: a clock set back may have stamped a later event earlier.
          if (
            reader.canSee(event) &&
            (since === undefined || !('ts' in since) || event.ts >= since.ts) &&
            (since === undefined || !('seq' in since) || event.seq > since.seq) &&
            (until === undefined || !('ts' in until) || event.ts < until.ts) &&
            (users === undefined || users.has(event.user.toLowerCase())) &&
            (grep === undefined || grep.test(eventText(event)))
          ) {
            pending += `${render(entry.line, event)}\n`;
            if (pending.length >= FLUSH_BYTES) {
              cli.write(pending);
              pending = '';
            }
          }
          return event.id !== last?.event.id;
        },
        shapedEvent,
      );
      if (pending !== '') cli.write(pending);
      return EXIT.ok;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  },
};

export default log;
