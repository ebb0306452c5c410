// What agent mode sends: one inbound event per stdin line, posted one at a
// time in the order the lines were read. Invariants:
// - a line is posted only while the stream is live, so the user's own join
//   comes before anything they send, and nothing is posted into a restart;
// - a post that fails because the broker is gone is retried (same line,
//   still first in the queue, same Idempotency-Key) once the session has
//   reconnected (client/live/post-through-restarts.ts), so lines typed during
//   a restart are sent afterwards, in order, and none is stored twice.
// - a post the broker refuses (permission_denied, unknown_user…) is reported
//   and dropped; the session goes on;
// - a line refused before it is sent (it does not parse) takes its place in
//   the queue too, so stderr reports every refusal in the order of the lines;
// - stored events are not printed here: they come back through the stream.
//   Private answers (`/who`) exist only as the post's answer, so they are,
//   after the echoes of the lines before them.
import { randomUUID } from 'node:crypto';
import type { Inbound } from '../../shared/api.ts';
import { RoomError } from '../../shared/errors.ts';
import type { Notice } from '../../shared/events.ts';
import type { BrokerClient, PostAnswer } from '../live/broker-client.ts';
import { postThroughRestarts } from '../live/post-through-restarts.ts';
import type { LiveSession } from '../live/session.ts';

export interface OutboxOptions {
  readonly client: BrokerClient;
  readonly token: string;
  readonly session: LiveSession;
  readonly onNotice: (notice: Notice) => void;
  readonly onError: (message: string) => void;
  /** After each line leaves the queue (sent or refused): lets the reader resume. */
  readonly onProgress?: (pending: number) => void;
}

type Outgoing =
  | {
      readonly inbound: Inbound;
      /** The Idempotency-Key of every try of this line. */
      readonly key: string;
      /** The stdin line it came from, for diagnostics. */
      readonly number: number;
    }
  | { readonly refused: string; readonly number: number };

/** The longest a private answer waits for the echoes of the lines sent before it. */
const ECHO_WAIT_MS = 3000;
/** A bound on a wait that must not itself keep the process alive. */
const deadline = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export class Outbox {
  /** The highest seq the broker gave a line of ours: its echo is due on the stream. */
  lastStoredSeq = 0;
  readonly #options: OutboxOptions;
  readonly #queue: Outgoing[] = [];
  #draining: Promise<void> | null = null;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** Lines in the queue, refused ones waiting their turn included: what reading stdin is paced by. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Lines waiting to be sent (including the one in flight); not those refused before sending. */
  get pending(): number {
    return this.#queue.filter((item) => !('refused' in item)).length;
  }

  /**
   * The session ended: the lines refused before sending that wait behind
   * unsent ones are reported now, and leave the queue (so a drain still
   * running does not report them again; it only ever takes the first item).
   */
  reportRefusals(): void {
    for (const item of this.#queue)
      if ('refused' in item) this.#options.onError(`line ${item.number} not sent: ${item.refused}`);
    const sendable = this.#queue.filter((item) => !('refused' in item));
    this.#queue.splice(0, this.#queue.length, ...sendable);
  }

  push(inbound: Inbound, number: number): void {
    this.#enqueue({ inbound, number, key: randomUUID() });
  }

  /** A line refused before it could be sent: reported once the lines before it are. */
  refuse(why: string, number: number): void {
    this.#enqueue({ refused: why, number });
  }

  #enqueue(item: Outgoing): void {
    this.#queue.push(item);
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null;
    });
  }

  /** Resolves once the queue is empty, or the session ended with lines left unsent (see `pending`). */
  idle(): Promise<void> {
    return this.#draining ?? Promise.resolve();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      if (!(await this.#send(this.#queue[0]!))) return;
      this.#queue.shift();
      this.#options.onProgress?.(this.#queue.length);
    }
  }

  /** Posts one line; false when the session ended before it could be sent. */
  async #send(item: Outgoing): Promise<boolean> {
    if ('refused' in item) {
      this.#options.onError(`line ${item.number} not sent: ${item.refused}`);
      return true;
    }
    const { client, token, session } = this.#options;
    let answer: PostAnswer | undefined;
    try {
      answer = await postThroughRestarts(session, client, token, item.inbound, item.key);
    } catch (error) {
      const why =
        error instanceof RoomError ? `${error.message} (${error.code})` : `internal error: ${(error as Error).message}`;
      this.#options.onError(`line ${item.number} not sent: ${why}`);
      return true;
    }
    if (answer === undefined) return false;
    if (answer.stored) {
      this.lastStoredSeq = Math.max(this.lastStoredSeq, answer.event.seq);
    } else {
      // Print it after the echoes of the lines before it, as it answers a later line.
      await Promise.race([session.whenDelivered(this.lastStoredSeq), deadline(ECHO_WAIT_MS)]);
      this.#options.onNotice(answer.notice);
    }
    return true;
  }
}
