// Whether this broker can reach its shared room's NATS server, from the
// connection's own status events, and the one way the shared state writes:
// a write that must hold on every machine runs only while NATS is reachable,
// and any failure of NATS (disconnected, timed out, no JetStream) becomes
// `nats_unreachable` (503, exit 3) for the client, so nothing is acknowledged
// that was not stored. A refusal from the room's own rules (a RoomError: the
// name is taken, the claim conflicts) passes through unchanged.
//
// A write in flight when the connection drops is refused at once rather
// than after the request's timeout. It may still have been stored (its
// acknowledgement lost): the bucket's watch then brings it in after the
// reconnection, so every machine still ends up with the same state.
import type { NatsConnection } from '@nats-io/transport-node';
import { RoomError, roomError } from '../../shared/errors.ts';

export class Reach {
  readonly #nc: NatsConnection;
  #up = true;
  readonly #onReconnect: Array<() => void> = [];
  /** Rejects the writes in flight when the connection drops. */
  readonly #inFlight = new Set<(error: Error) => void>();
  #sawStatus = false;
  /** Resolves once `up` says whether the connection is up now, not only whether it dropped since. */
  readonly known: Promise<void>;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    void this.#follow().catch(() => {
      this.#up = false; // the connection is gone
    });
    // The status stream reports changes only; whether the connection is up now is asked once
    // (rtt() refuses at once when it is not).
    this.known = nc.rtt().then(
      () => {},
      () => {
        if (!this.#sawStatus) this.#up = false;
      },
    );
  }

  /** Connected now (the client says so; a write may still time out). */
  get up(): boolean {
    return this.#up && !this.#nc.isClosed();
  }

  /** Runs `fn` after every reconnection (a watcher resumes its consumer); the function returned stops that. */
  onReconnect(fn: () => void): () => void {
    this.#onReconnect.push(fn);
    return () => {
      const at = this.#onReconnect.indexOf(fn);
      if (at !== -1) this.#onReconnect.splice(at, 1);
    };
  }

  /** `op()`, or a rejection as soon as the connection drops (at once, without starting it, when it is down). */
  whileUp<T>(op: () => Promise<T>): Promise<T> {
    if (!this.up) return Promise.reject(new Error('disconnected from NATS'));
    return new Promise<T>((resolve, reject) => {
      this.#inFlight.add(reject);
      op()
        .then(resolve, reject)
        .finally(() => this.#inFlight.delete(reject));
    });
  }

  /** Runs a write of the shared state; `what` completes "cannot …" in the refusal. */
  async write<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (!this.up) throw roomError('nats_unreachable.change', { what });
    try {
      return await this.whileUp(op);
    } catch (error) {
      if (error instanceof RoomError) throw error;
      throw roomError('nats_unreachable.change_because', { what, detail: (error as Error).message }, { cause: error });
    }
  }

  async #follow(): Promise<void> {
    for await (const status of this.#nc.status()) {
      this.#sawStatus = true;
      if (status.type === 'disconnect' || status.type === 'close') {
        this.#up = false;
        for (const reject of this.#inFlight) reject(new Error(`disconnected from NATS (${status.type})`));
        this.#inFlight.clear();
      } else if (status.type === 'reconnect') {
        this.#up = true;
        for (const fn of this.#onReconnect) fn();
      }
    }
  }
}
