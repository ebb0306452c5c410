// POST /join: a username in, a token out.
import type { FastifyInstance } from 'fastify';
import type { JoinRequest } from '../../shared/api.ts';
import type { Broker } from '../broker.ts';
import { errorResponses } from './schema.ts';

export function joinRoutes(room: Broker) {
  return async (app: FastifyInstance) => {
    app.post<{ Body: JoinRequest }>(
      '/join',
      {
        schema: {
          operationId: 'join',
          tags: ['users'],
          summary: 'Register a username and get its token',
          description:
            'The first user to join a fresh room becomes its host. 409 when the name holds a live token; 403 when the host kicked it.',
          security: [],
          body: { $ref: 'JoinRequest#' },
          response: { 201: { $ref: 'TokenResponse#' }, ...errorResponses(400, 403, 409, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const token = await room.join(request.body.username);
        return reply.code(201).send(token);
      },
    );
  };
}
