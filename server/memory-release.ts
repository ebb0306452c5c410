// Lets go of what reading the history allocated (issue 12). A page walk or
// a long replay reads the history into short-lived strings: each page's
// lines and its body, each replay batch's frames. With the broker's 1 MiB
// young generation, the ones alive at a scavenge are promoted, and V8 lets
// the old generation grow to about four times what survives before it
// collects it: on a 1,000,000-event history a full walk of 1,000-event pages
// took the broker from ~95 to 123-143 MiB. So after every
// RELEASE_EVERY_BYTES of history read, once the current work is done, a full
// collection runs (12 ms median, 27 at most, in a walk of 1,000,000
// events), where an incremental one let the walk run on and peak higher (up
// to 101 MiB against 93-96). It costs a full walk ~40% more CPU (4 MiB is
// read in 16 pages of 1,000 events). Sends do not read the history, so chat traffic starts none.
//
// The collector is V8's `gc`, fetched the first time it is needed, as Jest
// fetches it (`--expose-gc` set at run time, then `gc` read from a new
// context) rather than given by `--expose-gc` on the command line: that
// flag costs every idle broker ~0.4 MiB. Measured in bench/README.md
// ("Broker start-up and memory").
/** History bytes read between two collections. */
export const RELEASE_EVERY_BYTES = 4 * 1024 * 1024;

/** V8's collector as `--expose-gc` gives it. */
export type Collect = (options: { type: 'major'; execution: 'sync' }) => Promise<void> | void;

/** V8's collector, or undefined where it cannot be had. */
export function v8Collector(): Collect | undefined {
  try {
    // Loaded here, not at start: most brokers never need them.
    process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
    const gc: unknown = process.getBuiltinModule('node:vm').runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Collect) : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryRelease {
  readonly #getCollector: () => Collect | undefined;
  #collect: Collect | undefined;
  #fetched = false;
  #read = 0;
  #pending = false;

  constructor(getCollector: () => Collect | undefined = v8Collector) {
    this.#getCollector = getCollector;
  }

  /** Counts history bytes read; past the threshold, starts a collection once the current work is done. */
  readonly noteRead = (bytes: number): void => {
    this.#read += bytes;
    if (this.#read < RELEASE_EVERY_BYTES || this.#pending) return;
    this.#read = 0;
    if (!this.#fetched) {
      this.#fetched = true;
      this.#collect = this.#getCollector();
    }
    const collect = this.#collect;
    if (collect === undefined) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      void collect({ type: 'major', execution: 'sync' });
    });
  };
}
