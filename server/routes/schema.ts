// Pieces of route schemas shared by the routes: auth and error responses.
import type { FastifyRequest } from 'fastify';
import type { Room } from '../room.ts';

export const bearer = [{ bearer: [] }];

/** Error responses, documented with their shared shape. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((status) => [status, { description: 'error', $ref: 'ErrorResponse#' }]));
}

/** The user behind the request's `Authorization: Bearer <token>`. */
export function requestUser(room: Room, request: FastifyRequest): string {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '');
  return room.authenticate(match?.[1]);
}
