// POST /messages (send one event) and GET /messages (read the history).
import type { FastifyInstance } from 'fastify';
import type { Inbound } from '../../shared/api.ts';
import type { Room } from '../room.ts';
import { bearer, errorResponses, requestUser } from './schema.ts';

export function messageRoutes(room: Room) {
  return async (app: FastifyInstance) => {
    app.post<{ Body: Inbound | string }>(
      '/messages',
      {
        schema: {
          summary: 'Send a message, reply, command or DM',
          description:
            'The body is one inbound event, exactly as agent mode reads it from stdin; a text/plain body is a plain message. ' +
            'A stored event answers 201 with the broadcast record, the same JSON that went into the history. ' +
            'A private answer (/who, /help) answers 200 with a notice that is not stored.',
          security: bearer,
          body: {
            content: {
              'application/json': { schema: { $ref: 'Inbound#' } },
              'text/plain': { schema: { type: 'string', description: 'a plain message' } },
            },
          },
          response: {
            201: { description: 'the broadcast record', $ref: 'Event#' },
            200: { description: 'a private answer', $ref: 'Notice#' },
            ...errorResponses(400, 401, 403, 404, 409, 413, 415),
          },
        },
      },
      async (request, reply) => {
        const user = requestUser(room, request);
        const body = request.body;
        const inbound: Inbound = typeof body === 'string' ? { type: 'message', content: body } : body;
        const result = room.post(user, inbound);
        return result.stored ? reply.code(201).send(result.event) : reply.code(200).send(result.notice);
      },
    );

    app.get<{ Querystring: { since?: string; limit: number } }>(
      '/messages',
      {
        schema: {
          summary: 'Read visible history events',
          description:
            'With `since`, the first `limit` visible events after that id; without it, the last `limit`. Touches no cursor.',
          security: bearer,
          querystring: {
            type: 'object',
            properties: {
              since: { type: 'string', description: 'an event id' },
              limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
            },
          },
          response: { 200: { type: 'array', items: { $ref: 'Event#' } }, ...errorResponses(400, 401, 404) },
        },
      },
      (request) => {
        const user = requestUser(room, request);
        return room.messages(user, request.query.since, request.query.limit);
      },
    );
  };
}
