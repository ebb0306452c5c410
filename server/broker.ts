// The broker's parts put together, and what the routes call: joining,
// posting an inbound event (checked, then stored, or run as a command),
// reading the history, opening a stream. Each concern lives in its own
// module: the room makes events (room.ts), the log keeps them (log/), the
// hub fans them out (hub.ts), streams.ts opens and closes live sessions,
// history-queries.ts answers questions about the history, auth.ts maps
// tokens to users, commands.ts runs slash commands through CommandContext.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { CloseReason, Inbound, TokenResponse, Users } from '../shared/api.ts';
import { roomError } from '../shared/errors.ts';
import { MAX_CONTENT_BYTES, isVisibleTo, type Notice, type RoomEvent } from '../shared/events.ts';
import { stripAt } from '../shared/names.ts';
import { authenticate } from './auth.ts';
import { Claims, type ClaimSettings, claimSettingsFrom } from './claims.ts';
import { type CommandContext, runCommand } from './commands.ts';
import { HistoryQueries, type Page, type PageQuery } from './history-queries.ts';
import { Hub } from './hub.ts';
import type { EventLog } from './log/event-log.ts';
import { andThen, type MaybePromise } from './maybe-async.ts';
import { Presence } from './presence.ts';
import type { Registry } from './registry.ts';
import { type Draft, type PostResult, Room, type Sequencer } from './room.ts';
import { type StreamStart, Streams } from './streams.ts';

export interface BrokerOptions {
  readonly id: string;
  readonly log: EventLog;
  readonly registry: Registry;
  readonly heartbeatMs: number;
  readonly maxBuffer: number;
  /** How long a reader catching up on history may stall before it is cut. */
  readonly stallMs: number;
  /** When each named user last polled or watched (their cursor file's mtime). */
  readonly polledAt: (names: readonly string[]) => Map<string, Date>;
  /** Asks the broker process to shut down (after the current response). */
  readonly requestExit: () => void;
  readonly say?: (message: string) => void;
  readonly now?: () => Date;
  /** Where claims are kept and how long their leases last (default: in memory, default leases). */
  readonly claims?: ClaimSettings;
  /** A shared room's sequencer (server/nats/event-stream.ts); absent for a room on this machine only. */
  readonly sequencer?: Sequencer;
}

export class Broker implements CommandContext {
  readonly id: string;
  readonly registry: Registry;
  readonly presence = new Presence();
  readonly room: Room;
  readonly hub: Hub;
  readonly queries: HistoryQueries;
  readonly streams: Streams;
  readonly claims: Claims;
  /** Open publish channels (server/channel.ts): closed as the broker stops, counted as sessions. */
  readonly channels = new Set<{ close(): void; closeIfRevoked(): void }>();
  /** Set once the broker is shutting down: no new streams, no new writes. */
  closing = false;
  readonly #requestExit: () => void;
  readonly #polledAt: BrokerOptions['polledAt'];

  constructor(options: BrokerOptions) {
    this.id = options.id;
    this.registry = options.registry;
    this.#requestExit = options.requestExit;
    this.#polledAt = options.polledAt;
    const canSee = (event: RoomEvent, user: string) => isVisibleTo(event, user, this.registry.host);
    const checkLog = () => this.room.checkLog();
    this.hub = new Hub({
      log: options.log,
      canSee,
      // A DM is the one event not everyone sees (shared/events.ts isVisibleTo).
      isPublic: (event) => event.type !== 'dm',
      heartbeatMs: options.heartbeatMs,
      maxBuffer: options.maxBuffer,
      stallMs: options.stallMs,
      checkLog,
      onClosed: (sub) => {
        if (this.streams.closed(sub)) this.claims.left(sub.user);
      },
    });
    this.room = new Room({
      id: options.id,
      log: options.log,
      fanOut: (events, lines) => this.hub.publish(events, lines),
      say: options.say,
      now: options.now,
      sequencer: options.sequencer,
    });
    this.queries = new HistoryQueries({ log: options.log, canSee, checkLog });
    this.streams = new Streams(this.room, this.hub, this.presence, this.queries);
    this.claims = new Claims(options.claims ?? claimSettingsFrom({}, null), {
      publish: (draft) => this.room.publish(draft),
      system: (content) => this.room.system(content),
      notice: (content) => this.room.notice(content),
      host: () => this.registry.host,
      // A follower (listening stream) holds its user's leases like a live session.
      isPresent: (user) => this.presence.isOnline(user) || this.presence.isListening(user),
      polledAt: (user) => this.#polledAt([user]).get(user),
      activeElsewhere: (user) => this.presence.lastActiveElsewhere(user),
      now: () => this.room.now(),
      log: (message) => options.say?.(message),
    });
  }

