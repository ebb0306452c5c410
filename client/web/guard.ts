// What the gateway refuses before looking at a request's path. The gateway
// listens on 127.0.0.1, but any web page the user visits can make the
// browser send requests there:
// - DNS rebinding: a page on evil.example re-points its name to 127.0.0.1
//   and reads the answers as same-origin. Its requests carry
//   `Host: evil.example:<port>`, so only our own `127.0.0.1:<port>` passes.
// - Cross-site requests (a form post, an <img>): they carry another Origin,
//   or none on a navigation. No cookie exists to ride along, and every API
//   call needs a Bearer token the other page does not have; refusing a
//   foreign Origin outright is a second lock.
import type { IncomingHttpHeaders } from 'node:http';
import { type RoomError, roomError } from '../../shared/errors.ts';

export function refusal(headers: IncomingHttpHeaders, origin: string): RoomError | undefined {
  const host = headers.host;
  if (host !== new URL(origin).host)
    return roomError('permission_denied.wrong_host', {
      host: JSON.stringify(host ?? ''),
      expected: new URL(origin).host,
    });
  const from = headers.origin;
  if (from !== undefined && from !== origin)
    return roomError('permission_denied.wrong_origin', { origin: JSON.stringify(from) });
  return undefined;
}
