// Whether this broker can reach its shared room's NATS server, from the
// connection's own status events, and the one way the shared state writes:
// a write that must hold on every machine runs only while NATS is reachable,
// and any failure of NATS (disconnected, timed out, no JetStream) becomes
// `nats_unreachable` (503, exit 3) for the client, so nothing is acknowledged
// that was not stored. A refusal from the room's own rules (a RoomError: the
// name is taken, the claim conflicts) passes through unchanged.
import type { NatsConnection } from '@nats-io/transport-node';
import { RoomError, roomError } from '../../shared/errors.ts';

export class Reach {
  readonly #nc: NatsConnection;
  #up = true;
  readonly #onReconnect: Array<() => void> = [];

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    void this.#follow();
  }

  /** Connected now (the client says so; a write may still time out). */
  get up(): boolean {
    return this.#up && !this.#nc.isClosed();
  }

  /** Runs `fn` after every reconnection (a watcher resumes its consumer). */
  onReconnect(fn: () => void): void {
    this.#onReconnect.push(fn);
  }

  /** Runs a write of the shared state; `what` completes "cannot …" in the refusal. */
  async write<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (!this.up) throw roomError('nats_unreachable', { what });
    try {
      return await op();
    } catch (error) {
      if (error instanceof RoomError) throw error;
      const refusal = roomError('nats_unreachable', { what }, { cause: error });
      throw new RoomError('nats_unreachable', `${refusal.message} (${(error as Error).message})`, { cause: error });
    }
  }

  async #follow(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === 'disconnect' || status.type === 'close') this.#up = false;
      else if (status.type === 'reconnect') {
        this.#up = true;
        for (const fn of this.#onReconnect) fn();
      }
    }
  }
}
