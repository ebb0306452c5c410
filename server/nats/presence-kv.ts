// Who is on every machine of a shared room: each broker keeps one key of
// the presence bucket (`broker.<id>`, server/nats/kv-names.ts) holding its
// Presence snapshot (sessions, listeners, last activity, statuses), and
// writes it again when its sessions or statuses change (at most every
// `publishMs`) and every `ttlMs / 3` in any case. The bucket's max_age is
// `ttlMs`: nats-server 2.9 has no per-key TTL, and a bucket-wide max_age
// removes a key that was not rewritten within it, without telling the
// watchers. So each broker also drops, on its own clock, a broker it has
// not heard from for `ttlMs` (by when it received the last write, not by the
// writer's clock): a machine that died, or lost its link to NATS, leaves
// every list within `ttlMs` (plus one check, `ttlMs / 4`). A broker that
// stops cleanly deletes its key, and leaves at once.
import { EventEmitter } from 'node:events';
import type { KV, KvEntry } from '@nats-io/kv';
import type { Presence, PresenceSnapshot } from '../presence.ts';
import { BROKER_PREFIX, brokerKey } from './kv-names.ts';
import type { Reach } from './reach.ts';

export interface PresenceSettings {
  /** How long a broker's users stay listed after its last write (the bucket's max_age). */
  readonly ttlMs: number;
  /** The least time between two writes after changes. */
  readonly publishMs: number;
}

export const DEFAULT_PRESENCE_TTL_MS = 30_000;

/** How long a stopping broker waits to remove its key. */
const CLOSE_WAIT_MS = 1000;

function snapshotOf(entry: KvEntry): PresenceSnapshot {
  const value = entry.json<Partial<PresenceSnapshot>>();
  const list = (field: keyof PresenceSnapshot) => (Array.isArray(value?.[field]) ? value[field] : []);
  return {
    sessions: list('sessions') as PresenceSnapshot['sessions'],
    listeners: list('listeners') as PresenceSnapshot['listeners'],
    lastActive: list('lastActive') as PresenceSnapshot['lastActive'],
    statuses: list('statuses') as PresenceSnapshot['statuses'],
  };
}

/** Emits `change` whenever the other brokers' users change (a write, a departure, an expiry). */
export class SharedPresence extends EventEmitter {
  readonly #kv: KV;
  readonly #reach: Reach;
  readonly #presence: Presence;
  readonly #settings: PresenceSettings;
  readonly #key: string;
  readonly #log: (message: string) => void;
  /** Every other broker's snapshot and when (local clock) it arrived. */
  readonly #others = new Map<string, { readonly snapshot: PresenceSnapshot; readonly at: number }>();
  readonly #refresh: NodeJS.Timeout;
  readonly #expire: NodeJS.Timeout;
  #publishTimer: NodeJS.Timeout | null = null;
  #lastPublish = 0;
  #closed = false;

  constructor(
    kv: KV,
    reach: Reach,
    presence: Presence,
    brokerId: string,
    settings: PresenceSettings,
    log: (message: string) => void,
  ) {
    super();
    this.#kv = kv;
    this.#reach = reach;
    this.#presence = presence;
    this.#settings = settings;
    this.#key = brokerKey(brokerId);
    this.#log = log;
    presence.onChange = () => this.#changed();
    this.#refresh = setInterval(() => void this.publish(), Math.max(10, Math.floor(settings.ttlMs / 3)));
    this.#refresh.unref();
    this.#expire = setInterval(() => this.#dropSilent(), Math.max(10, Math.floor(settings.ttlMs / 4)));
    this.#expire.unref();
  }

  /** An entry of the presence bucket. */
  receive(entry: KvEntry): void {
    if (!entry.key.startsWith(BROKER_PREFIX) || entry.key === this.#key) return;
    if (entry.operation === 'PUT') this.#others.set(entry.key, { snapshot: snapshotOf(entry), at: Date.now() });
    else if (!this.#others.delete(entry.key)) return;
    this.#apply();
  }

  /** Writes this broker's snapshot now. A failed write (NATS away) is logged; the next refresh tries again. */
  async publish(): Promise<void> {
    if (this.#closed || !this.#reach.up) return;
    this.#lastPublish = Date.now();
    try {
      await this.#kv.put(this.#key, JSON.stringify(this.#presence.snapshot()));
    } catch (error) {
      this.#log(`could not publish this broker's presence: ${(error as Error).message}`);
    }
  }

  /** Sessions or statuses changed here: publish soon, at most every publishMs. */
  #changed(): void {
    if (this.#publishTimer !== null || this.#closed) return;
    const wait = Math.max(0, this.#lastPublish + this.#settings.publishMs - Date.now());
    this.#publishTimer = setTimeout(() => {
      this.#publishTimer = null;
      void this.publish();
    }, wait);
    this.#publishTimer.unref();
  }

  /** Forgets the brokers not heard from for ttlMs (the bucket dropped their key without a word). */
  #dropSilent(): void {
    const oldest = Date.now() - this.#settings.ttlMs;
    let dropped = false;
    for (const [key, { at }] of this.#others) {
      if (at < oldest) {
        this.#others.delete(key);
        dropped = true;
      }
    }
    if (dropped) this.#apply();
  }

  #apply(): void {
    this.#presence.setRemote([...this.#others.values()].map((other) => other.snapshot));
    this.emit('change');
  }

  /** Stops publishing and deletes this broker's key (its users leave the other machines' lists at once). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#refresh);
    clearInterval(this.#expire);
    if (this.#publishTimer !== null) clearTimeout(this.#publishTimer);
    this.#presence.onChange = null;
    this.#presence.setRemote([]);
    if (!this.#reach.up) return;
    // Bounded: a broker stopping while NATS vanishes must not wait for a request's timeout (the TTL drops the key then).
    const removed = this.#reach
      .whileUp(() => this.#kv.delete(this.#key))
      .catch((error: Error) => {
        this.#log(`could not remove this broker's presence: ${error.message}`);
      });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([removed, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }
}
