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
import { randomUUID } from 'node:crypto';
import { roomError } from '../shared/errors.ts';
import { BROKER_USER, checkUsername, isBrokerName, nameKey } from '../shared/names.ts';
import type { RoomState, UserRecord } from '../shared/room-state.ts';

interface User extends UserRecord {
  /** The name as the user first typed it. */
  readonly name: string;
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

export class Registry {
  #users: Users;
  #byToken: Map<string, string>;
  #host: string | null;
  readonly #chat: string;
  readonly #room: string;
  readonly #save: (state: RoomState) => void;

  constructor(state: RoomState, save: (state: RoomState) => void) {
    this.#users = usersOf(state);
    this.#byToken = tokenIndex(this.#users);
    this.#host = state.host === null ? null : (this.#users.get(nameKey(state.host))?.name ?? state.host);
    this.#chat = state.chat;
    this.#room = state.room;
    this.#save = save;
  }

  get host(): string | null {
    return this.#host;
  }

  get chatPath(): string {
    return this.#chat;
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
  join(name: string, now: Date): string {
    checkUsername(name);
    if (isBrokerName(name)) throw roomError('name_taken.reserved', { name: BROKER_USER });
    const record = this.#users.get(nameKey(name));
    const shown = record?.name ?? name;
    if (record?.kicked) throw roomError('user_kicked', { name: shown });
    if (record?.token != null) {
      throw shown === name ? roomError('name_taken', { name }) : roomError('name_taken.other_case', { name, shown });
    }
    const token = randomUUID();
    this.#commit(
      (users) =>
        users.set(nameKey(name), { name: shown, token, kicked: false, joined: record?.joined ?? now.toISOString() }),
      shown,
    );
    return token;
  }

  /** Revokes the user's token and blocks the name until /reauth. */
  kick(name: string): void {
    const user = this.#mustHave(name);
    this.#commit((users) => users.set(nameKey(name), { ...user, token: null, kicked: true }));
  }

  /** Lifts a kick: the name may join again and gets a new token then. */
  reauth(name: string): void {
    const user = this.#mustHave(name);
    this.#commit((users) => users.set(nameKey(name), { ...user, token: null, kicked: false }));
  }

  /** Revokes every token; the host stays host by name. */
  clearTokens(): void {
    this.#commit((users) => {
      for (const [key, user] of users) users.set(key, { ...user, token: null });
    });
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

  /** Applies a change to a copy and adopts it only once it is saved. `host` becomes host if there is none. */
  #commit(change: (users: Map<string, User>) => void, host?: string): void {
    const next = new Map(this.#users);
    change(next);
    const nextHost = this.#host ?? host ?? null;
    this.#save(this.#stateOf(next, nextHost));
    this.#users = next;
    this.#byToken = tokenIndex(next);
    this.#host = nextHost;
  }

  #stateOf(users: Users, host: string | null): RoomState {
    // A null-prototype object: a user named `__proto__` is an own key like any other.
    const records: Record<string, UserRecord> = Object.create(null);
    for (const { name, token, kicked, joined } of users.values()) records[name] = { token, kicked, joined };
    return { version: 1, room: this.#room, chat: this.#chat, host, users: records };
  }
}
