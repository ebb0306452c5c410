// Fan-out of room events to Server-Sent Events streams.
//
// Every subscriber has a position: the seq of the last event it was given
// (or skipped as invisible). A new or resumed subscriber is "catching up":
// a pump reads its backlog from the history file batch by batch, writing
// only as fast as the socket drains. Once it reaches the end it is "live":
// each published event is written to it directly. Because every event is
// appended to the history before it is published, a catching-up subscriber
// misses nothing: the pump finds it in the file. Nothing is buffered per
// subscriber beyond the socket's own buffer, and a live subscriber whose
// buffer passes `maxBuffer` is disconnected (it resumes with Last-Event-ID).
import type { ServerResponse } from 'node:http';
import type { CloseReason } from '../shared/api.ts';
import type { RoomEvent } from '../shared/events.ts';
import type { History } from './history.ts';

const PUMP_BATCH = 256;
const PUMP_HIGH_WATER = 64 * 1024;

export interface Subscriber {
  readonly user: string;
  /** The seq of the last event given to (or skipped for) this subscriber. */
  position: number;
  live: boolean;
  closed: boolean;
  readonly res: ServerResponse;
}

export interface HubOptions {
  readonly history: History;
  readonly canSee: (event: RoomEvent, user: string) => boolean;
  readonly heartbeatMs: number;
  readonly maxBuffer: number;
  /** Called once per subscriber when its stream has ended, however it ended. */
  readonly onClosed: (sub: Subscriber) => void;
}

export const frame = (seq: number, line: string): string => `id: ${seq}\ndata: ${line}\n\n`;
/** Tells a client the history it holds was emptied (shared/api.ts StreamClear). */
const CLEAR_FRAME = 'event: clear\ndata: {}\n\n';

export class Hub {
  readonly #subs = new Set<Subscriber>();
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
   * Starts a stream on `res` that delivers every visible event after seq
   * `after`; `cleared` first tells it the history it holds is gone.
   */
  subscribe(user: string, res: ServerResponse, after: number, cleared = false): Subscriber {
    const sub: Subscriber = { user, position: after, live: false, closed: false, res };
    this.#subs.add(sub);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 1000\n: connected\n\n${cleared ? CLEAR_FRAME : ''}`);
    res.on('close', () => this.#closed(sub));
    res.on('error', () => res.destroy());
    this.#pump(sub);
    return sub;
  }

  /** Writes `event` to every live subscriber allowed to see it. */
  publish(event: RoomEvent, line: string): void {
    const data = frame(event.seq, line);
    for (const sub of this.#subs) {
      if (!sub.live || sub.closed) continue;
      sub.position = event.seq;
      if (!this.#options.canSee(event, sub.user)) continue;
      sub.res.write(data);
      if (sub.res.writableLength > this.#options.maxBuffer) this.#drop(sub);
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

  /** Feeds a catching-up subscriber its backlog from the file, as fast as its socket drains. */
  #pump(sub: Subscriber): void {
    const { history, canSee } = this.#options;
    while (!sub.live && !sub.closed) {
      if (sub.res.writableLength >= PUMP_HIGH_WATER) {
        sub.res.once('drain', () => this.#pump(sub));
        return;
      }
      const from = history.indexAfterSeq(sub.position);
      if (from >= history.length) {
        sub.live = true;
        return;
      }
      const lines = history.readLines(from, from + PUMP_BATCH);
      let chunk = '';
      for (const line of lines) {
        const event = JSON.parse(line) as RoomEvent;
        sub.position = event.seq;
        if (canSee(event, sub.user)) chunk += frame(event.seq, line);
      }
      if (chunk !== '') sub.res.write(chunk);
    }
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
