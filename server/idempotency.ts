// Idempotency-Key for POST /messages: a client that lost the answer to a send
// (connection cut, timeout) retries with the same key and gets the original
// answer, same status and same bytes, and nothing is written twice.
//
// Invariants:
// - keys are per user: another user's key never matches;
// - the same key with a different request is refused (422), never replayed;
// - an answer is remembered from the moment the request is accepted, as a
//   promise, so a retry racing the original waits for it instead of posting;
// - a request that failed is forgotten (nothing was written: retrying is safe);
// - memory is bounded: per user at most MAX_KEYS answers and MAX_BYTES of
//   bodies, each for at most TTL_MS, oldest dropped first.
// - a keyed message, reply or DM is stored under an id derived from the user
//   and the key (eventIdFor, shared/keyed-event-id.ts), so the history itself remembers it: after a
//   broker restart (kill -9 between the write and the answer) the retry
//   finds that event and answers it instead of writing it again. Commands
//   are remembered in memory only.
// crypto.hash: one-shot digests, without a Hash object per call (they run per keyed send).
import { hash } from 'node:crypto';
import type { Inbound } from '../shared/api.ts';
import { roomError } from '../shared/errors.ts';
import type { RoomEvent } from '../shared/events.ts';

export interface StoredAnswer {
  readonly status: number;
  /** The response body exactly as sent. */
  readonly body: string;
}

interface Entry {
  readonly fingerprint: string;
  readonly answer: Promise<StoredAnswer>;
  readonly at: number;
  bytes: number;
}

export interface IdempotencyLimits {
  readonly maxKeys: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
}

const DEFAULT_LIMITS: IdempotencyLimits = { maxKeys: 1000, maxBytes: 8 * 1024 * 1024, ttlMs: 60 * 60 * 1000 };

/** A valid key: 1-255 visible ASCII characters (a UUID is the usual choice). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]{1,255}$';

/**
 * A digest of the request, so a reused key with another body is recognised.
 * Its keys are taken in a fixed order: the same event with its fields in
 * another order (another client, a channel line then a POST) is the same
 * request. The key list is JSON.stringify's replacer, which also filters
 * the keys of nested objects: an inbound event has none (its schemas hold
 * strings and an array of strings), so nothing is left out.
 */
export function fingerprintOf(request: object): string {
  return hash('sha256', JSON.stringify(request, Object.keys(request).sort()), 'base64url');
}

/** Whether a stored event is what `inbound` would have stored (for a key found in the history). */
export function storedAs(event: RoomEvent, inbound: Inbound): boolean {
  switch (inbound.type) {
    case 'message':
      return event.type === 'message' && event.content === inbound.content;
    case 'reply':
      return (
        event.type === 'reply' &&
        event.content === inbound.content &&
        event.reply_to.startsWith(inbound.reply_to.toLowerCase())
      );
    case 'dm':
      return event.type === 'dm' && event.content === inbound.content && event.to === inbound.to.replace(/^@/, '');
    case 'command':
      return false;
  }
}

class UserKeys {
  readonly entries = new Map<string, Entry>();
  bytes = 0;
}

export class IdempotencyCache {
  readonly #users = new Map<string, UserKeys>();
  readonly #limits: IdempotencyLimits;
  readonly #now: () => number;

  constructor(limits: Partial<IdempotencyLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
    this.#now = now;
  }

  /**
   * The remembered answer for `user`'s `key`, or the answer `perform` gives
   * (remembered when it succeeds). Throws idempotency_key_reused when the key
   * was used with another fingerprint.
   */
  run(
    user: string,
    key: string,
    fingerprint: string,
    perform: () => StoredAnswer | Promise<StoredAnswer>,
  ): Promise<StoredAnswer> {
    let keys = this.#users.get(user);
    if (keys === undefined) {
      keys = new UserKeys();
      this.#users.set(user, keys);
    }
    this.#expire(keys);
    const known = keys.entries.get(key);
    if (known !== undefined) {
      if (known.fingerprint !== fingerprint) return Promise.reject(roomError('idempotency_key_reused', { key }));
      return known.answer;
    }
    // perform runs now (nothing can come between it and the entry being
    // remembered: this is one synchronous run), a throw becoming a rejection.
    // Plain promises, not an async function: this runs per keyed send.
    let performed: Promise<StoredAnswer>;
    try {
      performed = Promise.resolve(perform());
    } catch (error) {
      performed = Promise.reject(error);
    }
    const userKeys = keys;
    // Its callbacks run in a later microtask, once `entry` below exists.
    const answer = performed.then(
      (stored) => {
        entry.bytes = Buffer.byteLength(stored.body) + key.length;
        userKeys.bytes += entry.bytes;
        this.#trim(userKeys);
        return stored;
      },
      (error: unknown) => {
        if (userKeys.entries.get(key) === entry) userKeys.entries.delete(key);
        throw error;
      },
    );
    const entry: Entry = { fingerprint, answer, at: this.#now(), bytes: 0 };
    keys.entries.set(key, entry);
    return answer;
  }

  /** Keys held for `user` (for tests and diagnostics). */
  size(user: string): number {
    return this.#users.get(user)?.entries.size ?? 0;
  }

  #expire(keys: UserKeys): void {
    const oldest = this.#now() - this.#limits.ttlMs;
    for (const [key, entry] of keys.entries) {
      if (entry.at > oldest) break; // insertion order is time order
      this.#drop(keys, key, entry);
    }
  }

  #trim(keys: UserKeys): void {
    if (keys.entries.size <= this.#limits.maxKeys && keys.bytes <= this.#limits.maxBytes) return;
    for (const [key, entry] of keys.entries) {
      if (keys.entries.size <= this.#limits.maxKeys && keys.bytes <= this.#limits.maxBytes) break;
      this.#drop(keys, key, entry);
    }
  }

  #drop(keys: UserKeys, key: string, entry: Entry): void {
    keys.entries.delete(key);
    keys.bytes -= entry.bytes;
  }
}