  get host(): string | null {
    return this.registry.host;
  }

  /** Whether the room is shared between machines through NATS. */
  get shared(): boolean {
    return this.room.shared;
  }

  /** The history's epoch (server/log/event-log.ts). */
  get epoch(): string {
    return this.room.log.epoch;
  }

  authenticate(token: string | undefined): string {
    return authenticate(this.registry, token);
  }

  /** A token for `name`; in a shared room, once NATS stored it (server/registry.ts). */
  join(name: string): MaybePromise<TokenResponse> {
    return andThen(this.registry.join(name, this.room.now()), (token) => {
      const username = this.registry.resolve(name) ?? name; // the spelling the name first joined with
      // Joining is activity: a user who joined to send or watch later is listed by /who.
      this.presence.touch(username, this.room.now());
      return { type: 'token', token, username };
    });
  }

  publish(draft: Draft): RoomEvent {
    return this.room.publish(draft);
  }

  system(content: string): RoomEvent {
    return this.room.system(content);
  }

  notice(content: string): Notice {
    return this.room.notice(content);
  }

  /** Handles one inbound event from `user` (a stored message, reply or DM gets `id` when given: server/idempotency.ts). Refused once the broker is shutting down (after /exit). */
  post(user: string, inbound: Inbound, id?: string): MaybePromise<PostResult> {
    const draft = this.#accept(user, inbound);
    if (draft === null) return this.#command(user, inbound as Extract<Inbound, { type: 'command' }>);
    return { stored: true, event: this.room.publish(draft, id) };
  }

  /**
   * As post, but a stored message, reply or DM joins this turn's group commit
   * (server/room.ts enqueue) and resolves once it is in the log and fanned
   * out, with its line for the echo.
   */
  send(user: string, inbound: Inbound, id?: string): Promise<PostResult> {
    return new Promise((resolve, reject) => this.submit(user, inbound, id, resolve, reject));
  }

  /**
   * send() with callbacks, for POST /messages (it runs per message: no
   * promise). An event refused on its content throws here, at once; what
   * happens later goes to exactly one of `done` and `fail`.
   */
  submit(
    user: string,
    inbound: Inbound,
    id: string | undefined,
    done: (result: PostResult) => void,
    fail: (error: unknown) => void,
  ): void {
    const draft = this.#accept(user, inbound);
    if (draft === null) {
      this.#sendCommand(user, inbound as Extract<Inbound, { type: 'command' }>).then(done, fail);
      return;
    }
    this.room.enqueue(draft, id ?? randomUUID(), ({ event, line }) => done({ stored: true, event, line }), fail);
  }

