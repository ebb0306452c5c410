// The UI's connection to the room: the live session's events go into the
// store in batches (at most one dispatch, hence one render, per FLUSH_MS
// however fast they arrive; a lone event after FIRST_FLUSH_MS), who is online is refreshed after joins,
// leaves and system events (and every USERS_REFRESH_MS, for listeners), and
// what the user types is sent.
import { randomUUID } from 'node:crypto';
import type { Inbound, NatsState } from '../../shared/api.ts';
import { RoomError } from '../../shared/errors.ts';
import type { RoomEvent } from '../../shared/events.ts';
import { parseInput } from '../../shared/input.ts';
import { eventIdFor } from '../../shared/keyed-event-id.ts';
import type { RoomPaths } from '../../shared/paths.ts';
import { readRoomState } from '../../shared/room-state.ts';
import { isUnreachable, type BrokerClient } from '../live/broker-client.ts';
import { LiveSession, type ConnectionState, type SessionEnd } from '../live/session.ts';
import { Attention } from './attention.ts';
import { Batcher } from './batcher.ts';
import { messageArea } from './layout.ts';
import { olderThan } from './older.ts';
import { resolveReply } from './reply.ts';
import type { Store } from './store.ts';
import { viewport } from './viewport.ts';

/**
 * Events are drawn at most once per FLUSH_MS (about 10 frames a second
 * during a flood: nobody reads 2,000 messages a second, and each frame costs
 * the whole screen in Ink), a lone event FIRST_FLUSH_MS after it arrived.
 * Keys are drawn at once (Ink's own cap, main.ts): between two flushes the
 * process is free for them, which keeps the echo of typing quick in a flood.
 */
export const FLUSH_MS = 100;
export const FIRST_FLUSH_MS = 16;
/**
 * The opening replay asks for this many events per message of `-n`, plus a
 * few, so joins and leaves do not use it up; at most REPLAY_SPARE more than
 * `-n` (a long `-n` is mostly messages; parsing ten times it costs memory).
 */
const REPLAY_FACTOR = 10;
const REPLAY_EXTRA = 100;
const REPLAY_SPARE = 5000;
/** Events asked for each time scrolling passes the top of what is loaded. */
const OLDER_PAGE = 100;
const USERS_DEBOUNCE_MS = 150;
/**
 * Who listens (room follow, a waiting watch, a plugin's monitor) changes with
 * no event in the room: the title asks again this often while the UI runs.
 */
const USERS_REFRESH_MS = 10_000;
/** How long unsent() waits for a text in flight when the session ends. */
const SETTLE_MS = 2000;
/** Refusals that mean this session is over: the text was not sent because it ended. */
const SESSION_OVER = new Set(['invalid_token', 'missing_token', 'user_kicked', 'room_closing']);
const OVER = Symbol('session over');

export interface LinkOptions {
  readonly client: BrokerClient;
  readonly paths: RoomPaths;
  readonly token: string;
  readonly history: number;
  readonly giveUpMs: number;
  readonly store: Store;
}

export class RoomLink {
  readonly #options: LinkOptions;
  readonly #session: LiveSession;
  readonly #events: Batcher<RoomEvent>;
  #usersTimer: NodeJS.Timeout | undefined;
  #wasLost = false;
  readonly #outbox: string[] = [];
  /**
   * Texts given back as not sent because the broker was unreachable, by the
   * id the broker gives such a post (shared/keyed-event-id.ts): it may have
   * stored one and died before answering. If that event then comes in the
   * stream, the text leaves the input, so Enter does not store it twice.
   */
  readonly #inDoubt = new Map<string, string>();
  #sending: Promise<void> | undefined;
  /** A text is posted and its answer not in yet. */
  #posting = false;
  #ended = false;
  readonly #attention: Attention;

