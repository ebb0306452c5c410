// A shared room's events on NATS JetStream (issue 16): one stream per room,
// every machine's broker appends to it and reads it back in one order.
//
// Names: the stream is `ROOM_<id>` and its subject `room.<id>.events`, where
// <id> is the room id with `.` written `_2e` and `_` written `_5f` (stream
// names and subject tokens may not hold `.`; `_` is escaped too so that two
// room ids never share a stream: the escape is reversible).
//
// The seq. The stream's sequence is the room's seq: an event is published
// without one, JetStream stores it at the next sequence, and every broker
// stamps that sequence into the event when it reads it back. The issue
// sketched the other way round (stamp lastSeq + 1, publish with
// Nats-Expected-Last-Sequence, catch up and retry on a conflict). Stamping
// on receipt gives the same single order and the same seqs on every machine
// with no conflict to retry: two machines sending at once would otherwise
// turn every send into a round trip that may fail, and a turn's events
// could not be pipelined (each one's expected sequence depends on the one
// before being accepted). The event's bytes are still the same everywhere:
// each broker builds the line from the stored payload and the sequence in
// one fixed key order (the room's: type, id, room, user, ts, seq, ...).
//
// Invariants:
// - a send is answered only after JetStream stored it (the PubAck; in a
//   cluster, after its replicas did) and this machine's mirror holds it;
// - the mirror (the room's NDJSON history file: room poll, watch and log
//   read it unchanged) is written by its broker only, from the stream, in
//   stream order; events are fanned out to local subscribers after they
//   are in the mirror (on disk before seen), each batch as one write;
// - the mirror never skips or repeats: the reader resumes at the mirror's
//   last seq + 1 (across restarts, reconnections and consumer resets), and
//   what the mirror already holds is dropped; an append that fails (disk
//   full) is retried, never skipped;
// - the mirror holds what this broker wrote to it: one changed outside it
//   (lines appended by hand, truncated, deleted, replaced) is written again
//   from the stream's start before anything else is appended, so it never
//   keeps a gap or a line the stream does not have;
// - /clear is an event too: the notice carries `Room-Clear`, every broker
//   empties its mirror just before storing it, and the broker that sent it
//   purges the stream below it; seqs keep growing;
// - each event's id is its JetStream message id, so a publish retried within
//   the stream's duplicate window is stored once;
// - while NATS cannot be reached, writes are refused at once
//   (nats_unreachable) and reads go on from the mirror; on reconnection the
//   reader catches up by sequence.
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { headers, type NatsConnection, TimeoutError } from '@nats-io/transport-node';
import { type RoomError, roomError } from '../../shared/errors.ts';
import type { NatsState } from '../../shared/api.ts';
import type { RoomEvent } from '../../shared/events.ts';
import { isRoomEvent } from '../../shared/validate.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Sequencer, Stored, Unsequenced } from '../room.ts';

/** The header that marks a /clear notice: every machine empties its history just before it. */
const CLEAR_HEADER = 'Room-Clear';
/** How long a publish waits for JetStream's acknowledgement. */
const PUBLISH_TIMEOUT_MS = 5_000;
/** How long an acknowledged event may take to reach this machine's mirror before its sender is told it failed. */
const MIRROR_TIMEOUT_MS = 10_000;
/** After a failed mirror append (disk full) or a reader that ended, the next try. */
const RETRY_MS = 1_000;
/** An acknowledged event not read back within this long means the reader is stuck: it is made again. */
const STALL_MS = 2_000;

