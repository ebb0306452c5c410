// A shared room's users and host in its state bucket (server/nats/kv-names.ts):
// `user.<name>` holds a user's record as JSON ({name, token, kicked, joined}),
// `host` the host's name. A write reads the key, decides against what is
// stored there (not against this broker's copy, which may lag), and stores
// with compare-and-set on the key's revision; a lost race decides again. So
// two machines joining `alice` at once get one winner, and `create` on the
// host key makes the first user to join the host on every machine.
//
// Every broker follows the bucket (server/nats/bucket-watch.ts) and adopts
// what changed into its Registry, newer revisions only: its own writes are
// adopted as soon as NATS acknowledged them (the answer to the client must
// see them), and their echo is then ignored. A change made elsewhere that
// revokes a token ends that user's sessions here, as a local kick or
// /clear-tokens ends them (the broker that made the change announces it).
import type { KV, KvEntry } from '@nats-io/kv';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { CloseReason } from '../../shared/api.ts';
import { nameKey } from '../../shared/names.ts';
import type { Registry, Revocation, SharedUsers, User } from '../registry.ts';
import { HOST_KEY, USER_PREFIX, userKey } from './kv-names.ts';
import type { Reach } from './reach.ts';

/** What a revocation made elsewhere does to this broker's sessions. */
export interface RevocationHooks {
  readonly room: string;
  readonly endStreams: (reason: CloseReason, message: string, which: (user: string) => boolean) => void;
  /** Drops what presence knows of a kicked user. */
  readonly forget: (user: string) => void;
}

/** How many times a write decides again after losing a race before it gives up. */
const MAX_ATTEMPTS = 32;

/** A write refused because the key changed since it was read (or exists, for `create`). */
export function lostRace(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function userOf(entry: KvEntry): User | null {
  if (entry.operation !== 'PUT') return null;
  const value = entry.json<Partial<User>>();
  if (
    typeof value?.name !== 'string' ||
    (value.token !== null && typeof value.token !== 'string') ||
    typeof value.kicked !== 'boolean' ||
    typeof value.joined !== 'string'
  )
    throw new Error('not a user record');
  return { name: value.name, token: value.token, kicked: value.kicked, joined: value.joined };
}

const encode = (user: User): string => JSON.stringify(user);

export class SharedRegistry implements SharedUsers {
  readonly #kv: KV;
  readonly #reach: Reach;
  readonly #registry: Registry;
  readonly #hooks: RevocationHooks;
  /** The revision of every key adopted so far: an older entry (an echo, a late delivery) is ignored. */
  readonly #revisions = new Map<string, number>();
  /** Entries received and not yet adopted: adopted together, with one write of the state file. */
  #pending: Array<readonly [key: string, user: User | null]> = [];
  #pendingHost: string | undefined;
  #flushing = false;

  constructor(kv: KV, reach: Reach, registry: Registry, hooks: RevocationHooks) {
    this.#kv = kv;
    this.#reach = reach;
    this.#registry = registry;
    this.#hooks = hooks;
  }

  /** Puts the users and host this broker knew before it shared the room into the bucket, where they are not yet. */
  async seed(): Promise<void> {
    const keep = async (key: string, value: string) => {
      try {
        await this.#kv.create(key, value);
      } catch (error) {
        if (!lostRace(error)) throw error; // there already: the shared one wins
      }
    };
    await Promise.all(this.#registry.users.map((user) => keep(userKey(nameKey(user.name)), encode(user))));
    if (this.#registry.host !== null) await keep(HOST_KEY, this.#registry.host);
  }

  /** An entry of the state bucket (server/nats/bucket-watch.ts); false when it is not about users. */
  receive(entry: KvEntry): boolean {
    if (entry.key !== HOST_KEY && !entry.key.startsWith(USER_PREFIX)) return false;
    if (entry.revision <= (this.#revisions.get(entry.key) ?? 0)) return true;
    this.#revisions.set(entry.key, entry.revision);
    if (entry.key === HOST_KEY) {
      if (entry.operation === 'PUT') this.#pendingHost = entry.string();
    } else {
      const user = userOf(entry);
      this.#pending.push([user === null ? this.#keyName(entry.key) : nameKey(user.name), user]);
    }
    if (!this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => this.#flush());
    }
    return true;
  }

  /** The nameKey a deleted user's key stood for (the record is gone, so the name comes from the registry). */
  #keyName(key: string): string {
    return this.#registry.users.map((u) => nameKey(u.name)).find((name) => userKey(name) === key) ?? key;
  }

  #flush(): void {
    this.#flushing = false;
    if (this.#pending.length === 0 && this.#pendingHost === undefined) return;
    const records = this.#pending;
    const host = this.#pendingHost;
    this.#pending = [];
    this.#pendingHost = undefined;
    for (const revocation of this.#registry.adopt(records, host)) this.#revoked(revocation);
  }

  /** A token revoked elsewhere: this broker's sessions of that user end as they would after a local kick or /clear-tokens. */
  #revoked({ name, kicked }: Revocation): void {
    const { room, endStreams, forget } = this.#hooks;
    const by = this.#registry.host ?? 'the host';
    if (kicked) {
      forget(name);
      endStreams('kicked', `you were kicked from ${room} by ${by}`, (user) => user === name);
    } else {
      endStreams('revoked', `${by} revoked every token in ${room}: run room join again`, (user) => user === name);
    }
  }

  change(name: string, next: (current: User | null) => User | null): Promise<User | null> {
    const key = userKey(name);
    return this.#reach.write(`change ${name}'s record`, async () => {
      for (let attempt = 1; ; attempt++) {
        const entry = await this.#kv.get(key);
        const current = entry === null ? null : userOf(entry);
        const wanted = next(current);
        if (wanted === null) return current;
        try {
          const revision =
            entry === null
              ? await this.#kv.create(key, encode(wanted))
              : await this.#kv.update(key, encode(wanted), entry.revision);
          this.#adoptOwn(key, name, wanted, revision);
          return wanted;
        } catch (error) {
          if (!lostRace(error) || attempt === MAX_ATTEMPTS) throw error;
        }
      }
    });
  }

  claimHost(name: string): Promise<void> {
    return this.#reach.write('record the host', async () => {
      try {
        const revision = await this.#kv.create(HOST_KEY, name);
        this.#adoptOwnHost(name, revision);
      } catch (error) {
        if (!lostRace(error)) throw error;
        const entry = await this.#kv.get(HOST_KEY);
        if (entry?.operation === 'PUT') this.#adoptOwnHost(entry.string(), entry.revision);
      }
    });
  }

  /** A write of this broker, acknowledged: adopted at once (newer than what was adopted, else a later change already won). */
  #adoptOwn(key: string, name: string, user: User, revision: number): void {
    this.#flush(); // entries received before this write happened before it
    if (revision <= (this.#revisions.get(key) ?? 0)) return;
    this.#revisions.set(key, revision);
    this.#registry.adopt([[name, user]]);
  }

  #adoptOwnHost(host: string, revision: number): void {
    this.#flush();
    if (revision <= (this.#revisions.get(HOST_KEY) ?? 0)) return;
    this.#revisions.set(HOST_KEY, revision);
    this.#registry.adopt([], host);
  }
}
