// Who is in the room right now. Pure bookkeeping, in broker memory only:
// - a user is online while they hold at least one live session (TUI, agent, SSE stream);
// - a status lives until the user's last live session ends (or they clear it);
// - one-shot users (send, poll, watch) are remembered by when they were last active.

export interface OnlineUser {
  user: string;
  status: string;
  sessions: number;
}

export interface RecentUser {
  user: string;
  status: string;
  last_active: string;
}

export class Presence {
  readonly #sessions = new Map<string, number>();
  readonly #status = new Map<string, string>();
  readonly #lastActive = new Map<string, Date>();

  /** Counts a new live session; true when it is the user's first. */
  connect(user: string): boolean {
    const n = (this.#sessions.get(user) ?? 0) + 1;
    this.#sessions.set(user, n);
    return n === 1;
  }

  /** Ends a live session; true when it was the user's last (their status is then cleared). */
  disconnect(user: string, now: Date): boolean {
    const n = (this.#sessions.get(user) ?? 0) - 1;
    if (n > 0) {
      this.#sessions.set(user, n);
      return false;
    }
    this.#sessions.delete(user);
    this.#status.delete(user);
    this.#lastActive.set(user, now);
    return true;
  }

  isOnline(user: string): boolean {
    return this.#sessions.has(user);
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
    return [...this.#sessions.entries()]
      .map(([user, sessions]) => ({ user, status: this.#status.get(user) ?? '', sessions }))
      .sort((a, b) => a.user.localeCompare(b.user, 'en', { numeric: true }));
  }

  /**
   * Users seen only through one-shot commands, most recent first. `polled`
   * adds activity the broker did not see itself (poll and watch read the file).
   */
  recent(polled: ReadonlyMap<string, Date>): RecentUser[] {
    const last = new Map(this.#lastActive);
    for (const [user, when] of polled) {
      const seen = last.get(user);
      if (seen === undefined || when > seen) last.set(user, when);
    }
    return [...last.entries()]
      .filter(([user]) => !this.#sessions.has(user))
      .sort((a, b) => b[1].getTime() - a[1].getTime())
      .map(([user, when]) => ({ user, status: this.#status.get(user) ?? '', last_active: when.toISOString() }));
  }
}