/** A room id as a stream name or subject token: `.` and `_` escaped (see above). */
export function natsName(room: string): string {
  return room.replace(/[._]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

export const streamName = (room: string): string => `ROOM_${natsName(room)}`;
export const subjectOf = (room: string): string => `room.${natsName(room)}.events`;

/** What the stream does with the events it reads back: the broker's hub. */
export interface StreamSink {
  /** Events just written to the mirror, in seq order, with their lines. */
  readonly fanOut: (events: readonly RoomEvent[], lines: readonly string[]) => void;
  /** The mirror was emptied by a /clear (from any machine): tell the open streams. */
  readonly cleared: () => void;
  /** Checks the mirror's file before an append (Room.checkLog). */
  readonly checkLog: () => void;
  /** Whether the NATS server is reached: `connected` at start and on every reconnection, `unreachable` when lost. */
  readonly reach: (state: NatsState) => void;
}

export interface EventStreamOptions {
  readonly room: string;
  /** The servers, for messages. */
  readonly url: string;
  readonly replicas: number;
  /** The local mirror. */
  readonly log: EventLog;
  readonly say: (message: string) => void;
}

interface Received {
  readonly seq: number;
  readonly data: Uint8Array;
  readonly clear: boolean;
}

interface Waiter {
  readonly resolve: (stored: Stored) => void;
  readonly reject: (error: unknown) => void;
}

/** The stream's connection, once it has one. */
interface Link {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

export class EventStream implements Sequencer {
  /** Undefined until attach() succeeded: a broker may start while NATS is away, and then refuses writes. */
  #link: Link | undefined;
  readonly #options: EventStreamOptions;
  readonly #stream: string;
  readonly #subject: string;
  #sink: StreamSink | undefined;
  #connected = true;
  #closing = false;
  /** Read from the stream, not yet in the mirror (appended at the end of the turn, or retried). */
  #incoming: Received[] = [];
  #flushScheduled = false;
  #retry: NodeJS.Timeout | undefined;
  /** The last sequence handed over by the reader (in the mirror or in #incoming). */
  #readThrough: number;
  /** Sends waiting for their event to reach the mirror, by event id. */
  readonly #waiting = new Map<string, Waiter>();
  /** Stores begun and not settled (settled() waits for them). */
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Resolves the start's wait once the mirror reaches this sequence. */
  #caughtUp: { readonly seq: number; readonly resolve: () => void } | undefined;
  #reader: { close(): Promise<unknown> } | undefined;
  /** Counts the readers made: a replaced reader's end is not mistaken for the current one's. */
  #generation = 0;
  #restartedAt = 0;
  /** start() has run: sends are taken (before, a send's event could not reach the mirror). */
  #started = false;
  /** The mirror's last seq and count as this broker left them: anything else means it changed outside the broker. */
  #mirrored: { lastSeq: number; count: number };

  constructor(options: EventStreamOptions) {
    this.#options = options;
    this.#stream = streamName(options.room);
    this.#subject = subjectOf(options.room);
    this.#readThrough = options.log.state.lastSeq;
    this.#mirrored = { lastSeq: options.log.state.lastSeq, count: options.log.state.count };
  }

  /**
   * Takes the connection: finds or creates the room's stream and checks the
   * mirror belongs to it (a mirror ahead of the stream, whose stream was
   * deleted or which was shared through another NATS system, is refused
   * rather than mixed). Nothing is read yet (start()).
   */
  async attach(nc: NatsConnection): Promise<void> {
    const { log, room, url } = this.#options;
    const jsm = await jetstreamManager(nc).catch((error: unknown) => {
      throw roomError('nats_unreachable.no_jetstream', { url, detail: (error as Error).message }, { cause: error });
    });
    const link = { nc, js: jetstream(nc), jsm };
    const { first, last } = await this.#ensureStream(link);
    const mirrored = log.state.lastSeq;
    if (last < mirrored) throw roomError('internal.mirror_ahead', { room, mirrored, stream: this.#stream, url, last });
    await this.#checkSameStream(link, first);
    this.#link = link;
  }

  /**
   * The mirror's last event is the stream's event at its seq (unless the
   * stream no longer holds that seq: purged by a /clear). A stream deleted
   * and made again, which other machines then filled past this mirror's
   * end, holds other events there: reading on would append them to a
   * history they do not belong to, so the start is refused.
   */
  async #checkSameStream({ jsm }: Link, first: number): Promise<void> {
    const { log, room, url } = this.#options;
    const { count, end } = log.state;
    if (count === 0) return;
    const [line] = log.readLines(end - 1, end);
    if (line === undefined) return;
    const held = JSON.parse(line) as RoomEvent;
    if (held.seq < first) return;
    const stored = await jsm.streams.getMessage(this.#stream, { seq: held.seq }).catch((error: unknown) => {
      if (/no message found/i.test((error as Error).message)) return null;
      throw this.#unreachable(error);
    });
    const decoded = stored === null ? null : this.#decode({ seq: stored.seq, data: stored.data, clear: false });
    if (decoded?.id !== held.id)
      throw roomError('internal.mirror_foreign', { room, seq: held.seq, id: held.id, stream: this.#stream, url });
  }

  /**
   * Reads the stream (attached) into the mirror and out to `sink`; resolves
   * once the mirror holds what the stream holds now (or after `catchUpMs`,
   * reading on in the background). Writes are taken from now on.
   */
  async start(sink: StreamSink, catchUpMs = 10_000): Promise<void> {
    const link = this.#link!;
    this.#sink = sink;
    void this.#watchConnection(link.nc);
    sink.reach('connected');
    const last = (
      await link.jsm.streams.info(this.#stream).catch((error: unknown) => {
        throw this.#unreachable(error);
      })
    ).state.last_seq;
    const caughtUp = new Promise<void>((resolve) => {
      if (this.#readThrough >= last) resolve();
      else this.#caughtUp = { seq: last, resolve };
    });
    this.#started = true;
    await this.#read();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([caughtUp, new Promise((resolve) => (timer = setTimeout(resolve, catchUpMs)))]);
    clearTimeout(timer);
    this.#caughtUp = undefined;
  }

  /** The stream's first and last sequences, creating the stream if it does not exist. */
  async #ensureStream({ jsm }: Link): Promise<{ first: number; last: number }> {
    const { replicas, say } = this.#options;
    try {
      const info = await jsm.streams.info(this.#stream);
      if (info.config.num_replicas !== replicas)
        say(
          `stream ${this.#stream} has ${info.config.num_replicas} replicas (ROOM_NATS_REPLICAS=${replicas} applies to a new stream only)`,
        );
      return { first: info.state.first_seq, last: info.state.last_seq };
    } catch (error) {
      if (!/stream not found/i.test((error as Error).message)) throw this.#unreachable(error);
    }
    try {
      const info = await jsm.streams.add({
        name: this.#stream,
        subjects: [this.#subject],
        storage: StorageType.File,
        num_replicas: replicas,
      });
      say(`created stream ${this.#stream} (subject ${this.#subject}, ${replicas} replica${replicas === 1 ? '' : 's'})`);
      return { first: info.state.first_seq, last: info.state.last_seq };
    } catch (error) {
      // Another machine created it a moment ago.
      const info = await jsm.streams.info(this.#stream).catch(() => {
        throw this.#unreachable(error);
      });
      return { first: info.state.first_seq, last: info.state.last_seq };
    }
  }

  #unreachable(error: unknown): RoomError {
    return roomError(
      'nats_unreachable.because',
      { url: this.#options.url, detail: (error as Error).message },
      { cause: error },
    );
  }

  /** Tracks the connection: writes are refused while it is down. */
  async #watchConnection(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
        this.#options.say(`NATS connection lost (${this.#options.url}): writes are refused until it is back`);
        this.#sink?.reach('unreachable');
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        this.#sink?.reach('connected');
        this.#restartedAt = 0;
        this.#restartReader(`NATS connection back (${status.server})`);
      }
    }
  }

  /**
   * One ordered consumer from the mirror's end. It is made again (from the
   * mirror's end) when it ends while the broker runs, after every
   * reconnection, and when an acknowledged event is not read within
   * STALL_MS: the library's own recovery waits for missed heartbeats, which
   * never come while it re-checks a consumer whose server died.
   */
  async #read(): Promise<void> {
    const generation = ++this.#generation;
    const consumer = await this.#link!.js.consumers.get(this.#stream, {
      filter_subjects: this.#subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#readThrough + 1,
    });
    // Heartbeats every second: a reader whose consumer died misses two and is made again.
    const messages = await consumer.consume({
      // A replaced reader's late messages are dropped: the current one reads from where the mirror is.
      callback: (msg) => {
        if (generation === this.#generation) this.#received(msg);
      },
      expires: 10_000,
      idle_heartbeat: 1_000,
    });
    if (generation !== this.#generation || this.#closing) {
      await messages.close(); // replaced while it was being made
      return;
    }
    this.#reader = messages;
    void messages.closed().then((error) => {
      if (this.#closing || generation !== this.#generation) return;
      this.#options.say(
        `the stream reader ended (${error instanceof Error ? error.message : 'closed'}): reading again`,
      );
      this.#rereadLater();
    });
  }

  #rereadLater(): void {
    setTimeout(() => {
      if (this.#closing) return;
      this.#read().catch((error: unknown) => {
        this.#options.say(`cannot read the stream yet: ${(error as Error).message}`);
        this.#rereadLater();
      });
    }, RETRY_MS).unref();
  }

  /** Drops the current reader and reads again from the mirror's end (at most once per STALL_MS). */
  #restartReader(why: string): void {
    if (this.#closing || this.#link === undefined || Date.now() - this.#restartedAt < STALL_MS) return;
    this.#restartedAt = Date.now();
    this.#options.say(`${why}: reading the stream again from seq ${this.#readThrough + 1}`);
    this.#generation++;
    const old = this.#reader;
    this.#reader = undefined;
    void old?.close().catch(() => {});
    this.#read().catch((error: unknown) => {
      this.#options.say(`cannot read the stream yet: ${(error as Error).message}`);
      this.#rereadLater();
    });
  }

  /** After an acknowledged publish: if the reader has not read `seq` within STALL_MS, it is stuck. */
  #expectRead(seq: number): void {
    setTimeout(() => {
      if (this.#readThrough < seq) this.#restartReader(`seq ${seq} was stored but not read within ${STALL_MS} ms`);
    }, STALL_MS).unref();
  }

  #received(msg: JsMsg): void {
    if (msg.seq <= this.#readThrough) return; // already held (a consumer made again re-delivers)
    this.#readThrough = msg.seq;
    this.#incoming.push({ seq: msg.seq, data: msg.data, clear: msg.headers?.get(CLEAR_HEADER) === '1' });
    if (!this.#flushScheduled && this.#retry === undefined) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /**
   * Writes what was read this turn to the mirror (one append per run of
   * events up to a /clear), fans it out, and answers its senders. A failed
   * append keeps the events for a retry: nothing is skipped.
   */
  #flush(): void {
    this.#flushScheduled = false;
    const sink = this.#sink!;
    while (this.#incoming.length > 0) {
      const clearAt = this.#incoming.findIndex((r) => r.clear);
      const end = clearAt === 0 ? 1 : clearAt === -1 ? this.#incoming.length : clearAt;
      const batch = this.#incoming.slice(0, end);
      try {
        sink.checkLog();
        if (this.#mirrorChanged()) {
          this.#rebuild();
          return;
        }
        if (batch[0]!.clear) {
          this.#options.log.clear();
          sink.cleared();
        }
        this.#append(batch);
        this.#mirrored = { lastSeq: this.#options.log.state.lastSeq, count: this.#options.log.state.count };
      } catch (error) {
        this.#options.say(`cannot write seq ${batch[0]!.seq} to the history: ${(error as Error).message}; retrying`);
        for (const received of batch) this.#fail(received, error);
        this.#retry = setTimeout(() => {
          this.#retry = undefined;
          this.#flush();
        }, RETRY_MS);
        return;
      }
      this.#incoming = this.#incoming.slice(end);
    }
    // Caught up once everything read is written (events skipped as not room events count: they were read).
    const caughtUp = this.#caughtUp;
    if (caughtUp !== undefined && this.#readThrough >= caughtUp.seq) caughtUp.resolve();
  }

  /** Whether the mirror's file changed outside this broker (its last seq or count is not what this broker left). */
  #mirrorChanged(): boolean {
    const { lastSeq, count } = this.#options.log.state;
    return lastSeq !== this.#mirrored.lastSeq || count !== this.#mirrored.count;
  }

  /**
   * The mirror changed outside the broker: it is emptied and written again
   * from the stream's start (its first event still held), in order, so it is
   * the stream again, gap-free; open streams are told to start over, as
   * after a /clear. What was read and not yet written is read again.
   */
  #rebuild(): void {
    const log = this.#options.log;
    this.#options.say(`the history file changed outside the broker: writing it again from ${this.#stream}`);
    log.reset();
    this.#mirrored = { lastSeq: 0, count: 0 };
    this.#sink!.cleared();
    this.#incoming = [];
    this.#readThrough = 0;
    this.#restartedAt = 0;
    this.#restartReader('the history is written again from the stream');
  }

  /** Appends events read from the stream to the mirror, fans them out and answers their senders. */
  #append(batch: readonly Received[]): void {
    const log = this.#options.log;
    const events: RoomEvent[] = [];
    for (const received of batch) {
      if (received.seq <= log.state.lastSeq) continue;
      const event = this.#decode(received);
      if (event === null) this.#options.say(`seq ${received.seq} of ${this.#stream} is not a room event: skipped`);
      else events.push(event);
    }
    if (events.length === 0) return;
    const lines = log.appendAll(events);
    this.#sink!.fanOut(events, lines);
    for (let i = 0; i < events.length; i++) {
      const waiter = this.#waiting.get(events[i]!.id);
      if (waiter === undefined) continue;
      this.#waiting.delete(events[i]!.id);
      waiter.resolve({ event: events[i]!, line: lines[i]! });
    }
  }

  /** The event a stored payload is, with the stream's sequence as its seq (in the room's key order); null if it is none. */
  #decode(received: Received): RoomEvent | null {
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder().decode(received.data));
    } catch {
      return null;
    }
    if (typeof payload !== 'object' || payload === null) return null;
    const { type, id, room, user, ts, seq: _ignored, ...fields } = payload as Record<string, unknown>;
    const event: unknown = { type, id, room, user, ts, seq: received.seq, ...fields };
    return isRoomEvent(event) ? event : null;
  }

  /** A sender whose event could not be written here hears it (the event stays in the stream and is retried). */
  #fail(received: Received, error: unknown): void {
    const event = this.#decode(received);
    const waiter = event === null ? undefined : this.#waiting.get(event.id);
    if (waiter === undefined) return;
    this.#waiting.delete(event!.id);
    waiter.reject(error);
  }

  checkWritable(): void {
    if (this.#link === undefined || !this.#started || !this.#connected || this.#closing || this.#link.nc.isClosed())
      throw roomError('nats_unreachable', { url: this.#options.url });
  }

  store(event: Unsequenced, clear: boolean): Promise<Stored> {
    const stored = this.#store(event, clear);
    this.#inFlight.add(stored);
    const forget = () => this.#inFlight.delete(stored);
    stored.then(forget, forget);
    return stored;
  }

  async #store(event: Unsequenced, clear: boolean): Promise<Stored> {
    this.checkWritable();
    const mirrored = new Promise<Stored>((resolve, reject) => this.#waiting.set(event.id, { resolve, reject }));
    mirrored.catch(() => {}); // a rejection before the ack is awaited below is not unhandled
    let seq: number;
    try {
      const ack = await this.#link!.js.publish(this.#subject, JSON.stringify(event), {
        msgID: event.id,
        timeout: PUBLISH_TIMEOUT_MS,
        ...(clear ? { headers: clearHeaders() } : {}),
      });
      seq = ack.seq;
    } catch (error) {
      this.#waiting.delete(event.id);
      // No answer is not a refusal: a server that hung (or a PubAck lost) may store it when it resumes.
      if (error instanceof TimeoutError)
        throw roomError(
          'nats_unreachable.not_answered',
          { url: this.#options.url, seconds: PUBLISH_TIMEOUT_MS / 1000 },
          { cause: error },
        );
      throw roomError(
        'nats_unreachable.not_stored',
        { url: this.#options.url, detail: (error as Error).message },
        { cause: error },
      );
    }
    if (clear) void this.#purgeBefore(seq);
    this.#expectRead(seq);
    // A retried id (the duplicate window) may be in the mirror already.
    this.#resolveFromMirror(event.id);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(roomError('nats_unreachable.not_mirrored', { seq, seconds: MIRROR_TIMEOUT_MS / 1000 })),
        MIRROR_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([mirrored, late]);
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(event.id);
    }
  }

  #resolveFromMirror(id: string): void {
    const log = this.#options.log;
    const waiter = this.#waiting.get(id);
    const position = log.positionOf(id);
    if (waiter === undefined || position === undefined) return;
    const [line] = log.readLines(position, position + 1);
    if (line === undefined) return;
    this.#waiting.delete(id);
    waiter.resolve({ event: JSON.parse(line) as RoomEvent, line });
  }

  /** After a /clear notice stored at `seq`: the stream drops what came before it (the notice stays). */
  async #purgeBefore(seq: number): Promise<void> {
    try {
      const purged = await this.#link!.jsm.streams.purge(this.#stream, { seq });
      this.#options.say(`/clear: purged ${purged.purged} events below seq ${seq} from ${this.#stream}`);
    } catch (error) {
      this.#options.say(`/clear: could not purge ${this.#stream} below seq ${seq}: ${(error as Error).message}`);
    }
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops reading and writing; what was read is written first. */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    if (this.#incoming.length > 0) this.#flush();
    await this.#reader?.close();
  }
}

function clearHeaders() {
  const h = headers();
  h.set(CLEAR_HEADER, '1');
  return h;
}
