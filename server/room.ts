// The room: the one place events are made. Invariants:
// - every event gets its id, room, ts and the next seq here, and nowhere else;
// - an event is appended to the history before it is published or echoed;
// - a DM reaches only its sender, its recipient and the host, on every path.
// Everything runs on the event loop without awaiting between the append and
// the fan-out, so all subscribers see events in history order.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Inbound, TokenResponse, Users } from '../shared/api.ts';
import { RoomError } from '../shared/errors.ts';
import { MAX_CONTENT_BYTES, isVisibleTo, type Notice, type RoomEvent } from '../shared/events.ts';
import { BROKER_USER, stripAt } from '../shared/names.ts';
import { runCommand } from './commands.ts';
import type { History } from './history.ts';
import { Hub, type Subscriber } from './hub.ts';
import { Presence } from './presence.ts';
import type { Registry } from './registry.ts';

type Distribute<E> = E extends RoomEvent ? Omit<E, 'id' | 'room' | 'ts' | 'seq'> : never;
/** An event before the room stamps it. */
export type Draft = Distribute<RoomEvent>;

export type PostResult =
  | { readonly stored: true; readonly event: RoomEvent }
  | { readonly stored: false; readonly notice: Notice };

export interface RoomOptions {
  readonly id: string;
  readonly history: History;
  readonly registry: Registry;
  readonly heartbeatMs: number;
  readonly maxBuffer: number;
  /** When each named user last polled or watched (their cursor file's mtime). */
  readonly polledAt: (names: readonly string[]) => Map<string, Date>;
  /** Asks the broker process to shut down (after the current response). */
  readonly requestExit: () => void;
  readonly now?: () => Date;
}

const REPLAY_BATCH = 256;
/** How many ids sharing a prefix are examined for a reply (a 4-hex prefix has this many only in a huge history). */
const PREFIX_CANDIDATES = 1000;

export class Room {
  readonly id: string;
  readonly history: History;
  readonly registry: Registry;
  readonly presence = new Presence();
  readonly hub: Hub;
  readonly requestExit: () => void;
  /** Set once the broker is shutting down: no new streams are accepted. */
  closing = false;
  readonly #polledAt: RoomOptions['polledAt'];
  /** Listening streams (GET /listen): they count as listening, and announce no join or leave. */
  readonly #listeners = new WeakSet<Subscriber>();
  readonly #now: () => Date;

  constructor(options: RoomOptions) {
    this.id = options.id;
    this.history = options.history;
    this.registry = options.registry;
    this.requestExit = options.requestExit;
    this.#polledAt = options.polledAt;
    this.#now = options.now ?? (() => new Date());
    this.hub = new Hub({
      history: this.history,
      canSee: (event, user) => this.canSee(event, user),
      heartbeatMs: options.heartbeatMs,
      maxBuffer: options.maxBuffer,
      onClosed: (sub) => this.#streamClosed(sub),
    });
  }

  get host(): string | null {
    return this.registry.host;
  }

  canSee(event: RoomEvent, user: string): boolean {
    return isVisibleTo(event, user, this.registry.host);
  }

  /** The user a bearer token belongs to. */
  authenticate(token: string | undefined): string {
    if (token === undefined || token === '')
      throw new RoomError(
        'missing_token',
        'missing token: send "Authorization: Bearer <token>" (get one with room join)',
      );
    const user = this.registry.userFor(token);
    if (user === null)
      throw new RoomError('invalid_token', 'invalid or revoked token: run room join again for a new one');
    return user;
  }

