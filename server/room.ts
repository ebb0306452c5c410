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

export interface RoomOptions {
  readonly id: string;
  readonly log: EventLog;
  /** Delivers events already in the log, in seq order, to their subscribers (the hub). */
  readonly fanOut: (events: readonly RoomEvent[], lines: readonly string[]) => void;
  /** Where the broker's own log lines go. */
  readonly say?: (message: string) => void;
  readonly now?: () => Date;
}

export class Room {
  readonly id: string;
  readonly log: EventLog;
  readonly now: () => Date;
  readonly #fanOut: RoomOptions['fanOut'];
  readonly #say: (message: string) => void;
  /** Submitted this turn, committed together at its end. */
  #queue: Submitted[] = [];

  constructor(options: RoomOptions) {
    this.id = options.id;
    this.log = options.log;
    this.#fanOut = options.fanOut;
    this.#say = options.say ?? (() => {});
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Stamps, appends, then publishes an event, at once (after what was
   * submitted before it). Throws (and publishes nothing) if the append fails.
   */
  publish(draft: Draft, id?: string): RoomEvent {
    if (!this.#commitQueued()) this.checkLog(); // a commit that went through has just checked it
    return this.#commit([{ draft, id: id ?? randomUUID() }])[0]!.event;
  }

  /**
   * Queues an event for this turn's group commit; resolves once it is in the
   * log and fanned out, rejects with the write's error (nothing stored).
   * `id` is given for a keyed post (server/idempotency.ts).
   */
  submit(draft: Draft, id: string = randomUUID()): Promise<Stored> {
    return new Promise((resolve, reject) => {
      if (this.#queue.length === 0) setImmediate(() => this.commit());
      this.#queue.push({ draft, id, resolve, reject });
    });
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
      for (const submitted of batch) submitted.reject(error);
      return false;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(stored[i]!);
    return true;
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
