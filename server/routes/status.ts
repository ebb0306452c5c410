// GET /health (no auth) and GET /users.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../broker.ts';
import { bearer, errorResponses, requestUser } from './schema.ts';

export function statusRoutes(room: Broker, version: string) {
  return async (app: FastifyInstance) => {
    app.get(
      '/health',
      {
        schema: {
          summary: 'Is the broker up? (no auth)',
          response: { 200: { $ref: 'Health#' } },
        },
      },
      () => ({ ok: true, room: room.id, version, epoch: room.epoch }),
    );

    app.get(
      '/users',
      {
        schema: {
          summary: 'Who is online, with status; and who used one-shot commands lately',
          security: bearer,
          response: { 200: { $ref: 'Users#' }, ...errorResponses(401) },
        },
      },
      (request) => {
        return room.users(requestUser(room, request));
      },
    );
  };
}
