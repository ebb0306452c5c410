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
          operationId: 'health',
          tags: ['status'],
          summary: 'Is the broker up? (no auth)',
          description:
            "Answers as long as the broker runs, with the room's id and the broker's version, and for a room shared through NATS whether this broker reaches its NATS server now. Needs no token.",
          security: [],
          response: { 200: { $ref: 'Health#' }, ...errorResponses(503) },
        },
      },
      () => {
        const writable = room.room.sharedWritable;
        const nats =
          writable === undefined ? {} : { nats: writable ? ('connected' as const) : ('unreachable' as const) };
        return { ok: true as const, room: room.id, version, epoch: room.epoch, ...nats };
      },
    );

    app.get(
      '/users',
      {
        schema: {
          operationId: 'listUsers',
          tags: ['users'],
          summary: 'Who is online, with status; and who used one-shot commands lately',
          description:
            'The caller, the host, the users with a live session (and their status), and the users of one-shot commands, most recent first.',
          security: bearer,
          response: { 200: { $ref: 'Users#' }, ...errorResponses(401, 503) },
        },
      },
      (request) => {
        return room.users(requestUser(room, request));
      },
    );
  };
}