  constructor(options: LinkOptions) {
    this.#options = options;
    this.#attention = new Attention(options.paths.room, options.store.getState().me);
    this.#events = new Batcher((events) => options.store.dispatch({ type: 'events', events }), {
      first: FIRST_FLUSH_MS,
      every: FLUSH_MS,
    });
    const { client, paths, token, history, giveUpMs } = options;
    // `-n` counts messages, not joins and leaves: ask for more, keep `history` of them (state.ts trimToBudget).
    options.store.dispatch({ type: 'budget', messages: history });
    this.#session = new LiveSession({
      client,
      paths,
      token,
      history: Math.min(history * REPLAY_FACTOR + REPLAY_EXTRA, history + REPLAY_SPARE),
      giveUpMs,
      onEvent: (event) => this.#queue(event),
      onState: (state) => this.#connection(state),
      onClear: () => {
        this.#flush();
        options.store.dispatch({ type: 'cleared' });
      },
      onWarning: (message) => {
        this.#flush();
        options.store.dispatch({ type: 'local', text: message, tone: 'warn' });
      },
      onNats: (state) => this.#nats(state),
    });
  }

  /** Runs until the session ends (by the broker, by giving up, or by stop()). */
  async run(): Promise<SessionEnd> {
    const unsubscribe = this.#options.store.subscribe(() => {
      if (this.#options.store.getState().older === 'wanted') this.#loadOlder();
    });
    const presence = setInterval(() => {
      if (this.#options.store.getState().connection === 'live') this.refreshUsers();
    }, USERS_REFRESH_MS);
    try {
      return await this.#session.run();
    } finally {
      clearInterval(presence);
      unsubscribe();
      this.#ended = true;
      this.#flush();
      clearTimeout(this.#usersTimer);
      this.#options.store.dispatch({ type: 'connection', connection: 'ended' });
    }
  }

  /** Leaves the room: the stream is closed and the broker broadcasts the leave. */
  stop(): void {
    this.#session.stop();
  }

  /** Scrolling went past the top: the page before the oldest event loaded (older.ts). */
  #loadOlder(): void {
    const { store, client, token } = this.#options;
    store.dispatch({ type: 'olderLoading' });
    const oldest = store.getState().entries.find((e) => e.kind === 'event');
    if (oldest === undefined || oldest.kind !== 'event') {
      store.dispatch({ type: 'older', events: [] });
      return;
    }
    olderThan(client, token, oldest.event.id, OLDER_PAGE).then(
      (events) => store.dispatch({ type: 'older', events }),
      () => store.dispatch({ type: 'older', events: [], failed: true }), // the broker is away: scrolling tries again
    );
  }

  #queue(event: RoomEvent): void {
    const given = this.#inDoubt.size > 0 ? this.#inDoubt.get(event.id) : undefined;
    if (given !== undefined) {
      this.#inDoubt.delete(event.id);
      this.#options.store.dispatch({ type: 'sentAfterAll', text: given });
    }
    this.#attention.notice(event);
    this.#events.push(event);
    // Claims change with /claim and /release, and with the system notices of takeovers and lease endings.
    const claims = event.type === 'command' && (event.cmd === 'claim' || event.cmd === 'release');
    if (event.type === 'join' || event.type === 'leave' || event.type === 'system' || claims) this.refreshUsers();
  }

  /** Events still waiting go in first, so what follows (a notice, a state) comes after them. */
  #flush(): void {
    this.#events.flush();
  }

  /** Whether the event with this id has come in the stream (rare: after a post's answer was lost). */
  #shown(id: string): boolean {
    this.#flush();
    return this.#options.store.getState().entries.some((e) => e.kind === 'event' && e.event.id === id);
  }

  #connection(state: ConnectionState): void {
    const { store } = this.#options;
    this.#flush();
    store.dispatch({ type: 'connection', connection: state });
    if (state === 'reconnecting' && !this.#wasLost) {
      this.#wasLost = true;
      store.dispatch({ type: 'local', text: 'lost the connection to the broker: reconnecting…', tone: 'warn' });
    }
    if (state === 'live') {
      if (this.#wasLost) store.dispatch({ type: 'local', text: 'reconnected', tone: 'info' });
      this.#wasLost = false;
      this.refreshUsers();
    }
  }

  /** A shared room's broker lost or regained its NATS server: the title says so, and a line in the log. */
  #nats(state: NatsState): void {
    const { store } = this.#options;
    this.#flush();
    const before = store.getState().nats;
    store.dispatch({ type: 'nats', state });
    if (state === 'unreachable')
      store.dispatch({
        type: 'local',
        text: "the broker lost the room's NATS server: sending waits until it is back; this machine's copy only",
        tone: 'warn',
      });
    else if (before === 'unreachable')
      store.dispatch({ type: 'local', text: "the room's NATS server is back: caught up", tone: 'info' });
  }

  /** Asks the broker who is online and the open claims, shortly (several changes in a row cost one request each). */
  refreshUsers(): void {
    if (this.#usersTimer !== undefined) return;
    this.#usersTimer = setTimeout(() => {
      this.#usersTimer = undefined;
      const { client, token, store } = this.#options;
      client.users(token).then(
        (users) => {
          store.dispatch({ type: 'users', users });
          this.#roster();
        },
        () => {
          // The broker is away: the next join or reconnect asks again.
        },
      );
      client.claims(token).then(
        (claims) => store.dispatch({ type: 'claims', claims }),
        () => {}, // the same: asked again on the next change
      );
    }, USERS_DEBOUNCE_MS);
  }

  /**
   * Everyone who ever joined, and who is kicked, from the room's state file
   * (the broker's list has only who is online or active lately): so names
   * that never posted complete too, and /reauth offers the kicked.
   */
  #roster(): void {
    let state: ReturnType<typeof readRoomState>;
    try {
      state = readRoomState(this.#options.paths);
    } catch {
      return; // unreadable: completion keeps the names it has
    }
    if (state === null) return;
    const users = Object.entries(state.users);
    this.#options.store.dispatch({
      type: 'roster',
      names: users.map(([name]) => name),
      kicked: users.filter(([, record]) => record.kicked === true).map(([name]) => name),
    });
  }

  /**
   * Sends a text the user typed; texts sent while earlier ones are still
   * in flight wait their turn, so they reach the room in the order typed.
   * A text that does not parse or that the broker refuses is not sent: it
   * comes back into the input with the reason; the texts queued after it
   * are not sent either (the reason says how many, a log line names them,
   * they are in recall). Private answers (/who, /help) are shown only
   * here. Once the session is over (ended, or a refusal that says so:
   * kicked, revoked, closing) nothing more is posted and what is queued
   * stays for unsent(). Resolves when the queue is empty or stopped.
   */
  send(text: string): Promise<void> {
    this.#outbox.push(text);
    this.#sending ??= this.#drain();
    return this.#sending;
  }

  /**
   * What the session's end left unsent: `queued`, the texts never posted
   * (and one refused because the session was over), and `unanswered`, a
   * text posted that the broker had not answered (it may store it yet: a
   * hung broker reads it when it resumes). Waits (briefly) for a text in
   * flight; call it once run() has returned.
   */
  async unsent(): Promise<{ queued: number; unanswered: number }> {
    if (this.#sending !== undefined)
      await Promise.race([
        this.#sending.catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, SETTLE_MS).unref()),
      ]);
    const unanswered = this.#posting ? 1 : 0;
    return { queued: this.#outbox.length - unanswered, unanswered };
  }

  async #drain(): Promise<void> {
    const { store } = this.#options;
    try {
      // Once the session has ended nothing more is posted: what is left stays queued, for unsent().
      while (!this.#ended && this.#outbox.length > 0) {
        const text = this.#outbox[0]!;
        this.#posting = true;
        const refused = await this.#post(text.trimEnd()).finally(() => {
          this.#posting = false;
        });
        if (refused === OVER) break;
        this.#outbox.shift();
        if (refused === null) continue;
        if (refused.storedAs !== undefined) {
          // Stored after all, and its event already came in the stream (it may come before the failure): it was sent.
          if (this.#shown(refused.storedAs)) continue;
          this.#inDoubt.set(refused.storedAs, text);
        }
        // The texts queued behind it are not sent either (they would overtake
        // it). Only the refused one comes back into the input: joined there
        // they would go as one message. The others are in recall (Ctrl-P),
        // and a line in the log names them: the error under the box goes
        // once the broker is back, the line stays.
        const held = this.#outbox.splice(0);
        store.dispatch({
          type: 'failed',
          message: notSentAfter(refused.message, held.length),
          text,
          away: refused.away,
        });
        if (held.length > 0) store.dispatch({ type: 'local', text: heldBackLine(held), tone: 'warn' });
      }
    } finally {
      // In the same step as the last check of the outbox: a text pushed after it starts a new drain.
      this.#sending = undefined;
    }
  }

  /**
   * Posts one text; null when it was accepted, OVER when the session is over,
   * else why not (away: unreachable; storedAs: the id it has if the broker
   * stored it before the answer was lost).
   */
  async #post(text: string): Promise<{ message: string; away: boolean; storedAs?: string } | null | typeof OVER> {
    const { store, client, token } = this.#options;
    let inbound: Inbound;
    try {
      inbound = parseInput(text, { json: false });
    } catch (error) {
      if (!(error instanceof RoomError)) throw error;
      return { message: error.message, away: false };
    }
    if (inbound.type === 'reply') {
      // parseInput has checked the id's form (shared/input.ts).
      const state = store.getState();
      const { width, height } = messageArea(state);
      const onScreen = viewport(state.entries, width, height, state.scroll, state.me).entries;
      inbound = { ...inbound, reply_to: resolveReply(inbound.reply_to, state.entries, onScreen) };
    }
    const key = randomUUID();
    try {
      const answer = await client.post(token, inbound, key);
      this.#flush();
      if (!answer.stored) store.dispatch({ type: 'notice', notice: answer.notice });
      store.dispatch({ type: 'bottom' });
      return null;
    } catch (error) {
      if (error instanceof RoomError && SESSION_OVER.has(error.code)) return OVER;
      // Away: the broker, or a shared room's NATS server; the error goes once it is back.
      const natsAway = error instanceof RoomError && error.code === 'nats_unreachable';
      const away = isUnreachable(error) || natsAway;
      // Commands are not stored under an id derived from the key (server/idempotency.ts).
      const storedAs = away && inbound.type !== 'command' ? eventIdFor(store.getState().me, key) : undefined;
      return { message: describe(error), away, ...(storedAs === undefined ? {} : { storedAs }) };
    }
  }
}

