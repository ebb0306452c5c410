// What is new for the MCP client: the events of others it has not read yet,
// in order, bounded. `read` takes from the front; `wait` resolves as soon as
// something is there. Joins and leaves are not news (`who` tells presence),
// nor are the client's own events.
import type { RoomEvent } from '../../shared/events.ts';

/** Unread events kept at most; older ones are dropped and counted. */
const MAX_UNREAD = 1000;

export class Inbox {
  readonly #me: string;
  #unread: RoomEvent[] = [];
  #dropped = 0;
  #waiters: Array<() => void> = [];

  constructor(me: string) {
    this.#me = me;
  }

  /** Takes an event from the stream; true when it is news for the client. */
  add(event: RoomEvent): boolean {
    if (event.type === 'join' || event.type === 'leave' || event.user === this.#me) return false;
    this.#unread.push(event);
    if (this.#unread.length > MAX_UNREAD) {
      this.#unread.shift();
      this.#dropped++;
    }
    for (const wake of this.#waiters.splice(0)) wake();
    return true;
  }

  get size(): number {
    return this.#unread.length;
  }

  /** The oldest `limit` unread events, and how many were dropped (too many unread) before them. */
  take(limit: number): { events: RoomEvent[]; dropped: number; left: number } {
    const events = this.#unread.splice(0, limit);
    const dropped = this.#dropped;
    this.#dropped = 0;
    return { events, dropped, left: this.#unread.length };
  }

  /** Resolves once something is unread, or `signal` aborts. */
  whenAny(signal: AbortSignal): Promise<void> {
    if (this.#unread.length > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener('abort', wake);
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve();
      };
      this.#waiters.push(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
