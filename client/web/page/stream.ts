// The live stream: GET /api/events through sse.js, the SSE client that can
// send an Authorization header (the browser's own EventSource cannot). One
// sse.js object per connection; reconnecting is ours, so the state shown is
// exact and the resume point is the last event this page has, sent as
// Last-Event-ID: the broker replays from right after it, nothing lost or
// doubled, even across a broker restart.
//
// A stream the broker ends on purpose says why (`event: close`): kicked,
// revoked and exit end the page's session; shutdown, or a cut stream, is
// retried with a growing delay.
import type { StreamClose } from '../../../shared/api.ts';
import type { RoomEvent } from '../../../shared/events.ts';
import { SSE, type SSEvent } from 'sse.js';

export type StreamState =
  | { readonly state: 'connecting' }
  | { readonly state: 'live' }
  /** `reported`: the gateway said why the last try failed (a broker that cannot be started again). */
  | { readonly state: 'reconnecting'; readonly inMs: number; readonly why: string; readonly reported: boolean }
  | { readonly state: 'closed'; readonly why: string; readonly reason: string };

export interface StreamHandlers {
  readonly onEvent: (event: RoomEvent) => void;
  readonly onClear: () => void;
  readonly onState: (state: StreamState) => void;
}

/** How many history events the first connection replays. */
const FIRST_REPLAY = 50;
const RETRY_MS = [200, 500, 1000, 2000, 3000];
/**
 * sse.js reads the stream through XMLHttpRequest, whose responseText keeps
 * everything received. Past this many characters the page reconnects (from
 * its last event, so nothing is lost) to let the old text go.
 */
const MAX_STREAM_CHARS = 16 * 1024 * 1024;
const FINAL_REASONS = new Set(['exit', 'kicked', 'revoked']);

/** The message of an error answer (`{"code","message"}`), if it is one. */
function messageOf(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

export class LiveStream {
  readonly #authorization: string;
  readonly #handlers: StreamHandlers;
  #source: SSE | undefined;
  #lastSeq: number | undefined;
  #failures = 0;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(authorization: string, handlers: StreamHandlers) {
    this.#authorization = authorization;
    this.#handlers = handlers;
  }

  /** The seq of the last event received (the resume point). */
  get lastSeq(): number | undefined {
    return this.#lastSeq;
  }

  start(): void {
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#source?.close();
  }

  #connect(): void {
    const headers: Record<string, string> = { Authorization: this.#authorization };
    if (this.#lastSeq !== undefined) headers['Last-Event-ID'] = String(this.#lastSeq);
    const url = this.#lastSeq === undefined ? `/api/events?n=${FIRST_REPLAY}` : '/api/events';
    const source = new SSE(url, { headers, start: false, useLastEventId: false, autoReconnect: false });
    this.#source = source;
    let final: StreamClose | undefined;
    let refused: { status: number; body: string } | undefined;
    this.#handlers.onState(
      this.#failures === 0
        ? { state: 'connecting' }
        : { state: 'reconnecting', inMs: 0, why: 'connecting', reported: false },
    );
    source.addEventListener('open', (e: SSEvent) => {
      if (e.responseCode === 200) {
        this.#failures = 0;
        this.#handlers.onState({ state: 'live' });
      }
    });
    source.addEventListener('message', (e: SSEvent) => {
      if (source !== this.#source) return; // a replaced stream's last bytes
      const event = JSON.parse(e.data) as RoomEvent;
      if (this.#lastSeq !== undefined && event.seq <= this.#lastSeq) return;
      this.#lastSeq = event.seq;
      this.#handlers.onEvent(event);
      if (source.progress > MAX_STREAM_CHARS) this.#recycle(source);
    });
    source.addEventListener('clear', () => this.#handlers.onClear());
    source.addEventListener('close', (e: SSEvent) => {
      final = JSON.parse(e.data) as StreamClose;
    });
    source.addEventListener('error', (e: SSEvent) => {
      if (e.responseCode !== undefined && e.responseCode >= 400)
        refused = { status: e.responseCode, body: String(e.data ?? '') };
    });
    // sse.js reports CLOSED twice for an error answer (on its first chunk, then on load): act once.
    let ended = false;
    source.addEventListener('readystatechange', (e: SSEvent & { readyState: number }) => {
      if (e.readyState !== SSE.CLOSED || ended || source !== this.#source || this.#stopped) return;
      ended = true;
      this.#ended(final, refused);
    });
    source.stream();
  }

  /** Replaces a stream that has held too much text with a fresh one that resumes after the last event. */
  #recycle(source: SSE): void {
    this.#source = undefined;
    source.close();
    queueMicrotask(() => {
      if (!this.#stopped) this.#connect();
    });
  }

  #ended(final: StreamClose | undefined, refused: { status: number; body: string } | undefined): void {
    if (final !== undefined && FINAL_REASONS.has(final.reason)) {
      this.#stopped = true;
      this.#handlers.onState({ state: 'closed', why: final.message, reason: final.reason });
      return;
    }
    const said = refused === undefined ? undefined : messageOf(refused.body);
    if (refused !== undefined && refused.status === 401) {
      this.#stopped = true;
      this.#handlers.onState({
        state: 'closed',
        why: said ?? 'the room no longer accepts this token',
        reason: 'token',
      });
      return;
    }
    const inMs = RETRY_MS[Math.min(this.#failures, RETRY_MS.length - 1)]!;
    this.#failures++;
    const why =
      final?.message ??
      said ??
      (refused === undefined ? 'the connection was cut' : `the gateway answered ${refused.status}`);
    this.#handlers.onState({ state: 'reconnecting', inMs, why, reported: said !== undefined });
    this.#timer = setTimeout(() => this.#connect(), inMs);
  }
}
