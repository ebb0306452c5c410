// A live session: the SSE stream of GET /events, kept alive across broker
// restarts. Invariants:
// - events reach `onEvent` once each, in seq order: after a reconnect the
//   stream resumes with Last-Event-ID, and anything at or below the last
//   seq delivered is dropped (unless the history was replaced, see #deliver);
// - a resume names the epoch its seq belongs to (the stream's first frame,
//   `event: epoch`); when the broker answers that the history is another
//   one (`event: clear` before any event), what is held is dropped
//   (onClear) and the replay that follows is taken from its start;
// - a stream the broker ends on purpose (`event: close`) with reason exit,
//   kicked or revoked ends the session; a cut stream (crash) or a shutdown
//   is retried until `giveUpMs` has passed without a connection. After a cut
//   or a failed connection the broker is restarted if nobody listens (a
//   crash); after a shutdown the session only waits for someone to start it
//   again (whoever stopped it on purpose decides whether it comes back).
import { createParser } from 'eventsource-parser';
import type { CloseReason, NatsState, StreamClose, StreamEpoch, StreamNats } from '../../shared/api.ts';
import { RoomError } from '../../shared/errors.ts';
import type { RoomEvent } from '../../shared/events.ts';
import type { RoomPaths } from '../../shared/paths.ts';
import { parseEvent } from '../../shared/validate.ts';
import { ensureBroker } from '../broker-start.ts';
import { isUnreachable, type BrokerClient } from './broker-client.ts';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** Why a session ended: the broker's reason, `lost` (gave up reconnecting) or `stopped` (by us). */
export interface SessionEnd {
  readonly reason: CloseReason | 'lost' | 'stopped';
  readonly message: string;
}

export interface LiveSessionOptions {
  readonly client: BrokerClient;
  readonly paths: RoomPaths;
  readonly token: string;
  /** History events to replay on the first connection. */
  readonly history: number;
  /** How long to keep trying to reconnect before giving up. */
  readonly giveUpMs: number;
  /** Each event once, in order, with `line`: its JSON exactly as the broker sent it (the history line). */
  readonly onEvent: (event: RoomEvent, line: string) => void;
  readonly onState?: (state: ConnectionState) => void;
  /** The host emptied the history (`event: clear`): drop what is shown of it; its notice follows. */
  readonly onClear?: () => void;
  /** A shared room's broker reached or lost its NATS server (`event: nats`; never in a room on one machine). */
  readonly onNats?: (state: NatsState) => void;
  /** Something odd but survivable (an invalid payload skipped, a replaced history). */
  readonly onWarning?: (message: string) => void;
  /**
   * Asked after each chunk of the stream: a promise holds further reading
   * until it resolves (the consumer is behind). The broker buffers meanwhile
   * and drops a stream that stays behind; it is then resumed like a cut one.
   */
  readonly backpressure?: () => Promise<void> | undefined;
}

type StreamOutcome = { readonly kind: 'closed'; readonly close: StreamClose } | { readonly kind: 'cut' };

const FINAL: ReadonlySet<string> = new Set(['exit', 'kicked', 'revoked']);
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;

