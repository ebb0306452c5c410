// Room ids and usernames end up in file names under the room directory, so
// they are checked before any path is built: no separators, no leading dot
// (which also rules out `.` and `..`), nothing outside a small safe alphabet.
import { roomError } from './errors.ts';
import { quoted } from './quote.ts';

export const NAME_PATTERN = '^(?!\\.)[A-Za-z0-9._-]{1,64}$';
const NAME_RE = /* @__PURE__ */ new RegExp(NAME_PATTERN);

/** NAME_PATTERN in words, for error messages and prompts. */
export const NAME_RULE = "1-64 letters, digits, '.', '_' or '-', not starting with '.'";

/** The name the broker signs its own `system` events with; nobody may join as it. */
export const BROKER_USER = 'broker';

export function isValidName(name: string): boolean {
  return NAME_RE.test(name);
}

export function checkRoomId(id: string): string {
  if (!isValidName(id)) {
    throw roomError('invalid_name.room_id', { id: quoted(id), rule: NAME_RULE });
  }
  return id;
}

export function checkUsername(name: string): string {
  if (!isValidName(name)) {
    throw roomError('invalid_name.username', { name: quoted(name), rule: NAME_RULE });
  }
  return name;
}

/** `@bob` and `bob` name the same user wherever a username is an argument. */
export function stripAt(name: string): string {
  return name.startsWith('@') ? name.slice(1) : name;
}

/**
 * The key a username is unique under: names are unique regardless of case
 * (`Alice` and `alice` are one user, `Broker` is as reserved as `broker`),
 * while each user's own spelling is kept for display.
 */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** Is `name` the broker's own (in any case)? Nobody may join as it. */
export function isBrokerName(name: string): boolean {
  return nameKey(name) === BROKER_USER;
}
