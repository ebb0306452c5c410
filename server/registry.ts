// Users, tokens and the host of a room. Every change is written to the state
// file before the caller is answered, so a broker restart never brings a
// revoked token back and never forgets a kick or the host.
//
// A kicked name is a flag on the user, never a value in the token space: no
// string can authenticate as a kicked user.
//
// Names are keys in a Map under nameKey (lower case): any string is a safe
// key (`__proto__`, `constructor`), and `Alice` and `alice` are one user.
// Each user keeps the spelling they first joined with; every method takes a
// name in any case and answers with that spelling.
//
// In a shared room (issue 16) the users and the host live in NATS
// (server/nats/registry-kv.ts, through `share`): a change is decided against
// the shared record and written there first (compare-and-set), and only then
// adopted here; changes made on other machines arrive through `adopt`. This
// registry is then the local cache every request authenticates against, and
// the state file its mirror (poll and watch read it). Without NATS nothing
// of that runs: every change is synchronous, as before.
import { randomUUID } from 'node:crypto';
import { roomError } from '../shared/errors.ts';
import { BROKER_USER, checkUsername, isBrokerName, nameKey } from '../shared/names.ts';
import type { RoomState, UserRecord } from '../shared/room-state.ts';
import { andThen, type MaybePromise } from './maybe-async.ts';

export interface User extends UserRecord {
  /** The name as the user first typed it. */
  readonly name: string;
}

/** A shared room's users and host, kept in NATS (server/nats/registry-kv.ts). */
export interface SharedUsers {
  /**
   * Changes the record under `key` (a nameKey): `next` gets the shared
   * record (null when there is none) and returns the one to store, null to
   * leave it, or throws to refuse. Stored with compare-and-set (decided again
   * after a lost race), then adopted here; resolves with the record.
   */
  change(key: string, next: (current: User | null) => User | null): Promise<User | null>;
  /** Makes `name` the host unless the room has one already (anywhere); adopts the host here. */
  claimHost(name: string): Promise<void>;
}

/** A user whose token stopped working through a change made on another machine. */
export interface Revocation {
  readonly name: string;
  /** Kicked (not only revoked): their name is blocked until /reauth. */
  readonly kicked: boolean;
}

type Users = ReadonlyMap<string, User>;

/** Token → user name for every live token (authentication is a lookup, not a scan). */
function tokenIndex(users: Users): Map<string, string> {
  const index = new Map<string, string>();
  for (const user of users.values()) if (user.token != null) index.set(user.token, user.name);
  return index;
}

function usersOf(state: RoomState): Map<string, User> {
  const users = new Map<string, User>();
  for (const [name, record] of Object.entries(state.users)) {
    // A state file from before names were case-insensitive may hold two spellings: the first one stays.
    if (!users.has(nameKey(name))) users.set(nameKey(name), { ...record, name });
  }
  return users;
}

/** What a join of `name` stores, given the record the name has now; refused for a kicked name or a live token. */
function joining(record: User | null, name: string, now: Date): { user: User; token: string } {
  const shown = record?.name ?? name;
  if (record?.kicked) throw roomError('user_kicked', { name: shown });
  if (record?.token != null) {
    throw shown === name ? roomError('name_taken', { name }) : roomError('name_taken.other_case', { name, shown });
  }
  const token = randomUUID();
  return { user: { name: shown, token, kicked: false, joined: record?.joined ?? now.toISOString() }, token };
}

export class Registry {
  #users: Users;
  #byToken: Map<string, string>;
  #host: string | null;
  /** The state as read at start: fields this class does not manage (added by others) are written back unchanged. */
  readonly #base: RoomState;
  readonly #save: (state: RoomState) => void;
  #shared: SharedUsers | null = null;

  constructor(state: RoomState, save: (state: RoomState) => void) {
    this.#users = usersOf(state);
    this.#byToken = tokenIndex(this.#users);
    this.#host = state.host === null ? null : (this.#users.get(nameKey(state.host))?.name ?? state.host);
    this.#base = state;
    this.#save = save;
  }

  /** Keeps the users in a shared room's NATS from now on (null: local only again). */
  share(shared: SharedUsers | null): void {
    this.#shared = shared;
  }

