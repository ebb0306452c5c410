// Fan-out of room events to Server-Sent Events streams.
//
// Every subscriber has a position: the seq of the last event it was given
// (or skipped as invisible). A new or resumed subscriber is "catching up":
// a pump reads its backlog from the log batch by batch, writing only as fast
// as the socket drains. Once it reaches the end it is "live": each published
// event is written to it directly. Because every event is appended to the
// log before it is published, a catching-up subscriber misses nothing: the
// pump finds it in the log.
//
// What a subscriber can hold is bounded in both phases:
// - catching up: at most PUMP_HIGH_WATER plus one batch (at most
//   PUMP_BATCH_BYTES, or one line) is buffered; a reader that does not drain
//   for `stallMs` is cut (it resumes with Last-Event-ID);
// - live: a subscriber whose buffer passes `maxBuffer` is cut.
// A pump also yields to the event loop after PUMP_TURN_BATCHES batches, so
// a long replay to a fast reader does not hold up everyone else.
import type { ServerResponse } from 'node:http';
import type { CloseReason, NatsState } from '../shared/api.ts';
import type { RoomEvent } from '../shared/events.ts';
import type { EventLog } from './log/event-log.ts';

const PUMP_BATCH = 256;
const PUMP_BATCH_BYTES = 256 * 1024;
const PUMP_HIGH_WATER = 64 * 1024;
const PUMP_TURN_BATCHES = 16;

export interface Subscriber {
  readonly user: string;
  /** The seq of the last event given to (or skipped for) this subscriber. */
  position: number;
  live: boolean;
  closed: boolean;
  readonly res: ServerResponse;
}

export interface HubOptions {
  readonly log: EventLog;
  readonly canSee: (event: RoomEvent, user: string) => boolean;
  /** Whether everyone may see the event (then canSee is true for every user). */
  readonly isPublic: (event: RoomEvent) => boolean;
  readonly heartbeatMs: number;
  readonly maxBuffer: number;
  /** How long a catching-up reader may leave its buffer full before it is cut. */
  readonly stallMs: number;
  /** Checks the log's storage before a pump trusts positions (Room.checkLog). */
  readonly checkLog: () => void;
  /** Called once per subscriber when its stream has ended, however it ended. */
  readonly onClosed: (sub: Subscriber) => void;
}

/** Where a new stream starts and what it is told first. */
export interface SubscribeFrom {
  /** Deliver every visible event after this seq. */
  readonly after: number;
  /** Tell the client first that the history it holds is gone (`event: clear`). */
  readonly cleared: boolean;
  /** The log's epoch, sent in the stream's first frame (`event: epoch`). */
  readonly epoch: string;
}

export const frame = (seq: number, line: string): string => `id: ${seq}\ndata: ${line}\n\n`;
/** Tells a client the history it holds was emptied (shared/api.ts StreamClear). */
const CLEAR_FRAME = 'event: clear\ndata: {}\n\n';
const epochFrame = (epoch: string): string => `event: epoch\ndata: ${JSON.stringify({ epoch })}\n\n`;
/** Whether a shared room's broker reaches its NATS server (shared/api.ts StreamNats). */
const natsFrame = (state: NatsState): string => `event: nats\ndata: ${JSON.stringify({ state })}\n\n`;

const CRLF = Buffer.from('\r\n');

/** `body` as one chunk of HTTP/1.1's chunked transfer coding: size in hex, CRLF, the bytes, CRLF. */
function chunkOf(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]);
}

/**
 * Writes a live batch to a stream with one system call's worth of work.
 * When the response holds nothing of its own (its head and earlier writes
 * are with the socket already) and is chunked, the chunk is written to the
 * socket directly: the same bytes res.write would send, but without its
 * cork, framing and writev per subscriber per batch, and for a batch
 * everyone sees the one framed Buffer goes to every socket. Otherwise
 * (a pipelined response not yet at the head of its socket, HTTP/1.0's
 * unchunked body) res.write frames and orders it.
 */
function writeLive(res: ServerResponse, body: Buffer, chunk: Buffer): void {
  const socket = res.socket;
  if (
    socket?.writable === true &&
    res.chunkedEncoding &&
    !res.writableEnded &&
    res.writableLength === socket.writableLength
  )
    socket.write(chunk);
  else res.write(body);
}

/** The seq and event of a history line; null for a line that does not parse (the file was edited under us). */
function parseLine(line: string): RoomEvent | null {
  try {
    return JSON.parse(line) as RoomEvent;
  } catch {
    return null;
  }
}

