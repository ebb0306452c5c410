// Questions asked of the history on a user's behalf: GET /messages, where a
// replay of the last n events starts, and which event an id or id prefix
// names. Every answer holds only events the user may see: a DM between
// others is "no message", never "more than one" or a hole in a page.
import { RoomError } from '../shared/errors.ts';
import type { RoomEvent } from '../shared/events.ts';
import { type EventLog, readEvents } from './log/event-log.ts';

const READ_BATCH = 256;
/** How many ids sharing a prefix are examined (a 4-hex prefix has this many only in a huge history). */
const PREFIX_CANDIDATES = 1000;

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
    if (found.length > 1)
      throw new RoomError('unknown_id', `id prefix ${ref} matches more than one message: give more characters`);
    throw new RoomError('unknown_id', `no message with id ${ref} in the history`);
  }

  /** The seq just before the `n`-th last event `user` can see (0 when there are fewer). */
  seqBeforeLastVisible(n: number, user: string): number {
    const { lastSeq, count } = this.#log.state;
    if (n <= 0) return lastSeq;
    let seen = 0;
    for (let end = count; end > 0; end -= READ_BATCH) {
      const events = readEvents(this.#log, Math.max(0, end - READ_BATCH), end);
      for (let i = events.length - 1; i >= 0; i--) {
        const event = events[i]!;
        if (this.#canSee(event, user) && ++seen === n) return event.seq - 1;
      }
    }
    return 0;
  }

  /** Visible events after `since` (the first `limit` of them), or the last `limit` without it. */
  messages(user: string, since: string | undefined, limit: number): RoomEvent[] {
    this.#checkLog();
    let from: number;
    if (since === undefined) {
      from = this.#log.positionAfter(this.seqBeforeLastVisible(limit, user));
    } else {
      const event = this.visibleEvent(since.toLowerCase(), user);
      if (event === undefined) throw new RoomError('unknown_id', `no message with id ${since} in the history`);
      from = this.#log.positionOf(event.id)! + 1;
    }
    const out: RoomEvent[] = [];
    const { count } = this.#log.state;
    for (let start = from; start < count && out.length < limit; start += READ_BATCH) {
      for (const event of readEvents(this.#log, start, start + READ_BATCH)) {
        if (this.#canSee(event, user)) out.push(event);
        if (out.length >= limit) break;
      }
    }
    return out;
  }
}
