// Who is in the room right now. Pure bookkeeping, in broker memory only:
// - "here": a user holding at least one live session (TUI, agent, SSE stream);
// - "listening": a user with no live session but at least one listening
//   stream (a `room follow`, a waiting `room watch`, a Claude Code session
//   whose monitor runs): they hear the room without being in it, so they
//   are neither listed as here nor as gone;
// - a status lives until the user's last live or listening stream ends (or
//   they clear it);
// - everyone else who was active is remembered by when ("last seen").
//
// In a shared room (issue 16) every broker publishes what it knows here
// (`snapshot`) and hears the others' (`setRemote`, server/nats/presence-kv.ts):
// /who, the UI's title and GET /users then list the users of every machine,
// a user is online if they have a session on any machine, and a status is
// the latest set or cleared on any machine (by the setting broker's clock).
// A user whose last stream here ends keeps their status while they are still
// present on another machine. Without remote brokers every answer is the
// local one, computed as before.

/** What one broker knows of its users, as it publishes it for the others. Tuples, not objects: a user may be named `__proto__`. */
export interface PresenceSnapshot {
  readonly sessions: ReadonlyArray<readonly [user: string, count: number]>;
  readonly listeners: ReadonlyArray<readonly [user: string, count: number]>;
  /** ISO times. */
  readonly lastActive: ReadonlyArray<readonly [user: string, when: string]>;
  /** The latest status each user set or cleared (''), with when (ISO). */
  readonly statuses: ReadonlyArray<readonly [user: string, text: string, when: string]>;
}

export interface OnlineUser {
  user: string;
  status: string;
  sessions: number;
}

export interface ListeningUser {
  user: string;
  status: string;
  listeners: number;
}

export interface RecentUser {
  user: string;
  status: string;
  last_active: string;
}

/** A per-user count that drops the user when it reaches zero. */
class Counts {
  readonly #n = new Map<string, number>();