export class Hub {
  readonly #subs = new Set<Subscriber>();
  /** A shared room: whether its broker reaches NATS now (told to every stream); undefined on one machine. */
  #nats: NatsState | undefined;
  /** Long-polls (GET /messages?wait=) waiting for the next event. */
  readonly #waiters = new Set<() => void>();
  readonly #options: HubOptions;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(options: HubOptions) {
    this.#options = options;
    this.#heartbeat = setInterval(() => this.#ping(), options.heartbeatMs);
    this.#heartbeat.unref();
  }

  get size(): number {
    return this.#subs.size;
  }

  /**
   * Starts a stream on `res`: first the log's epoch (and `clear` when the
   * client's history is gone), then every visible event after `from.after`.
   * The caller has just checked the log (Room.checkLog), in this turn.
   */
  subscribe(user: string, res: ServerResponse, from: SubscribeFrom): Subscriber {
    const sub: Subscriber = { user, position: from.after, live: false, closed: false, res };
    this.#subs.add(sub);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const nats = this.#nats === undefined ? '' : natsFrame(this.#nats);
    res.write(`retry: 1000\n: connected\n\n${epochFrame(from.epoch)}${nats}${from.cleared ? CLEAR_FRAME : ''}`);
    res.on('close', () => this.#closed(sub));
    res.on('error', () => res.destroy());
    this.#pump(sub, true);
    return sub;
  }

  /** Resolves at the next published event, after `ms`, or when the streams are ended (shutdown). */
  nextEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wakeWaiters(): void {
    for (const done of [...this.#waiters]) done();
  }

  /**
   * Writes events (one commit, in seq order) to every live subscriber, each
   * the ones it may see, with one write per subscriber. A batch everyone may
   * see is framed and encoded once and the same bytes go to all.
   */
  publish(events: readonly RoomEvent[], lines: readonly string[]): void {
    this.#wakeWaiters();
    const last = events.at(-1);
    if (last === undefined) return;
    const frames = events.map((event, i) => frame(event.seq, lines[i]!));
    const { isPublic, canSee, maxBuffer } = this.#options;
    const shared = events.every(isPublic) ? Buffer.from(frames.join('')) : null;
    const sharedChunk = shared === null ? null : chunkOf(shared);
    for (const sub of this.#subs) {
      if (!sub.live || sub.closed) continue;
      sub.position = last.seq;
      if (shared !== null) writeLive(sub.res, shared, sharedChunk!);
      else {
        let text = '';
        for (let i = 0; i < events.length; i++) if (canSee(events[i]!, sub.user)) text += frames[i];
        if (text === '') continue;
        const body = Buffer.from(text);
        writeLive(sub.res, body, chunkOf(body));
      }
      if (sub.res.writableLength > maxBuffer) this.#drop(sub);
    }
  }

  /**
   * A shared room's broker reached or lost its NATS server: every open stream
   * is told, and every stream opened from now on is told first. Never set in a
   * room on one machine (its streams carry no `nats` frame).
   */
  setNats(state: NatsState): void {
    if (state === this.#nats) return;
    this.#nats = state;
    for (const sub of this.#subs) {
      if (!sub.closed) sub.res.write(natsFrame(state));
    }
  }

  /** The history was emptied (/clear): every open stream is told, before the notice that follows. */
  cleared(): void {
    for (const sub of this.#subs) {
      if (!sub.closed) sub.res.write(CLEAR_FRAME);
    }
  }

  /** Ends the matching streams with a final `close` event. */
  end(reason: CloseReason, message: string, which: (sub: Subscriber) => boolean = () => true): void {
    this.#wakeWaiters();
    const data = `event: close\ndata: ${JSON.stringify({ reason, message })}\n\n`;
    for (const sub of this.#subs) {
      if (sub.closed || !which(sub)) continue;
      sub.closed = true;
      sub.res.end(data);
      // end() may never complete on a dying socket: give it a moment, then cut.
      setTimeout(() => sub.res.destroy(), 2000).unref();
    }
  }

  /** Resolves once every stream has closed, or after `ms` at the latest. */
  async drained(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.#subs.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const sub of this.#subs) sub.res.destroy();
  }

  stop(): void {
    clearInterval(this.#heartbeat);
  }

  /**
   * Feeds a catching-up subscriber its backlog from the log, as fast as its
   * socket drains; `checked`: the log was checked in this turn already.
   */
  #pump(sub: Subscriber, checked = false): void {
    const { log, canSee, checkLog } = this.#options;
    if (sub.closed) return;
    try {
      if (!checked) checkLog();
    } catch {
      // The history cannot be reopened (an unsafe file put at its path): the
      // stream is cut rather than fed from a file that is no longer the room's.
      this.#drop(sub);
      return;
    }
    for (let batches = 0; !sub.live && !sub.closed; batches++) {
      if (sub.res.writableLength >= PUMP_HIGH_WATER) {
        this.#awaitDrain(sub);
        return;
      }
      if (batches >= PUMP_TURN_BATCHES) {
        setImmediate(() => this.#pump(sub));
        return;
      }
      const from = log.positionAfter(sub.position);
      const lines = from >= log.state.end ? [] : log.readLines(from, from + PUMP_BATCH, PUMP_BATCH_BYTES);
      if (lines.length === 0) {
        sub.live = true;
        return;
      }
      const before = sub.position;
      let chunk = '';
      for (const line of lines) {
        const event = parseLine(line);
        if (event === null) continue;
        sub.position = event.seq;
        if (canSee(event, sub.user)) chunk += frame(event.seq, line);
      }
      if (chunk !== '') sub.res.write(chunk);
      // Lines that no longer parse (the file was overwritten in place): cut
      // the stream rather than spin; it resumes once the log is re-checked.
      if (sub.position === before) {
        this.#drop(sub);
        return;
      }
    }
  }

  /** Resumes the pump once the socket drains; cuts a reader that leaves it full for `stallMs`. */
  #awaitDrain(sub: Subscriber): void {
    const stalled = setTimeout(() => {
      sub.res.off('drain', resume);
      if (!sub.closed) this.#drop(sub);
    }, this.#options.stallMs);
    stalled.unref();
    const resume = () => {
      clearTimeout(stalled);
      this.#pump(sub);
    };
    sub.res.once('drain', resume);
  }

  #ping(): void {
    for (const sub of this.#subs) {
      if (!sub.closed) sub.res.write(': ping\n\n');
    }
  }

  #drop(sub: Subscriber): void {
    sub.closed = true;
    sub.res.destroy();
  }

  #closed(sub: Subscriber): void {
    if (!this.#subs.delete(sub)) return;
    sub.closed = true;
    this.#options.onClosed(sub);
  }
}
