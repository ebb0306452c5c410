// GET /listen: a listening stream, for clients that read the history file
// themselves (room follow, a waiting room watch) but should count as present.
import type { FastifyInstance } from 'fastify';
import { roomError } from '../../shared/errors.ts';
import type { Broker } from '../broker.ts';
import { bearer, errorResponses, requestUser } from './schema.ts';

export function listenRoutes(room: Broker) {
  return async (app: FastifyInstance) => {
    app.get(
      '/listen',
      {
        schema: {
          operationId: 'listen',
          tags: ['events'],
          summary: 'Listen to the room without joining it (Server-Sent Events)',
          description:
            'Like GET /events, but with no history and no join or leave broadcast: every new visible event from now on. ' +
            'While it is open the caller is listed under `listening` by GET /users and /who (unless they also have a live session). ' +
            'It ends with `event: close` (a StreamClose payload) on kick, revocation, /exit and shutdown.',
          security: bearer,
          response: {
            200: { description: 'an event stream', content: { 'text/event-stream': { schema: { $ref: 'Event#' } } } },
            ...errorResponses(401, 503),
          },
        },
      },
      (request, reply) => {
        const user = requestUser(room, request);
        // HEAD (Fastify's automatic HEAD route) answers the headers only: no listener is counted.
        if (request.method === 'HEAD') return reply.code(200).type('text/event-stream').send('');
        if (room.closing) throw roomError('room_closing');
        reply.hijack();
        room.openListener(user, reply.raw);
      },
    );
  };
}