/** A refusal's reason, saying how many texts typed after the refused one were held back with it. */
export function notSentAfter(message: string, after: number): string {
  if (after === 0) return message;
  const what = after === 1 ? 'the text typed after it was' : `the ${after} texts typed after it were`;
  return `${message} (${what} not sent either: Ctrl-P brings ${after === 1 ? 'it' : 'them'} back)`;
}

/** How much of each held-back text the log line quotes. */
const QUOTED_CHARS = 40;

/** The log line naming the texts held back behind a refused one. */
export function heldBackLine(held: readonly string[]): string {
  const quote = (text: string) => {
    const line = text.split('\n')[0]!;
    const cut = line.length > QUOTED_CHARS || line !== text;
    return JSON.stringify(cut ? `${line.slice(0, QUOTED_CHARS)}…` : line);
  };
  const [what, them] =
    held.length === 1
      ? ['1 text typed after a refused one was', 'it']
      : [`${held.length} texts typed after a refused one were`, 'them'];
  return `not sent: ${what} held back (Ctrl-P brings ${them} back): ${held.map(quote).join(', ')}`;
}

function describe(error: unknown): string {
  if (isUnreachable(error)) return `not sent: the broker is not reachable (${(error as Error).message})`;
  if (error instanceof RoomError) return error.message;
  return `not sent: ${error instanceof Error ? error.message : String(error)}`;
}
