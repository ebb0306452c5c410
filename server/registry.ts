// Users, tokens and the host of a room. Every change is written to the state
// file before the caller is answered, so a broker restart never brings a
// revoked token back and never forgets a kick or the host.
//
// A kicked name is a flag on the user, never a value in the token space: no
// string can authenticate as a kicked user.
import { randomUUID } from 'node:crypto';
import { RoomError } from '../shared/errors.ts';
import { BROKER_USER, checkUsername } from '../shared/names.ts';
import type { RoomState } from '../shared/room-state.ts';

/** Token → user for every live token of `state` (authentication is a lookup, not a scan). */
function tokenIndex(state: RoomState): Map<string, string> {
  const index = new Map<string, string>();
  for (const [name, record] of Object.entries(state.users)) if (record.token != null) index.set(record.token, name);
  return index;
}

export class Registry {
  #state: RoomState;
  #byToken: Map<string, string>;
  readonly #save: (state: RoomState) => void;

  constructor(state: RoomState, save: (state: RoomState) => void) {
    this.#state = state;
    this.#byToken = tokenIndex(state);
    this.#save = save;
  }

  get host(): string | null {
    return this.#state.host;
  }

  get chatPath(): string {
    return this.#state.chat;
  }

  /** Every name that ever joined (kicked ones included). */
  get names(): string[] {
    return Object.keys(this.#state.users);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.#state.users, name);
  }

  isKicked(name: string): boolean {
    return this.#state.users[name]?.kicked === true;
  }

  userFor(token: string): string | null {
    return token === '' ? null : (this.#byToken.get(token) ?? null);
  }

  /**
   * Issues a token for `name`. The first name to join a fresh room becomes
   * its host. A name holding a live token is taken; a kicked name is blocked.
   */
  join(name: string, now: Date): string {
    checkUsername(name);
    if (name === BROKER_USER) throw new RoomError('name_taken', `the name "${BROKER_USER}" is reserved for the broker`);
    const record = this.#state.users[name];
    if (record?.kicked)
      throw new RoomError('user_kicked', `${name} was kicked from this room; the host can /reauth ${name}`);
    if (record?.token != null) throw new RoomError('name_taken', `the name ${name} is already taken in this room`);
    const token = randomUUID();
    this.#commit((state) => {
      state.users[name] = { token, kicked: false, joined: record?.joined ?? now.toISOString() };
      state.host ??= name;
    });
    return token;
  }

  /** Revokes the user's token and blocks the name until /reauth. */
  kick(name: string): void {
    this.#mustHave(name);
    this.#commit((state) => {
      state.users[name] = { ...state.users[name]!, token: null, kicked: true };
    });
  }

  /** Lifts a kick: the name may join again and gets a new token then. */
  reauth(name: string): void {
    this.#mustHave(name);
    this.#commit((state) => {
      state.users[name] = { ...state.users[name]!, token: null, kicked: false };
    });
  }

  /** Revokes every token; the host stays host by name. */
  clearTokens(): void {
    this.#commit((state) => {
      for (const record of Object.values(state.users)) record.token = null;
    });
  }

  #mustHave(name: string): void {
    if (!this.has(name)) throw new RoomError('unknown_user', `no user ${name} has joined this room`);
  }

  /** Applies a change to a copy and adopts it only once it is saved. */
  #commit(change: (state: RoomState) => void): void {
    const next = structuredClone(this.#state);
    change(next);
    this.#save(next);
    this.#state = next;
    this.#byToken = tokenIndex(next);
  }
}