  /** Every user's record, as they spell their name (what a shared room seeds NATS with). */
  get users(): User[] {
    return [...this.#users.values()];
  }

  get host(): string | null {
    return this.#host;
  }

  get chatPath(): string {
    return this.#base.chat;
  }

  /** Every name that ever joined (kicked ones included), as each user spells it. */
  get names(): string[] {
    return [...this.#users.values()].map((user) => user.name);
  }

  /** The joined user `name` (in any case) is, as they spell it; null if nobody joined under it. */
  resolve(name: string): string | null {
    return this.#users.get(nameKey(name))?.name ?? null;
  }

  has(name: string): boolean {
    return this.#users.has(nameKey(name));
  }

  isKicked(name: string): boolean {
    return this.#users.get(nameKey(name))?.kicked === true;
  }

  userFor(token: string): string | null {
    return token === '' ? null : (this.#byToken.get(token) ?? null);
  }

  /**
   * Issues a token for `name`. The first name to join a fresh room becomes
   * its host. A name holding a live token is taken (in any case); a kicked
   * name is blocked.
   */
  join(name: string, now: Date): MaybePromise<string> {
    checkUsername(name);
    if (isBrokerName(name)) throw roomError('name_taken.reserved', { name: BROKER_USER });
    const key = nameKey(name);
    const shared = this.#shared;
    if (shared === null) {
      const { user, token } = joining(this.#users.get(key) ?? null, name, now);
      this.#commit((users) => users.set(key, user), user.name);
      return token;
    }
    let token = '';
    const stored = shared.change(key, (current) => {
      const join = joining(current, name, now);
      token = join.token;
      return join.user;
    });
    // The first name to join anywhere is host everywhere: the host key is created once (server/nats/registry-kv.ts).
    return stored.then(async (user) => {
      if (this.#host === null && user !== null) await shared.claimHost(user.name);
      return token;
    });
  }

  /** Revokes the user's token and blocks the name until /reauth. */
  kick(name: string): MaybePromise<void> {
    return this.#change(name, (user) => ({ ...user, token: null, kicked: true }));
  }

  /** Lifts a kick: the name may join again and gets a new token then. */
  reauth(name: string): MaybePromise<void> {
    return this.#change(name, (user) => ({ ...user, token: null, kicked: false }));
  }

  /** Revokes every token; the host stays host by name. */
  clearTokens(): MaybePromise<void> {
    const shared = this.#shared;
    if (shared === null) {
      this.#commit((users) => {
        for (const [key, user] of users) users.set(key, { ...user, token: null });
      });
      return;
    }
    // One write per user holding a token (NATS has no transaction over keys); acknowledged once all are stored.
    const holders = [...this.#users.keys()];
    const revoke = (current: User | null): User | null =>
      current === null || current.token === null ? null : { ...current, token: null };
    return Promise.all(holders.map((key) => shared.change(key, revoke))).then(() => {});
  }

  /**
   * Takes records (key: a nameKey; null: gone) and the host from the shared
   * state, changed elsewhere; saves the mirror once. Answers the users whose
   * token stopped working, so their sessions here can be ended.
   */
  adopt(records: ReadonlyArray<readonly [key: string, user: User | null]>, host?: string): Revocation[] {
    const next = new Map(this.#users);
    const revoked: Revocation[] = [];
    for (const [key, user] of records) {
      const before = next.get(key);
      if (user === null) next.delete(key);
      else next.set(key, user);
      const kicked = user?.kicked === true && before?.kicked !== true;
      if (before !== undefined && (kicked || (before.token !== null && user?.token == null)))
        revoked.push({ name: before.name, kicked });
    }
    this.#adopt(next, host ?? this.#host);
    return revoked;
  }

  /** Records that the host stopped the room (/exit): `room send` then does not start it again. */
  markExited(): void {
    this.#save({ ...this.#stateOf(this.#users, this.#host), stopped: 'exit' });
  }

  #mustHave(name: string): User {
    const user = this.#users.get(nameKey(name));
    if (user === undefined) throw roomError('unknown_user', { name });
    return user;
  }

  /** Changes one user's record: here at once, or in the shared state first. */
  #change(name: string, next: (user: User) => User): MaybePromise<void> {
    const user = this.#mustHave(name);
    const key = nameKey(name);
    if (this.#shared === null) {
      this.#commit((users) => users.set(key, next(user)));
      return;
    }
    return andThen(
      this.#shared.change(key, (current) => {
        if (current === null) throw roomError('unknown_user', { name });
        return next(current);
      }),
      () => {},
    );
  }

  /** Applies a change to a copy and adopts it only once it is saved. `host` becomes host if there is none. */
  #commit(change: (users: Map<string, User>) => void, host?: string): void {
    const next = new Map(this.#users);
    change(next);
    this.#adopt(next, this.#host ?? host ?? null);
  }

  /** Saves, then adopts: a failed write changes nothing. */
  #adopt(next: Map<string, User>, host: string | null): void {
    this.#save(this.#stateOf(next, host));
    this.#users = next;
    this.#byToken = tokenIndex(next);
    this.#host = host;
  }

  #stateOf(users: Users, host: string | null): RoomState {
    // A null-prototype object: a user named `__proto__` is an own key like any other.
    const records: Record<string, UserRecord> = Object.create(null);
    for (const { name, token, kicked, joined } of users.values()) records[name] = { token, kicked, joined };
    const { stopped: _stopped, ...base } = this.#base;
    return { ...base, version: 1, host, users: records };
  }
}
