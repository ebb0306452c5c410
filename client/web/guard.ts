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

export function refusal(headers: IncomingHttpHeaders, origin: string): string | undefined {
  const host = headers.host;
  if (host !== new URL(origin).host)
    return `wrong Host header ${JSON.stringify(host ?? '')}: this gateway answers only to ${new URL(origin).host}`;
  const from = headers.origin;
  if (from !== undefined && from !== origin)
    return `requests from ${JSON.stringify(from)} are refused: this gateway serves only its own page`;
  return undefined;
}
