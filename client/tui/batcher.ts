// Collects items that arrive one by one and hands them over together. An
// item that arrives after a quiet spell is handed over `first` ms later (a
// single message shows at once); while items keep coming, hand-overs are at
// least `every` ms apart, however fast they arrive. A flood of 2,000 events
// a second thus costs at most 1000 / `every` dispatches (hence renders) a
// second, each with many events, and the renders the keyboard causes find
// the process free in between (bench/README.md, "Terminal UI under a flood").
export interface Cadence {
  /** Delay of the first hand-over after a quiet spell. */
  readonly first: number;
  /** The least time between two hand-overs. */
  readonly every: number;
}

/**
 * How long to wait before handing over an item that arrives at `now`, when
 * the last hand-over was at `last` (ms on the same clock; -Infinity: never).
 */
export function delayFor(now: number, last: number, cadence: Cadence): number {
  return Math.max(cadence.first, last + cadence.every - now);
}

export class Batcher<T> {
  readonly #flush: (items: T[]) => void;
  readonly #cadence: Cadence;
  readonly #now: () => number;
  #items: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  #last = Number.NEGATIVE_INFINITY;

  constructor(flush: (items: T[]) => void, cadence: Cadence, now: () => number = () => performance.now()) {
    this.#flush = flush;
    this.#cadence = cadence;
    this.#now = now;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#timer ??= setTimeout(() => this.flush(), delayFor(this.#now(), this.#last, this.#cadence));
  }

  /** Hands over what is waiting now (before something that must come after it). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.#last = this.#now();
    this.#flush(items);
  }
}
