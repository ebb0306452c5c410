// What is new for the MCP client, read from the history file from the
// caller's shared cursor (client/cursor.ts, the one poll, watch, follow and
// the plugin's hooks use), holding the cursor lock while it reads and moves
// it. So a restarted server neither repeats nor skips, and what one deliverer
// of the user handed over, no other prints again. News is what others did
// that the user may see, except joins and leaves (`who` tells presence).
// `wait` sleeps until the live session (or a change to the file) says
// something was written (or a fallback interval passed), then reads again.
import { closeSync } from 'node:fs';
import type { RoomEvent } from '../../shared/events.ts';
import { cursorLockPath } from '../../shared/paths.ts';
import { openForRead } from '../../shared/safe-fs.ts';
import { withCursorLock } from '../cursor-lock.ts';
import { locate } from '../cursor.ts';
import { scanEntries, type Entry } from '../history-file.ts';
import type { Reader } from '../reader.ts';

/** How often a `wait` reads the file again when nothing said it changed (the live session reconnecting). */
const FALLBACK_MS = 2000;

export class Inbox {
  readonly #reader: Reader;
  /** The waiting `wait` calls (a client may run several at once): each reads again when woken. */
  readonly #waiters = new Set<() => void>();
  readonly #timer: NodeJS.Timeout;

  constructor(reader: Reader) {
    this.#reader = reader;
    this.#timer = setInterval(() => this.poke(), FALLBACK_MS);
    this.#timer.unref();
  }

  #isNews(event: RoomEvent): boolean {
    return (
      event.type !== 'join' && event.type !== 'leave' && event.user !== this.#reader.user && this.#reader.canSee(event)
    );
  }

  /** Runs `work` on the open history holding the cursor lock; null when the room has no history file. */
  #locked<T>(work: (fd: number) => T): T | null {
    const fd = openForRead(this.#reader.chat);
    if (fd === null) return null;
    try {
      return withCursorLock(cursorLockPath(this.#reader.cursor.path), () => work(fd));
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A user with no cursor yet (a first connection) starts before the last
   * `n` events of news, so the first read gives some context, not the whole
   * history. A user who has a cursor keeps it.
   */
  startNear(n: number): void {
    this.#locked((fd) => {
      if (this.#reader.cursor.read() !== null) return;
      const entries: Entry[] = [];
      let before: Entry | null = null;
      scanEntries(fd, 0, (entry) => {
        if (!this.#isNews(entry.event)) return;
        entries.push(entry);
        if (entries.length > n) before = entries.shift()!;
      });
      if (before !== null) this.#reader.cursor.write(before);
    });
  }

  /** The oldest `limit` unread events, moving the cursor past them; `left`: how many more are unread. */
  take(limit: number): { events: RoomEvent[]; left: number } {
    const taken = this.#locked((fd) => {
      const cursor = this.#reader.cursor.read();
      const start = cursor === null ? null : locate(fd, cursor); // gone (cleared history): start over
      const events: RoomEvent[] = [];
      let left = 0;
      let last: Entry | null = null;
      scanEntries(fd, start?.end ?? 0, (entry) => {
        const news = this.#isNews(entry.event);
        if (news && events.length === limit) left++;
        else if (left === 0) {
          if (news) events.push(entry.event);
          last = entry;
        }
      });
      if (last !== null) this.#reader.cursor.write(last);
      return { events, left };
    });
    return taken ?? { events: [], left: 0 };
  }

  /** Something was written (the live session saw an event): wake a waiting `wait`. */
  poke(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Takes what is unread, waiting for something to arrive until `signal` aborts; nothing when it did. */
  async next(limit: number, signal: AbortSignal): Promise<{ events: RoomEvent[]; left: number }> {
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    for (;;) {
      const taken = this.take(limit);
      if (taken.events.length > 0 || signal.aborted) return taken;
      // Registered in the same turn as the read: a poke can come only after it.
      await Promise.race([new Promise<void>((resolve) => this.#waiters.add(resolve)), aborted]);
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.poke();
  }
}
