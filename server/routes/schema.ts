// Pieces of route schemas shared by the routes: auth and error responses.
import type { FastifyRequest } from 'fastify';
import type { Broker } from '../broker.ts';

export const bearer = [{ bearer: [] }];

const ERROR_MEANINGS: Record<number, string> = {
  400: 'bad input (malformed JSON, unknown type, missing field, bad command usage)',
  401: 'missing, unknown or revoked token',
  403: 'permission denied (host-only command), or the name was kicked',
  404: 'unknown user or event id, or no such claim of yours to release',
  409: 'the name is taken, or someone else holds a claim that overlaps yours',
  413: 'content over 64 KiB, or body too large',
  415: 'unsupported content type',
  503: 'the broker is shutting down',
};

/** Error responses, documented with their shared shape `{code, message}`. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: ERROR_MEANINGS[status] ?? 'error', $ref: 'ErrorResponse#' }]),
  );
}

/** The user behind the request's `Authorization: Bearer <token>`. */
export function requestUser(room: Broker, request: FastifyRequest): string {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '');
  return room.authenticate(match?.[1]);
}