  join(name: string): TokenResponse {
    const token = this.registry.join(name, this.#now());
    // Joining is activity: a user who joined to send or watch later is listed by /who.
    this.presence.touch(name, this.#now());
    return { type: 'token', token, username: name };
  }

  /** Stamps, persists, then publishes an event. */
  publish(draft: Draft): RoomEvent {
    const { type, user, ...fields } = draft;
    const event = {
      type,
      id: randomUUID(),
      room: this.id,
      user,
      ts: this.#now().toISOString(),
      seq: this.history.lastSeq + 1,
      ...fields,
    } as RoomEvent;
    const line = this.history.append(event);
    this.hub.publish(event, line);
    return event;
  }

  /** A private answer for one caller; never stored or broadcast. */
  notice(content: string): Notice {
    return {
      type: 'system',
      id: randomUUID(),
      room: this.id,
      user: BROKER_USER,
      ts: this.#now().toISOString(),
      content,
    };
  }

  system(content: string): RoomEvent {
    return this.publish({ type: 'system', user: BROKER_USER, content });
  }

  /** Handles one inbound event from `user`. */
  post(user: string, inbound: Inbound): PostResult {
    this.presence.touch(user, this.#now());
    switch (inbound.type) {
      case 'message':
        return this.#stored({ type: 'message', user, content: checkContent(inbound.content) });
      case 'reply':
        return this.#stored({
          type: 'reply',
          user,
          reply_to: this.#replyTarget(inbound.reply_to, user),
          content: checkContent(inbound.content),
        });
      case 'dm':
        return this.#stored({
          type: 'dm',
          user,
          to: this.knownUser(inbound.to),
          content: checkContent(inbound.content),
        });
      case 'command':
        for (const p of inbound.params ?? []) checkSize(p);
        checkSize((inbound.params ?? []).join(' '));
        return runCommand(this, user, inbound.cmd, inbound.params ?? []);
    }
  }

  #stored(draft: Draft): PostResult {
    return { stored: true, event: this.publish(draft) };
  }

  /** A username argument (a leading @ allowed) that must have joined this room. */
  knownUser(arg: string): string {
    const name = stripAt(arg);
    if (!this.registry.has(name)) throw new RoomError('unknown_user', `no user ${name} has joined this room`);
    return name;
  }

  /** The event with this id if `user` may see it (one read of its line), else undefined. */
  #visibleEvent(id: string, user: string): RoomEvent | undefined {
    const index = this.history.indexOfId(id);
    const event = index === undefined ? undefined : this.history.read(index, index + 1)[0];
    return event !== undefined && this.canSee(event, user) ? event : undefined;
  }

  /**
   * The event a full id, or a unique prefix of one, names. Only events
   * `user` can see count: a DM between others is "no message", never "more
   * than one", so a reply cannot probe for DMs.
   */
  #resolveEvent(ref: string, user: string): RoomEvent {
    const id = ref.toLowerCase();
    const exact = this.#visibleEvent(id, user);
    if (exact !== undefined) return exact;
    const candidates = id.length < 36 ? this.history.idsWithPrefix(id, PREFIX_CANDIDATES) : [];
    const found = candidates.map((c) => this.#visibleEvent(c, user)).filter((e) => e !== undefined);
    if (found.length === 1) return found[0]!;
    if (found.length > 1)
      throw new RoomError('unknown_id', `id prefix ${ref} matches more than one message: give more characters`);
    throw new RoomError('unknown_id', `no message with id ${ref} in the history`);
  }

  /**
   * The id a reply answers. A DM is refused, even by one of its two users or
   * the host: a reply is public, so it would show everyone the answer and,
   * through reply_to, the DM's id.
   */
  #replyTarget(ref: string, user: string): string {
    const target = this.#resolveEvent(ref, user);
    if (target.type === 'dm') {
      const other = target.user === user ? target.to : target.user;
      throw new RoomError(
        'invalid_event',
        `that message is a direct message: answer it with /dm ${other} …, so it stays private`,
      );
    }
    return target.id;
  }

  /**
   * Opens an SSE session: the visible history (the last `n` events, or all,
   * or everything after `lastEventId` when resuming), then the user's own
   * join, broadcast to everyone, then every new event live.
   */
  openStream(user: string, res: ServerResponse, from: { n?: number; lastEventId?: number }): void {
    let after: number;
    if (from.lastEventId !== undefined) {
      // Ahead of our history means the history was replaced: start over.
      after = from.lastEventId > this.history.lastSeq ? 0 : from.lastEventId;
    } else {
      after = from.n === undefined ? 0 : this.#seqBeforeLastVisible(from.n, user);
    }
    // Resuming from before the first event still in the file: a /clear came
    // in between, and the client is told to drop what it holds.
    const cleared = from.lastEventId !== undefined && after > 0 && after < this.history.firstSeq;
    this.presence.connect(user);
    this.hub.subscribe(user, res, after, cleared);
    this.publish({ type: 'join', user });
  }

  /**
   * Opens a listening stream: every new visible event from now on, no
   * history, no join or leave broadcast; the user counts as listening while
   * it is open. Kick, revocation and shutdown end it like any stream.
   */
  openListener(user: string, res: ServerResponse): void {
    this.presence.listen(user);
    this.#listeners.add(this.hub.subscribe(user, res, this.history.lastSeq));
  }

  #streamClosed(sub: Subscriber): void {
    if (this.#listeners.has(sub)) {
      this.presence.unlisten(sub.user, this.#now());
      return;
    }
    this.presence.disconnect(sub.user, this.#now());
    this.publish({ type: 'leave', user: sub.user });
  }

  /** The seq just before the `n`-th last event `user` can see (0 when there are fewer). */
  #seqBeforeLastVisible(n: number, user: string): number {
    if (n <= 0) return this.history.lastSeq;
    let count = 0;
    for (let end = this.history.length; end > 0; end -= REPLAY_BATCH) {
      const events = this.history.read(Math.max(0, end - REPLAY_BATCH), end);
      for (let i = events.length - 1; i >= 0; i--) {
        const event = events[i]!;
        if (this.canSee(event, user) && ++count === n) return event.seq - 1;
      }
    }
    return 0;
  }

  /** Visible events after `since` (the first `limit` of them), or the last `limit` without it. */
  messages(user: string, since: string | undefined, limit: number): RoomEvent[] {
    let from: number;
    if (since === undefined) {
      from = this.history.indexAfterSeq(this.#seqBeforeLastVisible(limit, user));
    } else {
      const event = this.#visibleEvent(since.toLowerCase(), user);
      if (event === undefined) throw new RoomError('unknown_id', `no message with id ${since} in the history`);
      from = this.history.indexOfId(event.id)! + 1;
    }
    const out: RoomEvent[] = [];
    for (let start = from; start < this.history.length && out.length < limit; start += REPLAY_BATCH) {
      for (const event of this.history.read(start, start + REPLAY_BATCH)) {
        if (this.canSee(event, user)) out.push(event);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  users(you: string): Users {
    const names = this.registry.names.filter((name) => !this.registry.isKicked(name));
    const recent = this.presence.recent(this.#polledAt(names)).filter((u) => !this.registry.isKicked(u.user));
    // A kicked user's streams end a moment after the kick; they are gone from the list at once.
    const online = this.presence.online().filter((u) => !this.registry.isKicked(u.user));
    const listening = this.presence.listening().filter((u) => !this.registry.isKicked(u.user));
    return { you, host: this.registry.host, online, listening, recent };
  }
}

/** Message content: not blank, at most 64 KiB of UTF-8. */
function checkContent(text: string): string {
  if (text.trim() === '') throw new RoomError('invalid_event', 'content is empty');
  return checkSize(text);
}

function checkSize(text: string): string {
  if (text.length > MAX_CONTENT_BYTES / 4 && Buffer.byteLength(text) > MAX_CONTENT_BYTES) {
    throw new RoomError(
      'content_too_large',
      `content is ${Buffer.byteLength(text)} bytes; at most ${MAX_CONTENT_BYTES} (64 KiB) are allowed`,
    );
  }
  return text;
}
