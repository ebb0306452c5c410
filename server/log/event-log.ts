// The room's history as an event log: the one interface persistence sits
// behind, modelled on NATS server's StreamStore (filestore.go, memstore.go):
// an ordered log of events addressed by seq, with its state (first and last
// seq, count), append, range reads, lookups by id, and purge (/clear).
//
// Implementations: FileLog (the NDJSON file, server/log/file-log.ts) and
// MemoryLog (unit tests, the OpenAPI generator; server/log/memory-log.ts).
//
// Invariants every implementation keeps:
// - seqs only grow: an appended event's seq is greater than lastSeq, and
//   lastSeq never goes back, not even after clear() (live clients drop an
//   event whose seq they have passed as a duplicate);
// - append returns only once the event is stored as the durability policy
//   promises (server/log/durability.ts), and throws otherwise: the caller
//   must then neither publish nor acknowledge it, and the log is left as if
//   the append had never been tried (no partial line for the next to be
//   glued onto);
// - positions are ordinals of the stored events, in seq order, from `start`
//   to `end` (state): start is 0, except in a history opened tail first
//   (FileLog): its earlier events, once read, take the positions below 0, so
//   that no position given out changes. They are valid until the next
//   clear() or recovery (a replay re-finds its place by seq through
//   positionAfter, never by keeping a position). A read reaching below
//   `start` gets what is there: callers walk back until a read is empty.
//
// Unlike StreamStore.StoreMsg, the log does not assign seqs: the room
// stamps them (seq = state.lastSeq + 1) so the stored line, the echo and the
// stream carry the same bytes; in a shared room the JetStream stream assigns
// them and each broker stamps that sequence before it appends here.
//
// Synchronous on purpose. The broker makes an event, appends it and fans it
// out in one event-loop turn, which is what keeps every subscriber in
// history order with no queue. A room shared between machines (NATS
// JetStream, issue 16) keeps it so, the way StreamStore fits JetStream's own
// cluster: its broker keeps this interface over the file as a local mirror,
// and the room's events are ordered by the JetStream stream
// (server/nats/event-stream.ts, a Sequencer for server/room.ts), which
// appends them here in stream order, the stream's sequence as their seq.
// The epoch is what tells a client that its positions mean nothing here.

import type { RoomEvent } from '../../shared/events.ts';

/** What the log holds: like StreamStore's StreamState. */
export interface LogState {
  /** The seq of the first event held (lastSeq + 1 when empty). */
  readonly firstSeq: number;
  /** The seq of the last event ever appended or loaded (also after clear()); 0 for a fresh log. */
  readonly lastSeq: number;
  /** How many events are held (in a history opened tail first, asking reads the rest first). */
  readonly count: number;
  /** The position after the last event held (positions run up to it; `count` of them from 0 in most logs). */
  readonly end: number;
}

/** Something that happened to the log's storage outside the broker (the file edited, replaced, deleted). */
export interface LogRecovery {
  /** One line for the broker's log and the room: what happened and what was done. */
  readonly message: string;
}

export interface EventLog {
  /**
   * Names this history's storage: it changes when the history is replaced,
   * deleted or recreated, and not otherwise (not across broker restarts, not
   * on clear(), whose seqs go on). A client that resumes with a seq from
   * another epoch is told to start over.
   */
  readonly epoch: string;
  readonly state: LogState;
  /** Stores one event; returns its JSON line (what the file holds, what the stream and the echo carry). */
  append(event: RoomEvent): string;
  /**
   * Stores events, in seq order, as one unit (the room's group commit: one
   * write, one fsync where the policy asks); returns their lines. All or
   * nothing: when it throws, none of them is stored.
   */
  appendAll(events: readonly RoomEvent[]): string[];
  /** The position of the first event with a seq greater than `seq` (state.end when none). */
  positionAfter(seq: number): number;
  /** The position of the event with this id, if held. */
  positionOf(id: string): number | undefined;
  /** Ids held that start with `prefix` (lower case), at most `limit` of them. */
  idsWithPrefix(prefix: string, limit: number): string[];
  /**
   * The JSON lines of the events at positions [from, to), stopping early
   * (but after at least one line) once `maxBytes` are gathered: what a
   * replay holds at a time is bounded by bytes, not only by count. `from`
   * below the first position reads from the first (reading first, in a
   * history opened tail first, what it has not read yet).
   */
  readLines(from: number, to: number, maxBytes?: number): string[];
  /** Empties the log (/clear). lastSeq and the epoch stay. */
  clear(): void;
  /**
   * Empties the log and forgets its seqs (lastSeq 0; the epoch stays): a
   * shared room's mirror that changed outside its broker is written again
   * from the stream, with the stream's seqs (server/nats/event-stream.ts).
   */
  reset(): void;
  /**
   * Checks the storage against what the log believes and recovers (re-index,
   * reopen, recreate); says what happened, or null when nothing did. The
   * room runs it before every append (Room.checkLog), and readers before
   * trusting positions, so an event is never acknowledged into a file that
   * is no longer the one at the history's path.
   */
  verify(): LogRecovery | null;
  /** Flushes what the durability policy deferred and releases the storage. */
  close(): void;
}

/** The events at positions [from, to). Lines were validated when stored or indexed. */
export function readEvents(log: EventLog, from: number, to: number): RoomEvent[] {
  return log.readLines(from, to).map((line) => JSON.parse(line) as RoomEvent);
}

/**
 * The position of the first seq greater than `seq` in `seqs`, which rises
 * (a binary search; may be `seqs.length`): positionAfter for a log that
 * keeps its seqs in an array.
 */
export function positionAfterSeq(seqs: ArrayLike<number>, seq: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((seqs[mid] ?? 0) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
