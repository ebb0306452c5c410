// Collects items that arrive one by one and hands them over together, at
// most once per `ms`: a burst of 100 events a second becomes about 30
// dispatches (hence renders) a second, each with a few events, and a single
// event is shown within `ms`.
export class Batcher<T> {
  readonly #flush: (items: T[]) => void;
  readonly #ms: number;
  #items: T[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(flush: (items: T[]) => void, ms: number) {
    this.#flush = flush;
    this.#ms = ms;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#timer ??= setTimeout(() => this.flush(), this.#ms);
  }

  /** Hands over what is waiting now (before something that must come after it). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.#flush(items);
  }
}
