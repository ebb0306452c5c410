// Live sessions (GET /events): where a stream starts, what it is told first,
// and the join and leave it brings. The fan-out itself is the hub's.
//
// Where a stream starts:
// - fresh: after the seq before the last `n` events the user can see (all without n);
// - resumed (Last-Event-ID): right after that seq, unless the position means
//   nothing here. A seq from another epoch (the client says which it had),
//   or past the end of the log (a replaced or recreated history), starts
//   over from the beginning with `event: clear` first; so does a seq from
//   before the first event still held (a /clear came in between), which
//   resumes after it.
import type { ServerResponse } from 'node:http';
import type { HistoryQueries } from './history-queries.ts';
import type { Hub, Subscriber } from './hub.ts';
import type { Presence } from './presence.ts';
import type { Room } from './room.ts';

export interface StreamStart {
  /** How many visible history events to replay on a fresh stream (all when absent). */
  readonly n?: number;
  /** Resume after this seq. */
  readonly lastEventId?: number;
  /** The epoch the client's Last-Event-ID belongs to, when it knows it. */
  readonly epoch?: string;
}

export class Streams {
  /** Listening streams (GET /listen): they count as listening, and announce no join or leave. */
  readonly #listeners = new WeakSet<Subscriber>();
  readonly #room: Room;
  readonly #hub: Hub;
  readonly #presence: Presence;
  readonly #queries: HistoryQueries;

  constructor(room: Room, hub: Hub, presence: Presence, queries: HistoryQueries) {
    this.#room = room;
    this.#hub = hub;
    this.#presence = presence;
    this.#queries = queries;
  }

  /** Opens an SSE session: the replay, then the user's own join (broadcast to everyone), then every new event live. */
  open(user: string, res: ServerResponse, from: StreamStart): void {
    this.#room.checkLog();
    const log = this.#room.log;
    const { firstSeq, lastSeq } = log.state;
    let after: number;
    let cleared = false;
    if (from.lastEventId !== undefined) {
      const foreign = (from.epoch !== undefined && from.epoch !== log.epoch) || from.lastEventId > lastSeq;
      after = foreign ? 0 : from.lastEventId;
      cleared = foreign || (after > 0 && after < firstSeq);
    } else {
      after = from.n === undefined ? 0 : this.#queries.seqBeforeLastVisible(from.n, user);
    }
    this.#presence.connect(user);
    this.#hub.subscribe(user, res, { after, cleared, epoch: log.epoch });
    this.#announce({ type: 'join', user });
  }

  /**
   * Opens a listening stream: every new visible event from now on, no
   * history, no join or leave broadcast; the user counts as listening while
   * it is open. Kick, revocation and shutdown end it like any stream.
   */
  listen(user: string, res: ServerResponse): void {
    this.#room.checkLog();
    const log = this.#room.log;
    this.#presence.listen(user);
    this.#listeners.add(this.#hub.subscribe(user, res, { after: log.state.lastSeq, cleared: false, epoch: log.epoch }));
  }

  /**
   * A stream ended, however it ended: the user's session (or listener) count
   * drops, and the room hears the leave of a session. True when the user has
   * no live session and no listening stream left.
   */
  closed(sub: Subscriber): boolean {
    const now = this.#room.now();
    if (this.#listeners.has(sub)) {
      this.#presence.unlisten(sub.user, now);
    } else {
      this.#presence.disconnect(sub.user, now);
      this.#announce({ type: 'leave', user: sub.user });
    }
    return !this.#presence.isOnline(sub.user) && !this.#presence.isListening(sub.user);
  }

  /** A join or leave. When the log cannot take it (disk full) it is lost, and the session opens or ends all the same. */
  #announce(draft: { type: 'join' | 'leave'; user: string }): void {
    try {
      this.#room.publish(draft);
    } catch (error) {
      console.log(`${new Date().toISOString()} ${draft.type} of ${draft.user} not stored: ${(error as Error).message}`);
    }
  }
}
