// Questions asked of the history on a user's behalf: GET /messages (pages
// both ways, filters), where a replay of the last n events starts, and
// which event an id or id prefix names. Every answer holds only events the
// user may see: a DM between others is "no message", never "more than one"
// or a hole in a page.
//
// Positions (PagePosition): a seq (only digits: `42`), a full event id, or
// a unique prefix of one (at least 4 characters, not all digits). A seq
// needs no event of its own: `after=0` is the start, `before=<lastSeq+1>`
// the end.
import { roomError } from '../shared/errors.ts';
import type { RoomEvent } from '../shared/events.ts';
import { type EventLog, readEvents } from './log/event-log.ts';

const READ_BATCH = 256;
/** How many ids sharing a prefix are examined (a 4-hex prefix has this many only in a huge history). */
const PREFIX_CANDIDATES = 1000;

/** A page of GET /messages. */
export interface PageQuery {
  /** Events after this position (`since` is the older name of `after`, for an id only). */
  readonly after?: string;
  /** Events before this position. */
  readonly before?: string;
  readonly limit: number;
  /** Only events by this user. */
  readonly user?: string;
  /** Only events of this type. */
  readonly type?: string;
  /** Only events that mention the caller (`@name` in their text) or are DMs to them. */
  readonly mentionsMe?: boolean;
}

export interface Page {
  /** The events' history lines (their JSON, as stored), oldest first: a page is sent as these, not serialized again. */
  readonly lines: string[];
  /** More matching events lie beyond the page, in the direction it was read. */
  readonly hasMore: boolean;
  /** When there is more: the id of the page's last event in the direction read, where the next page starts. */
  readonly next?: string;
  /** Which way the page was read: forward (`after`) or backward (`before`, or the newest). */
  readonly direction: 'forward' | 'backward';
}

const MIN_PREFIX = 4;
const NAME_CHAR = /[A-Za-z0-9._-]/;

/** Whether `text` names `user` as `@user` (not as part of a longer name). */
function mentions(text: string, user: string): boolean {
  const needle = `@${user}`;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    const next = text[at + needle.length];
    if (next === undefined || !NAME_CHAR.test(next)) return true;
  }
  return false;
}

function textOf(event: RoomEvent): string {
  if ('content' in event && typeof event.content === 'string') return event.content;
  if (event.type === 'command') return event.params.join(' ');
  return '';
}

/** A page from the matching lines in the order read (up to `limit` + 1: one more says there is more). */
function pageOf(found: string[], limit: number, direction: Page['direction']): Page {
  const hasMore = found.length > limit;
  const lines = found.slice(0, limit);
  // The next page starts after the last line kept, in the direction read.
  const next = hasMore ? (JSON.parse(lines.at(-1)!) as RoomEvent).id : undefined;
  return {
    lines: direction === 'forward' ? lines : lines.reverse(),
    hasMore,
    ...(next === undefined ? {} : { next }),
    direction,
  };
}

export interface HistoryQueriesOptions {
  readonly log: EventLog;
  readonly canSee: (event: RoomEvent, user: string) => boolean;
  /** Checks the log's storage before positions are trusted (Room.checkLog). */
  readonly checkLog: () => void;
}

export class HistoryQueries {
  readonly #log: EventLog;
  readonly #canSee: HistoryQueriesOptions['canSee'];
  readonly #checkLog: () => void;

  constructor(options: HistoryQueriesOptions) {
    this.#log = options.log;
    this.#canSee = options.canSee;
    this.#checkLog = options.checkLog;
  }

  /** The event with this id if `user` may see it (one read of its line), else undefined. */
  visibleEvent(id: string, user: string): RoomEvent | undefined {
    const position = this.#log.positionOf(id);
    const event = position === undefined ? undefined : readEvents(this.#log, position, position + 1)[0];
    return event !== undefined && this.#canSee(event, user) ? event : undefined;
  }

  /** The event a full id, or a unique prefix of one, names. */
  resolve(ref: string, user: string): RoomEvent {
    this.#checkLog();
    const id = ref.toLowerCase();
    const exact = this.visibleEvent(id, user);
    if (exact !== undefined) return exact;
    const candidates = id.length < 36 ? this.#log.idsWithPrefix(id, PREFIX_CANDIDATES) : [];
    const found = candidates.map((c) => this.visibleEvent(c, user)).filter((e) => e !== undefined);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw roomError('unknown_id.ambiguous_prefix', { prefix: ref });
    throw roomError('unknown_id.no_message', { id: ref });
  }

  /** The seq just before the `n`-th last event `user` can see (0 when there are fewer). */
  seqBeforeLastVisible(n: number, user: string): number {
    const { lastSeq, end: last } = this.#log.state;
    if (n <= 0) return lastSeq;
    let seen = 0;
    // Back from the end until a read is empty: below the first position there is nothing.
    for (let end = last; ; end -= READ_BATCH) {
      const events = readEvents(this.#log, end - READ_BATCH, end);
      if (events.length === 0) break;
      for (let i = events.length - 1; i >= 0; i--) {
        const event = events[i]!;
        if (this.#canSee(event, user) && ++seen === n) return event.seq - 1;
      }
    }
    return 0;
  }

  /** The seq a position names (see the file's header); unknown_id for an id or prefix the user cannot see. */
  seqOf(position: string, user: string): number {
    if (/^[0-9]{1,15}$/.test(position)) return Number(position);
    if (position.length < MIN_PREFIX) throw roomError('usage.position', { position, min: MIN_PREFIX });
    return this.resolve(position, user).seq;
  }

  /** One page of visible, matching events: after a position, before one, between two, or the newest. */
  page(user: string, query: PageQuery): Page {
    this.#checkLog();
    const matches = (event: RoomEvent): boolean =>
      this.#canSee(event, user) &&
      (query.user === undefined || event.user === query.user) &&
      (query.type === undefined || event.type === query.type) &&
      (query.mentionsMe !== true || (event.type === 'dm' && event.to === user) || mentions(textOf(event), user));
    const afterSeq = query.after === undefined ? undefined : this.seqOf(query.after, user);
    const beforeSeq = query.before === undefined ? undefined : this.seqOf(query.before, user);
    const log = this.#log;
    const found: string[] = []; // matching lines in the order read, up to one more than the limit (there is more)
    if (afterSeq !== undefined) {
      const { end } = log.state;
      scan: for (let start = log.positionAfter(afterSeq); start < end; start += READ_BATCH) {
        for (const line of log.readLines(start, start + READ_BATCH)) {
          const event = JSON.parse(line) as RoomEvent;
          if (beforeSeq !== undefined && event.seq >= beforeSeq) break scan;
          if (matches(event) && found.push(line) > query.limit) break scan;
        }
      }
      return pageOf(found, query.limit, 'forward');
    }
    const end = beforeSeq === undefined ? log.state.end : log.positionAfter(beforeSeq - 1);
    scan: for (let stop = end; ; stop -= READ_BATCH) {
      const lines = log.readLines(stop - READ_BATCH, stop);
      if (lines.length === 0) break;
      for (let i = lines.length - 1; i >= 0; i--) {
        if (matches(JSON.parse(lines[i]!) as RoomEvent) && found.push(lines[i]!) > query.limit) break scan;
      }
    }
    return pageOf(found, query.limit, 'backward');
  }
}
