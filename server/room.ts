// The room: the one place events are made. Invariants:
// - every event gets its id, room, ts and the next seq here, and nowhere else;
// - an event is appended to the log before it is published or echoed: stamp
//   → append → publish, in one event-loop turn, so every subscriber sees
//   events in log order and nothing unlogged is ever seen or acknowledged;
// - group commit: what is submitted (POST /messages) during one event-loop
//   turn is stamped, appended with one write (log.appendAll) and fanned out
//   as one batch at the end of that turn (setImmediate: after the turn's I/O
//   callbacks), and only then are the senders answered. A failed write fails
//   every event of the batch, none published. publish() (commands, notices)
//   commits what is queued first, so events keep the order they arrived in;
// - the log's storage is checked before each append (server/log/event-log.ts
//   verify), and what happened to it outside the broker is said in the
//   broker's log and, as a notice, to the room.
//
// A shared room (issue 16) has a sequencer (server/nats/event-stream.ts): the
// room stamps id, room, user and ts, and the sequencer has the event stored
// in the room's JetStream stream, whose sequence becomes its seq; the
// sequencer writes it to the local log (the mirror) and fans it out, in
// stream order, for events from every machine alike. Then the room's calls
// are asynchronous in effect: enqueue() answers once the event is stored
// there and here; publish() returns the event as stamped (seq 0, not yet
// stored) and stored() gives the stored one. Without a sequencer nothing of
// this runs: the path above is the one-machine path, unchanged.
import { randomUUID } from 'node:crypto';
import type { Notice, RoomEvent } from '../shared/events.ts';
import { BROKER_USER } from '../shared/names.ts';
import type { EventLog } from './log/event-log.ts';

type Distribute<E> = E extends RoomEvent ? Omit<E, 'id' | 'room' | 'ts' | 'seq'> : never;
/** An event before the room stamps it. */
export type Draft = Distribute<RoomEvent>;

/** A stored event and its JSON line: the bytes of the history line, the stream frame and the 201 echo. */
export interface Stored {
  readonly event: RoomEvent;
  readonly line: string;
}

/**
 * What posting one inbound event gave: a stored event (201), with its line
 * when it went through the group commit, or a private notice (200).
 */
export type PostResult =
  | { readonly stored: true; readonly event: RoomEvent; readonly line?: string }
  | { readonly stored: false; readonly notice: Notice };

interface Submitted {
  readonly draft: Draft;
  readonly id: string;
  readonly resolve: (stored: Stored) => void;
  readonly reject: (error: unknown) => void;
}

type WithoutSeq<E> = E extends RoomEvent ? Omit<E, 'seq'> : never;
/** An event stamped by the room, before the shared stream gives it its seq. */
export type Unsequenced = WithoutSeq<RoomEvent>;

/** Orders a shared room's events across machines (server/nats/event-stream.ts). */
export interface Sequencer {
  /** Throws (nats_unreachable) when nothing can be stored now; nothing is sent then. */
  checkWritable(): void;
  /**
   * Has the event stored in the shared stream; resolves once it is stored
   * there and in the local log, and fanned out. `clear`: the event also
   * empties the history on every machine, just before it (/clear).
   */
  store(event: Unsequenced, clear: boolean): Promise<Stored>;
  /** Resolves once every store() begun so far has settled (shutdown). */
  settled(): Promise<void>;
}

export interface RoomOptions {
  readonly id: string;
  readonly log: EventLog;
  /** Delivers events already in the log, in seq order, to their subscribers (the hub). */
  readonly fanOut: (events: readonly RoomEvent[], lines: readonly string[]) => void;
  /** Where the broker's own log lines go. */
  readonly say?: (message: string) => void;
  readonly now?: () => Date;
  /** A shared room's sequencer; absent for a room on this machine only. */
  readonly sequencer?: Sequencer;
}

