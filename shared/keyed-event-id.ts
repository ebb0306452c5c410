// The id the broker gives a keyed message, reply or DM: derived from the
// user and the Idempotency-Key, so the history itself remembers the key
// (server/idempotency.ts). Clients compute it too, to recognise in the stream
// an event they sent whose answer they never got (client/tui/link.ts).
import { hash } from 'node:crypto';

/**
 * The id a keyed message gets: a digest of the user and the key, shaped as a
 * UUID v4 (version and variant bits set) so it is like any other event id.
 */
export function eventIdFor(user: string, key: string): string {
  const bytes = hash('sha256', `room idempotency\0${user}\0${key}`, 'buffer').subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
