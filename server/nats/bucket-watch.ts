// Follows every key of a bucket: each entry goes to `receive` in the
// bucket's order (revision order). `ready` resolves once the values stored
// before the watch began have arrived (the bucket's last sequence then was
// reached), so a broker starts answering with the shared state loaded.
// After a reconnection the watch starts again from the revision after the
// last one seen: nothing is missed, and a receiver ignores what it already
// has by revision.
import type { KV, KvEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import type { Reach } from './reach.ts';

const RESTART_ATTEMPTS = 20;
const RESTART_PAUSE_MS = 500;

export class BucketWatch {
  readonly #kv: KV;
  readonly #name: string;
  readonly #receive: (entry: KvEntry) => void;
  readonly #log: (message: string) => void;
  #iterator: QueuedIterator<KvEntry> | null = null;
  #lastRevision = 0;
  #closed = false;
  readonly ready: Promise<void>;

  private constructor(kv: KV, name: string, receive: (entry: KvEntry) => void, log: (message: string) => void) {
    this.#kv = kv;
    this.#name = name;
    this.#receive = receive;
    this.#log = log;
    this.ready = this.#start();
  }

  static async open(
    kv: KV,
    name: string,
    reach: Reach,
    receive: (entry: KvEntry) => void,
    log: (message: string) => void,
  ): Promise<BucketWatch> {
    const watch = new BucketWatch(kv, name, receive, log);
    reach.onReconnect(() => void watch.#restart());
    await watch.ready;
    return watch;
  }

  async #start(): Promise<void> {
    const { state } = (await this.#kv.status()).streamInfo;
    const until = state.messages === 0 ? 0 : state.last_seq;
    let caughtUp: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    if (until <= this.#lastRevision) caughtUp();
    const iterator = await this.#kv.watch(this.#lastRevision > 0 ? { resumeFromRevision: this.#lastRevision + 1 } : {});
    this.#iterator = iterator;
    void (async () => {
      for await (const entry of iterator) {
        if (entry.revision > this.#lastRevision) this.#lastRevision = entry.revision;
        try {
          this.#receive(entry);
        } catch (error) {
          this.#log(
            `ignoring ${entry.key} (revision ${entry.revision}) of ${entry.bucket}: ${(error as Error).message}`,
          );
        }
        if (entry.revision >= until) caughtUp();
      }
    })().catch((error: Error) => {
      // The connection closed under the watch (the broker is stopping), or the consumer failed: a reconnection watches again.
      if (!this.#closed) this.#log(`the watch of ${this.#name} stopped: ${error.message}`);
    });
    await ready;
  }

  /** Watches again after a reconnection; JetStream may need a moment after a server restart, so it retries. */
  async #restart(): Promise<void> {
    this.#iterator?.stop();
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        await this.#start();
        return;
      } catch (error) {
        if (attempt === RESTART_ATTEMPTS) {
          this.#log(`could not watch ${this.#name} again after reconnecting: ${(error as Error).message}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RESTART_PAUSE_MS));
      }
    }
  }

  stop(): void {
    this.#closed = true;
    this.#iterator?.stop();
  }
}