export class Room {
  readonly id: string;
  readonly log: EventLog;
  readonly now: () => Date;
  readonly #fanOut: RoomOptions['fanOut'];
  readonly #say: (message: string) => void;
  /** Submitted this turn, committed together at its end. */
  #queue: Submitted[] = [];
  /** Run at the end of a turn with a queue (setImmediate): one function for every batch. */
  readonly #commitTurn = (): void => this.commit();
  readonly #sequencer: Sequencer | undefined;
  /** A shared room's events handed out by publish() and not yet stored, by id (stored() finds them). */
  readonly #unstored = new Map<string, Promise<Stored>>();

  constructor(options: RoomOptions) {
    this.id = options.id;
    this.log = options.log;
    this.#fanOut = options.fanOut;
    this.#say = options.say ?? (() => {});
    this.now = options.now ?? (() => new Date());
    this.#sequencer = options.sequencer;
  }

  /** Whether the room is shared through a sequencer (NATS). */
  get shared(): boolean {
    return this.#sequencer !== undefined;
  }

  /** A shared room: whether its stream takes writes now (NATS reachable); undefined for a room on this machine only. */
  get sharedWritable(): boolean | undefined {
    if (this.#sequencer === undefined) return undefined;
    try {
      this.#sequencer.checkWritable();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stamps, appends, then publishes an event, at once (after what was
   * submitted before it). Throws (and publishes nothing) if the append fails.
   */
  publish(draft: Draft, id?: string): RoomEvent {
    if (this.#sequencer !== undefined) return this.#publishShared(this.#sequencer, draft, id ?? randomUUID(), false);
    if (!this.#commitQueued()) this.checkLog(); // a commit that went through has just checked it
    return this.#commit([{ draft, id: id ?? randomUUID() }])[0]!.event;
  }

  /**
   * publish() in a shared room: sends the event to be stored and returns it
   * as stamped (seq 0: the stream gives the seq); stored() waits for it.
   * Throws at once, sending nothing, when the stream cannot be reached.
   */
  #publishShared(sequencer: Sequencer, draft: Draft, id: string, clear: boolean): RoomEvent {
    sequencer.checkWritable();
    const event = this.#stamp(draft, id, this.now().toISOString());
    const stored = sequencer.store(event, clear);
    this.#unstored.set(id, stored);
    // Whoever waits on it (stored()) hears a failure; this is the broker's log line for the rest.
    stored.then(
      () => this.#unstored.delete(id),
      (error: unknown) => {
        this.#unstored.delete(id);
        this.#say(`event ${id} (${draft.type} by ${draft.user}) was not stored: ${(error as Error).message}`);
      },
    );
    return { ...event, seq: 0 } as RoomEvent;
  }

  /**
   * The stored form of an event publish() returned, with its line once it
   * came through the shared stream: in a room on this machine only it is
   * the event itself (already stored).
   */
  async stored(event: RoomEvent): Promise<{ event: RoomEvent; line?: string }> {
    const pending = this.#unstored.get(event.id);
    return pending === undefined ? { event } : await pending;
  }

  /**
   * The /clear notice: in a room on this machine only, the caller has
   * emptied the log first; in a shared room the notice itself carries the
   * clear to every machine (each empties its mirror just before storing it).
   */
  clearNotice(content: string): RoomEvent {
    const draft: Draft = { type: 'system', user: BROKER_USER, content };
    if (this.#sequencer !== undefined) return this.#publishShared(this.#sequencer, draft, randomUUID(), true);
    return this.publish(draft);
  }

  /** Resolves once everything handed to the room is stored (or failed): before the streams end at shutdown. */
  async settled(): Promise<void> {
    this.commit();
    await this.#sequencer?.settled();
  }

  #stamp(draft: Draft, id: string, ts: string): Unsequenced {
    const { type, user, ...fields } = draft;
    return { type, id, room: this.id, user, ts, ...fields } as Unsequenced;
  }

  /**
   * Queues an event for this turn's group commit: `resolve` once it is in the
   * log and fanned out, `reject` with the write's error (nothing stored).
   * Exactly one of them is called, never before this returns; callbacks, not
   * a promise: POST /messages runs this per event. `id` is derived from the
   * Idempotency-Key for a keyed post (shared/keyed-event-id.ts).
   */
  enqueue(draft: Draft, id: string, resolve: (stored: Stored) => void, reject: (error: unknown) => void): void {
    const sequencer = this.#sequencer;
    if (sequencer !== undefined) {
      try {
        sequencer.checkWritable();
      } catch (error) {
        queueMicrotask(() => reject(error));
        return;
      }
      // The NATS client writes what is published in one turn together: the turn's events are pipelined.
      sequencer
        .store(this.#stamp(draft, id, this.now().toISOString()), false)
        .then(resolve, reject)
        .catch((thrown: unknown) => this.#answerFailed(thrown));
      return;
    }
    if (this.#queue.length === 0) setImmediate(this.#commitTurn);
    this.#queue.push({ draft, id, resolve, reject });
  }

  /** Commits what was submitted (also run before a publish, and at shutdown). */
  commit(): void {
    this.#commitQueued();
  }

  /** commit(); true when there was a batch and it went through (the log was checked just now). */
  #commitQueued(): boolean {
    const batch = this.#queue;
    if (batch.length === 0) return false;
    this.#queue = [];
    let stored: Stored[];
    try {
      this.checkLog();
      stored = this.#commit(batch);
    } catch (error) {
      for (const submitted of batch) {
        try {
          submitted.reject(error);
        } catch (thrown) {
          this.#answerFailed(thrown);
        }
      }
      return false;
    }
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i]!.resolve(stored[i]!);
      } catch (thrown) {
        this.#answerFailed(thrown);
      }
    }
    return true;
  }

  /**
   * A sender's callback threw (it answers the request at once, maybe inside a
   * publish()): said in the broker's log; the rest of the batch still get
   * their answers.
   */
  #answerFailed(error: unknown): void {
    this.#say(`answering a send failed: ${(error as Error).message}`);
  }

  /** Stamps events with the next seqs and one ts, appends them with one write, then fans them out. */
  #commit(batch: ReadonlyArray<{ readonly draft: Draft; readonly id: string }>): Stored[] {
    const ts = this.now().toISOString();
    let seq = this.log.state.lastSeq;
    const events = batch.map(({ draft, id }) => {
      const { type, user, ...fields } = draft;
      return { type, id, room: this.id, user, ts, seq: ++seq, ...fields } as RoomEvent;
    });
    const lines = this.log.appendAll(events);
    this.#fanOut(events, lines);
    return events.map((event, i) => ({ event, line: lines[i]! }));
  }

  /**
   * Checks the log's storage and, if it changed outside the broker, says so
   * (broker log, and a notice in the log itself, so readers see it in place).
   * Run before every append and before reads that trust positions.
   */
  checkLog(): void {
    const recovery = this.log.verify();
    if (recovery === null) return;
    this.#say(`history ${recovery.message}`);
    if (this.#sequencer !== undefined) {
      // This machine's copy changed; the notice goes through the stream like any event (if it can).
      try {
        this.publish({ type: 'system', user: BROKER_USER, content: `the history file ${recovery.message}` });
      } catch {
        // the stream is unreachable: the broker's log line above says it
      }
      return;
    }
    this.#commit([
      {
        draft: { type: 'system', user: BROKER_USER, content: `the history file ${recovery.message}` },
        id: randomUUID(),
      },
    ]);
  }

  /** A notice from the broker to everyone, stored. */
  system(content: string): RoomEvent {
    return this.publish({ type: 'system', user: BROKER_USER, content });
  }

  /** A private answer for one caller; never stored or broadcast. */
  notice(content: string): Notice {
    return {
      type: 'system',
      id: randomUUID(),
      room: this.id,
      user: BROKER_USER,
      ts: this.now().toISOString(),
      content,
    };
  }
}
