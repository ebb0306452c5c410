// Authentication: a bearer token to the user it belongs to (a map lookup in
// the registry: nothing on the request path scans users).
import { roomError } from '../shared/errors.ts';
import type { Registry } from './registry.ts';

/** The user a bearer token belongs to; missing_token or invalid_token otherwise. */
export function authenticate(registry: Registry, token: string | undefined): string {
  if (token === undefined || token === '') throw roomError('missing_token');
  const user = registry.userFor(token);
  if (user === null) throw roomError('invalid_token');
  return user;
}
