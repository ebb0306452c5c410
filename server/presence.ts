// Who is in the room right now. Pure bookkeeping, in broker memory only:
// - "here": a user holding at least one live session (TUI, agent, SSE stream);
// - "listening": a user with no live session but at least one listening
//   stream (a `room follow`, a waiting `room watch`, a Claude Code session
//   whose monitor runs): they hear the room without being in it, so they
//   are neither listed as here nor as gone;
// - a status lives until the user's last live or listening stream ends (or
//   they clear it);
// - everyone else who was active is remembered by when ("last seen").

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

export class Presence {
  readonly #sessions = new Counts();
  readonly #listeners = new Counts();
  readonly #status = new Map<string, string>();
  readonly #lastActive = new Map<string, Date>();

  /** Counts a new live session; true when it is the user's first. */
  connect(user: string): boolean {
    return this.#sessions.add(user) === 1;
  }

  /** Ends a live session; true when it was the user's last (their status is then cleared unless they still listen). */
  disconnect(user: string, now: Date): boolean {
    if (this.#sessions.remove(user) > 0) return false;
    this.#gone(user, now);
    return true;
  }

  /** Counts a listening stream (a follower, a waiting watch). */
  listen(user: string): void {
    this.#listeners.add(user);
  }

  /** Ends a listening stream. */
  unlisten(user: string, now: Date): void {
    if (this.#listeners.remove(user) === 0) this.#gone(user, now);
  }

  /** The user's last live or listening stream ended: their status goes, their last activity is now. */
  #gone(user: string, now: Date): void {
    if (this.#sessions.has(user) || this.#listeners.has(user)) return;
    this.#status.delete(user);
    this.#lastActive.set(user, now);
  }

  isOnline(user: string): boolean {
    return this.#sessions.has(user);
  }

  isListening(user: string): boolean {
    return !this.#sessions.has(user) && this.#listeners.has(user);
  }

  /** Sets (or, with an empty text, clears) a status. */
  setStatus(user: string, text: string): void {
    if (text === '') this.#status.delete(user);
    else this.#status.set(user, text);
  }

  /** Notes a one-shot request by `user`. */
  touch(user: string, now: Date): void {
    this.#lastActive.set(user, now);
  }

  /** Drops everything known about a user (on /kick). */
  forget(user: string): void {
    this.#status.delete(user);
    this.#lastActive.delete(user);
  }

  online(): OnlineUser[] {
    return this.#sessions
      .entries()
      .map(([user, sessions]) => ({ user, status: this.#status.get(user) ?? '', sessions }))
      .sort(byName);
  }

  /** Users who listen without a live session. */
  listening(): ListeningUser[] {
    return this.#listeners
      .entries()
      .filter(([user]) => !this.#sessions.has(user))
      .map(([user, listeners]) => ({ user, status: this.#status.get(user) ?? '', listeners }))
      .sort(byName);
  }

  /**
   * Users neither here nor listening, most recent first. `polled` adds
   * activity the broker did not see itself (poll and watch read the file).
   */
  recent(polled: ReadonlyMap<string, Date>): RecentUser[] {
    const last = new Map(this.#lastActive);
    for (const [user, when] of polled) {
      const seen = last.get(user);
      if (seen === undefined || when > seen) last.set(user, when);
    }
    return [...last.entries()]
      .filter(([user]) => !this.#sessions.has(user) && !this.#listeners.has(user))
      .sort((a, b) => b[1].getTime() - a[1].getTime())
      .map(([user, when]) => ({ user, status: this.#status.get(user) ?? '', last_active: when.toISOString() }));
  }
}