/** Waits `ms`, or less if `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Waits for `promise`, or until `signal` aborts. */
function unlessAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  let done = () => {};
  const aborted = new Promise<void>((resolve) => {
    done = resolve;
    signal.addEventListener('abort', done, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', done));
}

export class LiveSession {
  /** The seq of the last event delivered; resumes from here. */
  lastSeq = 0;
  /** The epoch of the history `lastSeq` belongs to (from the stream's `event: epoch`). */
  #epoch: string | undefined;
  readonly #options: LiveSessionOptions;
  readonly #abort = new AbortController();
  #state: ConnectionState = 'connecting';
  #ended = false;
  /** Callbacks re-checked on every change (state, delivery, end); each returns true once done. */
  #waiters: Array<() => boolean> = [];

  constructor(options: LiveSessionOptions) {
    this.#options = options;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** True once `run` has returned (or is about to). */
  get ended(): boolean {
    return this.#ended || this.#abort.signal.aborted;
  }

  /** Ends the session from our side (stdin closed, Ctrl-C): the broker then broadcasts our leave. */
  stop(): void {
    this.#abort.abort();
    this.#notify();
  }

  /** Resolves once the stream is live (at once if it is), or the session ended. */
  whenLive(): Promise<void> {
    return this.#until(() => this.#state === 'live');
  }

  /** Resolves once the event with this seq (or a later one) was delivered, or the session ended. */
  whenDelivered(seq: number): Promise<void> {
    return this.#until(() => this.lastSeq >= seq);
  }

  /** Runs until the session ends. */
  async run(): Promise<SessionEnd> {
    try {
      return await this.#loop();
    } finally {
      this.#ended = true;
      this.#notify();
    }
  }

  async #loop(): Promise<SessionEnd> {
    const stopped: SessionEnd = { reason: 'stopped', message: 'session ended' };
    let deadline = Date.now() + this.#options.giveUpMs;
    let backoff = FIRST_BACKOFF_MS;
    let first = true;
    // Set by a deliberate shutdown: then the broker is not restarted from here.
    let waitForOthers = false;
    for (;;) {
      if (this.#abort.signal.aborted) return stopped;
      try {
        if (!first && !waitForOthers) await ensureBroker(this.#options.paths);
        first = false;
        const outcome = await this.#readStream();
        if (this.#abort.signal.aborted) return stopped;
        if (outcome.kind === 'closed' && FINAL.has(outcome.close.reason)) {
          return { reason: outcome.close.reason, message: outcome.close.message };
        }
        if (outcome.kind === 'closed')
          this.#options.onWarning?.(`${outcome.close.message}: waiting for it to be started again`);
        waitForOthers = outcome.kind === 'closed';
        deadline = Date.now() + this.#options.giveUpMs;
        backoff = FIRST_BACKOFF_MS;
      } catch (error) {
        if (this.#abort.signal.aborted) return stopped;
        if (error instanceof RoomError && (error.code === 'invalid_token' || error.code === 'missing_token')) {
          return { reason: 'revoked', message: error.message };
        }
        if (!isUnreachable(error)) throw error;
        if (Date.now() >= deadline) {
          const seconds = Math.round(this.#options.giveUpMs / 100) / 10;
          return {
            reason: 'lost',
            message: `lost the broker of room ${this.#options.paths.room}: gave up reconnecting after ${seconds} s (${(error as Error).message})`,
          };
        }
      }
      this.#setState('reconnecting');
      await pause(backoff, this.#abort.signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onState?.(state);
    this.#notify();
  }

  #until(done: () => boolean): Promise<void> {
    const check = () => done() || this.ended;
    if (check()) return Promise.resolve();
    return new Promise((resolve) =>
      this.#waiters.push(() => {
        if (!check()) return false;
        resolve();
        return true;
      }),
    );
  }

  #notify(): void {
    this.#waiters = this.#waiters.filter((waiter) => !waiter());
  }

  /** One connection: fresh (last `history` events) the first time, resumed after that. */
  async #readStream(): Promise<StreamOutcome> {
    const { client, token, history } = this.#options;
    const resume = this.lastSeq > 0;
    const path = !resume
      ? `/events?n=${history}`
      : this.#epoch === undefined
        ? '/events'
        : `/events?epoch=${encodeURIComponent(this.#epoch)}`;
    const response = await client.send('GET', path, {
      token,
      headers: resume
        ? { 'last-event-id': String(this.lastSeq), accept: 'text/event-stream' }
        : { accept: 'text/event-stream' },
      signal: this.#abort.signal,
    });
    this.#setState('live');
    let close: StreamClose | null = null;
    let first = resume;
    const parser = createParser({
      onEvent: (message) => {
        if (message.event === 'close') {
          close = JSON.parse(message.data) as StreamClose;
          return;
        }
        if (message.event === 'epoch') {
          const { epoch } = JSON.parse(message.data) as StreamEpoch;
          if (resume && this.#epoch !== undefined && epoch !== this.#epoch)
            this.#options.onWarning?.(
              `the history of room ${this.#options.paths.room} was replaced (we had seq ${this.lastSeq}): starting over`,
            );
          this.#epoch = epoch;
          return;
        }
        if (message.event === 'nats') {
          const { state } = JSON.parse(message.data) as StreamNats;
          if (state === 'connected' || state === 'unreachable') this.#options.onNats?.(state);
          return;
        }
        if (message.event === 'clear') {
          // At the start of a resume: our seq meant nothing in this history
          // (another epoch, or past its end), and the replay starts over.
          if (first) this.lastSeq = 0;
          this.#options.onClear?.();
          return;
        }
        // Other named events are for newer clients: skipped.
        if (message.event !== undefined && message.event !== 'message') return;
        this.#deliver(message.data, first);
        first = false;
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
        const behind = this.#options.backpressure?.();
        if (behind !== undefined) await unlessAborted(behind, this.#abort.signal);
      }
    } catch {
      // cut mid-stream (broker died, or we aborted): decided below
    }
    return close === null ? { kind: 'cut' } : { kind: 'closed', close };
  }

  /** `firstOfResume`: the first event of a stream resumed with Last-Event-ID. */
  #deliver(data: string, firstOfResume: boolean): void {
    const event = parseEvent(data);
    if (event === null) {
      this.#options.onWarning?.(`skipped an invalid event from the broker: ${data.slice(0, 200)}`);
      return;
    }
    if (event.seq <= this.lastSeq) {
      // A resumed stream only ever starts after Last-Event-ID, unless the
      // broker found its history behind ours (the file was replaced): then
      // it starts over, and so do we. Anything else is a duplicate.
      if (!firstOfResume) return;
      this.#options.onWarning?.(
        `the history of room ${this.#options.paths.room} was replaced (now at seq ${event.seq}, we had ${this.lastSeq}): starting over`,
      );
    }
    this.lastSeq = event.seq;
    this.#options.onEvent(event, data);
    this.#notify();
  }
}
