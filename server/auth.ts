// Authentication: a bearer token to the user it belongs to (a map lookup in
// the registry: nothing on the request path scans users).
import { RoomError } from '../shared/errors.ts';
import type { Registry } from './registry.ts';

/** The user a bearer token belongs to; missing_token or invalid_token otherwise. */
export function authenticate(registry: Registry, token: string | undefined): string {
  if (token === undefined || token === '')
    throw new RoomError(
      'missing_token',
      'missing token: send "Authorization: Bearer <token>" (get one with room join)',
    );
  const user = registry.userFor(token);
  if (user === null)
    throw new RoomError('invalid_token', 'invalid or revoked token: run room join again for a new one');
  return user;
}
