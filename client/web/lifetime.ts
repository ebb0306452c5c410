// When the gateway ends: once no page has held a stream or made a call for
// `lingerMs` (a page that reloads, or reconnects after a broker restart,
// comes back well within it) and no printed address is still waiting to be
// opened (a browser may take a while to start).
export interface LifetimeOptions {
  /** How long the gateway stays up after its last page went quiet. */
  readonly lingerMs: number;
  /** Whether a printed address can still be opened. */
  readonly waiting: () => boolean;
  readonly onIdle: () => void;
}

const CHECK_MS = 1000;

export class Lifetime {
  #streams = 0;
  #lastActive = Date.now();
  readonly #timer: NodeJS.Timeout;
  readonly #options: LifetimeOptions;

  constructor(options: LifetimeOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.#check(), Math.min(CHECK_MS, options.lingerMs));
    this.#timer.unref();
  }

  opened(): void {
    this.#streams++;
    this.active();
  }

  closed(): void {
    this.#streams--;
    this.active();
  }

  /** A page did something (redeemed its secret, made a call): it is there. */
  active(): void {
    this.#lastActive = Date.now();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #check(): void {
    if (this.#streams > 0 || this.#options.waiting()) return;
    if (Date.now() - this.#lastActive >= this.#options.lingerMs) {
      this.stop();
      this.#options.onIdle();
    }
  }
}
