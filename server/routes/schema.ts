// Pieces of route schemas shared by the routes: auth and error responses.
import type { IncomingHttpHeaders } from 'node:http';
import { ERROR_CODES, ERRORS, roomError } from '../../shared/errors.ts';
import type { Broker } from '../broker.ts';

export const bearer = [{ bearer: [] }];

/** Error responses, documented with their shared shape `{code, message}` and the codes each status carries. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(
    statuses.map((status) => {
      const codes = ERROR_CODES.filter((code) => {
        const spec: { status: number; clientOnly?: true } = ERRORS[code];
        return spec.status === status && spec.clientOnly !== true;
      });
      const description = codes.map((code) => `\`${code}\`: ${ERRORS[code].meaning}`).join('; ');
      return [status, { description, $ref: 'ErrorResponse#' }];
    }),
  );
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of `Authorization: Bearer <token>`, if the request has one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return BEARER.exec(headers.authorization ?? '')?.[1];
}

/** The user behind the request's `Authorization: Bearer <token>`. */
export function requestUser(room: Broker, request: { readonly headers: IncomingHttpHeaders }): string {
  const token = bearerToken(request.headers);
  if (token !== undefined) return room.authenticate(token);
  const header = request.headers.authorization ?? '';
  // Not a bearer token: another scheme is named as such; anything else is a missing token.
  const scheme = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]|$)/.exec(header)?.[1];
  if (scheme !== undefined && scheme.toLowerCase() !== 'bearer') throw roomError('unsupported_auth_scheme', { scheme });
  return room.authenticate(undefined);
}