  add(user: string): number {
    const n = (this.#n.get(user) ?? 0) + 1;
    this.#n.set(user, n);
    return n;
  }

  remove(user: string): number {
    const n = (this.#n.get(user) ?? 0) - 1;
    if (n > 0) this.#n.set(user, n);
    else this.#n.delete(user);
    return Math.max(0, n);
  }

  has(user: string): boolean {
    return this.#n.has(user);
  }

  entries(): [string, number][] {
    return [...this.#n.entries()];
  }
}

const byName = (a: { user: string }, b: { user: string }) => a.user.localeCompare(b.user, 'en', { numeric: true });

interface StatusChange {
  readonly text: string;
  readonly at: number;
}

/** The other brokers' snapshots, merged per user. */
interface Remote {
  readonly sessions: Map<string, number>;
  readonly listeners: Map<string, number>;
  readonly lastActive: Map<string, Date>;
  readonly statuses: Map<string, StatusChange>;
}

function merge(snapshots: readonly PresenceSnapshot[]): Remote {
  const remote: Remote = { sessions: new Map(), listeners: new Map(), lastActive: new Map(), statuses: new Map() };
  const add = (counts: Map<string, number>, user: string, n: number) => counts.set(user, (counts.get(user) ?? 0) + n);
  for (const snapshot of snapshots) {
    for (const [user, n] of snapshot.sessions) if (n > 0) add(remote.sessions, user, n);
    for (const [user, n] of snapshot.listeners) if (n > 0) add(remote.listeners, user, n);
    for (const [user, iso] of snapshot.lastActive) {
      const when = new Date(iso);
      const seen = remote.lastActive.get(user);
      if (!Number.isNaN(when.getTime()) && (seen === undefined || when > seen)) remote.lastActive.set(user, when);
    }
    for (const [user, text, iso] of snapshot.statuses) {
      const at = Date.parse(iso);
      const seen = remote.statuses.get(user);
      if (!Number.isNaN(at) && (seen === undefined || at > seen.at)) remote.statuses.set(user, { text, at });
    }
  }
  return remote;
}

export class Presence {
  readonly #sessions = new Counts();
  readonly #listeners = new Counts();
  readonly #status = new Map<string, string>();
  readonly #lastActive = new Map<string, Date>();
  /** When each local status was last set or cleared: what the other brokers of a shared room compare. */
  readonly #statusAt = new Map<string, StatusChange>();
  #remote: Remote | null = null;
  /** Called when the sessions, listeners or statuses here change (a shared room publishes them). */
  onChange: (() => void) | null = null;

  /** The other brokers' users (a shared room); an empty list: this broker alone again. */
  setRemote(snapshots: readonly PresenceSnapshot[]): void {
    this.#remote = snapshots.length === 0 ? null : merge(snapshots);
  }

  /** What this broker knows of its users, for the other brokers of a shared room. */
  snapshot(): PresenceSnapshot {
    return {
      sessions: this.#sessions.entries(),
      listeners: this.#listeners.entries(),
      lastActive: [...this.#lastActive].map(([user, when]) => [user, when.toISOString()] as const),
      statuses: [...this.#statusAt].map(([user, { text, at }]) => [user, text, new Date(at).toISOString()] as const),
    };
  }

  /** When the user was last active on another machine, if known. */
  lastActiveElsewhere(user: string): Date | undefined {
    return this.#remote?.lastActive.get(user);
  }

  #presentElsewhere(user: string): boolean {
    return this.#remote !== null && (this.#remote.sessions.has(user) || this.#remote.listeners.has(user));
  }

  #onlineElsewhere(user: string): boolean {
    return this.#remote?.sessions.has(user) === true;
  }

  /** The user's status: the local one, or in a shared room the latest set or cleared anywhere. */
  #statusOf(user: string): string {
    const local = this.#status.get(user) ?? '';
    const remote = this.#remote?.statuses.get(user);
    if (remote === undefined) return local;
    const here = this.#statusAt.get(user);
    return here !== undefined && here.at >= remote.at ? local : remote.text;
  }

  #setStatusHere(user: string, text: string, now: number): void {
    if (text === '') this.#status.delete(user);
    else this.#status.set(user, text);
    this.#statusAt.set(user, { text, at: now });
  }

  /** Counts a new live session; true when it is the user's first. */
  connect(user: string): boolean {
    const first = this.#sessions.add(user) === 1;
    this.onChange?.();
    return first;
  }

  /** Ends a live session; true when it was the user's last (their status is then cleared unless they still listen). */
  disconnect(user: string, now: Date): boolean {
    const left = this.#sessions.remove(user) === 0;
    if (left) this.#gone(user, now);
    this.onChange?.();
    return left;
  }

  /** Counts a listening stream (a follower, a waiting watch). */
  listen(user: string): void {
    this.#listeners.add(user);
    this.onChange?.();
  }

  /** Ends a listening stream. */
  unlisten(user: string, now: Date): void {
    if (this.#listeners.remove(user) === 0) this.#gone(user, now);
    this.onChange?.();
  }

  /**
   * The user's last live or listening stream here ended: their last activity
   * is now, and their status goes, unless they are still present on another
   * machine of a shared room.
   */
  #gone(user: string, now: Date): void {
    if (this.#sessions.has(user) || this.#listeners.has(user)) return;
    this.#lastActive.set(user, now);
    if (this.#presentElsewhere(user)) return;
    if (this.#remote !== null || this.#status.has(user)) this.#setStatusHere(user, '', now.getTime());
  }

  /** A live session here, or on another machine of a shared room. */
  isOnline(user: string): boolean {
    return this.#sessions.has(user) || this.#onlineElsewhere(user);
  }

  /** A listening stream here or elsewhere, and no live session anywhere. */
  isListening(user: string): boolean {
    return !this.isOnline(user) && (this.#listeners.has(user) || this.#remote?.listeners.has(user) === true);
  }

  /** Sets (or, with an empty text, clears) a status. */
  setStatus(user: string, text: string): void {
    this.#setStatusHere(user, text, Date.now());
    this.onChange?.();
  }

  /**
   * Notes a one-shot request by `user`. A user seen here for the first time is
   * a change (a shared room's other machines list them at once); later
   * requests only move the time, which the periodic refresh carries.
   */
  touch(user: string, now: Date): void {
    const known = this.#lastActive.has(user);
    this.#lastActive.set(user, now);
    if (!known) this.onChange?.();
  }

  /** Drops everything known about a user (on /kick). */
  forget(user: string): void {
    this.#status.delete(user);
    this.#statusAt.delete(user);
    this.#lastActive.delete(user);
    this.onChange?.();
  }

  online(): OnlineUser[] {
    return this.#counted(this.#sessions, this.#remote?.sessions)
      .map(([user, sessions]) => ({ user, status: this.#statusOf(user), sessions }))
      .sort(byName);
  }

  /** Users who listen without a live session (here or elsewhere). */
  listening(): ListeningUser[] {
    return this.#counted(this.#listeners, this.#remote?.listeners)
      .filter(([user]) => !this.isOnline(user))
      .map(([user, listeners]) => ({ user, status: this.#statusOf(user), listeners }))
      .sort(byName);
  }

  /** The local counts, plus the other machines' in a shared room. */
  #counted(here: Counts, elsewhere: ReadonlyMap<string, number> | undefined): [string, number][] {
    if (elsewhere === undefined) return here.entries();
    const all = new Map(here.entries());
    for (const [user, n] of elsewhere) all.set(user, (all.get(user) ?? 0) + n);
    return [...all];
  }

  /**
   * Users neither here nor listening, most recent first. `polled` adds
   * activity the broker did not see itself (poll and watch read the file).
   */
  recent(polled: ReadonlyMap<string, Date>): RecentUser[] {
    const last = new Map(this.#lastActive);
    for (const [user, when] of [...polled, ...(this.#remote?.lastActive ?? [])]) {
      const seen = last.get(user);
      if (seen === undefined || when > seen) last.set(user, when);
    }
    return [...last.entries()]
      .filter(([user]) => !this.isOnline(user) && !this.isListening(user))
      .sort((a, b) => b[1].getTime() - a[1].getTime())
      .map(([user, when]) => ({ user, status: this.#statusOf(user), last_active: when.toISOString() }));
  }
}
