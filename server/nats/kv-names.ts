// Names of a shared room's key-value buckets and keys (issue 16). Room ids
// and usernames use `[A-Za-z0-9._-]` (shared/names.ts), while a bucket name
// takes only `[A-Za-z0-9_-]` and a key's `.` separates subject tokens (a
// name like `a..b` or `x.` would be an invalid key). So both are escaped
// the same way, one to one: letters, digits and `-` stay, every other
// character becomes `_` and its two hex digits (`.` → `_2e`, `_` → `_5f`).
// No two names share an escape: a `_` in the output always starts one.
//
// A room `my.room` keeps:
// - `room_my_2eroom_state`: users (`user.<name>`, lower-cased: names are
//   unique regardless of case), the host (`host`) and the claim table
//   (`claims`); no TTL, one value per key.
// - `room_my_2eroom_presence`: one key per broker (`broker.<id>`), each
//   broker's users, refreshed by it; the bucket's max_age drops the keys of
//   a broker that stopped refreshing (nats-server 2.9 has no per-key TTL).

/** `name` with every character outside `[A-Za-z0-9-]` escaped as `_` and two hex digits. */
export function escapeName(name: string): string {
  return name.replace(/[^A-Za-z0-9-]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((byte) => `_${byte.toString(16).padStart(2, '0')}`).join(''),
  );
}

export const stateBucket = (room: string): string => `room_${escapeName(room)}_state`;
export const presenceBucket = (room: string): string => `room_${escapeName(room)}_presence`;

export const HOST_KEY = 'host';
export const CLAIMS_KEY = 'claims';
export const USER_PREFIX = 'user.';
export const BROKER_PREFIX = 'broker.';

/** The key of a user's record: their name in lower case (shared/names.ts nameKey), escaped. */
export const userKey = (nameKey: string): string => `${USER_PREFIX}${escapeName(nameKey)}`;
export const brokerKey = (brokerId: string): string => `${BROKER_PREFIX}${escapeName(brokerId)}`;