  async #sendCommand(user: string, inbound: Extract<Inbound, { type: 'command' }>): Promise<PostResult> {
    const result = await this.#command(user, inbound);
    // In a shared room a command's event is answered once the stream has stored it (server/room.ts stored).
    return result.stored && this.room.shared ? { stored: true, ...(await this.room.stored(result.event)) } : result;
  }

  /** Checks an inbound event and marks its user active; the event to store, or null for a command. */
  #accept(user: string, inbound: Inbound): Draft | null {
    if (this.closing) throw roomError('room_closing.room', { room: this.id });
    this.presence.touch(user, this.room.now());
    this.claims.touch(user);
    switch (inbound.type) {
      case 'message':
        return { type: 'message', user, content: checkContent(inbound.content) };
      case 'reply':
        return {
          type: 'reply',
          user,
          reply_to: this.#replyTarget(inbound.reply_to, user),
          content: checkContent(inbound.content),
        };
      case 'dm':
        return { type: 'dm', user, to: this.knownUser(inbound.to), content: checkContent(inbound.content) };
      case 'command':
        for (const p of inbound.params ?? []) checkSize(p);
        checkSize((inbound.params ?? []).join(' '));
        return null;
    }
  }

  #command(user: string, inbound: Extract<Inbound, { type: 'command' }>): MaybePromise<PostResult> {
    return runCommand(this, user, inbound.cmd, inbound.params ?? []);
  }

  knownUser(arg: string): string {
    const name = this.registry.resolve(stripAt(arg)); // in any case, as the user spells it
    if (name === null) throw roomError('unknown_user', { name: stripAt(arg) });
    return name;
  }

  /**
   * The id a reply answers. A DM is refused, even by one of its two users or
   * the host: a reply is public, so it would show everyone the answer and,
   * through reply_to, the DM's id.
   */
  #replyTarget(ref: string, user: string): string {
    const target = this.queries.resolve(ref, user);
    if (target.type === 'dm') {
      const other = target.user === user ? target.to : target.user;
      throw roomError('invalid_event.reply_to_dm', { other });
    }
    return target.id;
  }

  /** A page of GET /messages; with `waitMs`, an empty page waits that long for a matching event (long-poll). */
  async page(user: string, query: PageQuery, waitMs = 0): Promise<Page> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const page = this.queries.page(user, query);
      const left = deadline - Date.now();
      if (page.lines.length > 0 || left <= 0 || this.closing) return page;
      await this.hub.nextEvent(left);
    }
  }

  openStream(user: string, res: ServerResponse, from: StreamStart): void {
    this.streams.open(user, res, from);
  }

  /** GET /listen: the user hears the room without joining it (server/streams.ts). */
  openListener(user: string, res: ServerResponse): void {
    this.streams.listen(user, res);
  }

  users(you: string): Users {
    const names = this.registry.names.filter((name) => !this.registry.isKicked(name));
    const recent = this.presence.recent(this.#polledAt(names)).filter((u) => !this.registry.isKicked(u.user));
    // A kicked user's streams end a moment after the kick; they are gone from the list at once.
    const online = this.presence.online().filter((u) => !this.registry.isKicked(u.user));
    const listening = this.presence.listening().filter((u) => !this.registry.isKicked(u.user));
    return { you, host: this.registry.host, online, listening, recent };
  }

  clearHistory(notice: string): RoomEvent {
    if (!this.room.shared) {
      this.room.commit(); // sends received before the /clear are cleared with the rest
      this.room.log.clear();
      this.hub.cleared();
    }
    return this.room.clearNotice(notice);
  }

  endStreams(reason: CloseReason, message: string, which: (user: string) => boolean = () => true): void {
    this.hub.end(reason, message, (sub) => which(sub.user));
    // A revoked token's publish channels close too (an idle one would keep the broker from its idle exit).
    for (const channel of this.channels) channel.closeIfRevoked();
  }

  requestExit(): void {
    this.closing = true;
    this.#requestExit();
  }
}

/** Message content: not blank, at most 64 KiB of UTF-8. */
function checkContent(text: string): string {
  if (text.trim() === '') throw roomError('invalid_event.empty_content');
  return checkSize(text);
}

function checkSize(text: string): string {
  if (text.length > MAX_CONTENT_BYTES / 4 && Buffer.byteLength(text) > MAX_CONTENT_BYTES) {
    throw roomError('content_too_large.content', { bytes: Buffer.byteLength(text), limit: MAX_CONTENT_BYTES });
  }
  return text;
}
