// Wakes a reader of the history file: on a change to the file (file
// notifications), on a poke (a listening stream saw an event), or on a
// fallback interval, whichever comes first. Shared by watch and follow.
import { watch as watchFile, type FSWatcher } from 'node:fs';

export class ChangeSignal {
  #wake: (() => void) | null = null;
  #pending = false;
  readonly #watcher: FSWatcher | null;
  readonly #timer: NodeJS.Timeout;

  constructor(path: string, intervalMs: number) {
    let watcher: FSWatcher | null = null;
    try {
      watcher = watchFile(path, { persistent: true }, () => this.poke());
      watcher.on('error', () => {}); // the interval still runs
    } catch {
      // no notifications here (or no file yet): the interval does the work
    }
    this.#watcher = watcher;
    this.#timer = setInterval(() => this.#fire(), intervalMs);
  }

  #fire(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Something changed: wake the reader now, or as soon as it next waits. */
  poke(): void {
    if (this.#wake === null) this.#pending = true;
    this.#fire();
  }

  next(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  close(): void {
    this.#watcher?.close();
    clearInterval(this.#timer);
  }
}
