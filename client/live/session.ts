// A live session: the SSE stream of GET /events, kept alive across broker
// restarts. Invariants:
// - events reach `onEvent` once each, in seq order: after a reconnect the
//   stream resumes with Last-Event-ID, and anything at or below the last
//   seq delivered is dropped;
// - a stream the broker ends on purpose (`event: close`) with reason exit,
//   kicked or revoked ends the session; a cut stream (crash) or a shutdown
//   is retried until `giveUpMs` has passed without a connection. After a cut
//   the broker is restarted if nobody listens (a crash); after a shutdown
//   the session only waits for someone to start it again.
import { createParser } from 'eventsource-parser';
import type { CloseReason, StreamClose } from '../../shared/api.ts';
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
  readonly onEvent: (event: RoomEvent) => void;
  readonly onState?: (state: ConnectionState) => void;
  /** A payload that is not a valid event (skipped). */
  readonly onWarning?: (message: string) => void;
}

type StreamOutcome = { readonly kind: 'closed'; readonly close: StreamClose } | { readonly kind: 'cut' };

const FINAL: ReadonlySet<string> = new Set(['exit', 'kicked', 'revoked']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LiveSession {
  /** The seq of the last event delivered; resumes from here. */
  lastSeq = 0;
  readonly #options: LiveSessionOptions;
  readonly #abort = new AbortController();
  #state: ConnectionState = 'connecting';
  #waiters: Array<() => void> = [];

  constructor(options: LiveSessionOptions) {
    this.#options = options;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Ends the session from our side (stdin closed, Ctrl-C): the broker then broadcasts our leave. */
  stop(): void {
    this.#abort.abort();
    this.#wake();
  }

  /** Resolves once the stream is live again (at once if it is), or the session ended. */
  whenLive(): Promise<void> {
    if (this.#state === 'live' || this.#abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Runs until the session ends. */
  async run(): Promise<SessionEnd> {
    let deadline = Date.now() + this.#options.giveUpMs;
    let backoff = 100;
    let lastOutcome: StreamOutcome | null = null;
    for (;;) {
      if (this.#abort.signal.aborted) return { reason: 'stopped', message: 'session ended' };
      try {
        if (lastOutcome?.kind === 'cut') await ensureBroker(this.#options.paths);
        const outcome = await this.#readStream();
        if (this.#abort.signal.aborted) return { reason: 'stopped', message: 'session ended' };
        if (outcome.kind === 'closed' && FINAL.has(outcome.close.reason)) {
          return { reason: outcome.close.reason, message: outcome.close.message };
        }
        lastOutcome = outcome;
        deadline = Date.now() + this.#options.giveUpMs;
        backoff = 100;
      } catch (error) {
        if (this.#abort.signal.aborted) return { reason: 'stopped', message: 'session ended' };
        if (error instanceof RoomError && (error.code === 'invalid_token' || error.code === 'missing_token')) {
          return { reason: 'revoked', message: error.message };
        }
        if (!isUnreachable(error)) throw error;
        if (Date.now() >= deadline) {
          return { reason: 'lost', message: `lost the broker of ${this.#options.paths.room}: gave up after ${Math.round(this.#options.giveUpMs / 1000)} s (${(error as Error).message})` };
        }
      }
      this.#setState('reconnecting');
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 2000);
    }
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onState?.(state);
    if (state === 'live') this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** One connection: fresh (last `history` events) the first time, resumed after that. */
  async #readStream(): Promise<StreamOutcome> {
    const { client, token, history } = this.#options;
    const resume = this.lastSeq > 0;
    const response = await client.send('GET', resume ? '/events' : `/events?n=${history}`, {
      token,
      headers: resume ? { 'last-event-id': String(this.lastSeq), accept: 'text/event-stream' } : { accept: 'text/event-stream' },
      signal: this.#abort.signal,
    });
    this.#setState('live');
    let close: StreamClose | null = null;
    const parser = createParser({
      onEvent: (message) => {
        if (message.event === 'close') close = JSON.parse(message.data) as StreamClose;
        else this.#deliver(message.data);
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
    } catch {
      // cut mid-stream (broker died, or we aborted): decided below
    }
    return close === null ? { kind: 'cut' } : { kind: 'closed', close };
  }

  #deliver(data: string): void {
    const event = parseEvent(data);
    if (event === null) {
      this.#options.onWarning?.(`skipped an invalid event from the broker: ${data.slice(0, 200)}`);
      return;
    }
    if (event.seq <= this.lastSeq) return; // already delivered before a reconnect
    this.lastSeq = event.seq;
    this.#options.onEvent(event);
  }
}
