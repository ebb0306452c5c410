// Sending one inbound event for a user, with or without an Idempotency-Key:
// what POST /messages and the publish channel (server/channel.ts) both do
// with a body once it is parsed and valid, so the two answer alike, byte for
// byte. Callbacks, not promises: this runs per message.
import type { Inbound } from '../shared/api.ts';
import { roomError } from '../shared/errors.ts';
import type { RoomEvent } from '../shared/events.ts';
import { eventIdFor } from '../shared/keyed-event-id.ts';
import type { Broker } from './broker.ts';
import { fingerprintOf, type IdempotencyCache, type StoredAnswer, storedAs } from './idempotency.ts';

export class Sends {
  readonly #room: Broker;
  readonly #idempotency: IdempotencyCache;

  constructor(room: Broker, idempotency: IdempotencyCache) {
    this.#room = room;
    this.#idempotency = idempotency;
  }

  /**
   * Sends `inbound` as `user`. An event refused on its content throws here,
   * at once; later, exactly one of `answer` (201 with the history line, or
   * 200 with a private notice) and `fail` is called.
   */
  send(
    user: string,
    inbound: Inbound,
    key: string | undefined,
    answer: (stored: StoredAnswer) => void,
    fail: (error: unknown) => void,
  ): void {
    if (key === undefined) this.#post(user, inbound, undefined, answer, fail);
    else
      this.#idempotency
        .run(user, key, fingerprintOf(inbound), () => this.#postOnce(user, key, inbound))
        .then(answer, fail)
        .catch((error: unknown) => console.error('[room] answering a send failed:', error));
  }

  #post(
    user: string,
    inbound: Inbound,
    id: string | undefined,
    answer: (stored: StoredAnswer) => void,
    fail: (error: unknown) => void,
  ): void {
    this.#room.submit(
      user,
      inbound,
      id,
      (result) =>
        answer(
          result.stored
            ? { status: 201, body: `${result.line ?? JSON.stringify(result.event)}\n` }
            : { status: 200, body: `${JSON.stringify(result.notice)}\n` },
        ),
      fail,
    );
  }

  /**
   * A keyed post. Its event id comes from the key, so a retry that the
   * broker's memory does not know (it restarted) finds the event in the
   * history and answers that line instead of storing it again.
   */
  #postOnce(user: string, key: string, inbound: Inbound): StoredAnswer | Promise<StoredAnswer> {
    const id = eventIdFor(user, key);
    const log = this.#room.room.log;
    const index = log.positionOf(id);
    if (index === undefined) return new Promise((resolve, reject) => this.#post(user, inbound, id, resolve, reject));
    const [line] = log.readLines(index, index + 1);
    if (line === undefined || !storedAs(JSON.parse(line) as RoomEvent, inbound))
      throw roomError('idempotency_key_reused', { key });
    return { status: 201, body: `${line}\n` };
  }
}
