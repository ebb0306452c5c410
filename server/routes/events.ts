// GET /events: a live session as Server-Sent Events.
import type { FastifyInstance } from 'fastify';
import { roomError } from '../../shared/errors.ts';
import type { Broker } from '../broker.ts';
import { bearer, errorResponses, requestUser } from './schema.ts';

export function eventRoutes(room: Broker) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { n?: number; epoch?: string; after?: number } }>(
      '/events',
      {
        schema: {
          operationId: 'openStream',
          tags: ['events'],
          summary: 'Open a live session (Server-Sent Events)',
          description:
            "Sends the visible history (the last `n` events, or all), then the caller's own join (broadcast to everyone), " +
            'then every new event live. Each message is `id: <seq>` and `data: <event JSON>`; comments keep idle streams alive. ' +
            'Reconnecting with `Last-Event-ID` resumes right after that event. Closing the stream broadcasts a leave. ' +
            'The frames are typed by StreamFrame. A stream the broker ends on purpose ends with `event: close` (StreamClose): ' +
            'close the connection and do not reconnect (unless its reason is `shutdown`); a standard EventSource would ' +
            'otherwise reconnect once, into a 401. ' +
            "When the host empties the history (/clear), open streams get `event: clear` (StreamClear) before the clear's notice, " +
            'and so does a stream resumed from before it: drop what you hold of the old history. ' +
            'Every stream starts with `event: epoch` (a StreamEpoch payload) naming the history its seqs belong to; a resume from another epoch ' +
            '(given as `epoch`), or with a Last-Event-ID past the end of the history, gets `event: clear` and the whole visible history. ' +
            'In a room shared between machines, `event: nats` (StreamNats) comes first and whenever this broker loses or regains ' +
            "the room's NATS server: while `unreachable`, writes are refused (nats_unreachable). " +
            '`HEAD /events` checks the token and answers the headers without opening a session.',
          security: bearer,
          querystring: {
            type: 'object',
            properties: {
              n: { type: 'integer', minimum: 0, description: 'how many history events to replay (default: all)' },
              after: {
                type: 'integer',
                minimum: 0,
                description:
                  'resume after this seq, as Last-Event-ID does (for clients that cannot set that header; the header wins)',
              },
              epoch: {
                type: 'string',
                maxLength: 64,
                description:
                  'with Last-Event-ID: the epoch that seq belongs to (from the `event: epoch` frame); another epoch replays from the start after `event: clear`',
              },
            },
          },
          headers: {
            type: 'object',
            properties: {
              'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$', description: 'resume after this seq' },
            },
          },
          response: {
            200: {
              description: 'an event stream: one StreamFrame per SSE message',
              content: { 'text/event-stream': { schema: { $ref: 'StreamFrame#' } } },
            },
            ...errorResponses(400, 401, 503),
          },
        },
      },
      (request, reply) => {
        const user = requestUser(room, request);
        // HEAD (Fastify's automatic HEAD route) answers the headers only: no session, no join.
        if (request.method === 'HEAD') return reply.code(200).type('text/event-stream').send('');
        const header = request.headers['last-event-id'];
        const lastEventId = typeof header === 'string' && header !== '' ? Number(header) : request.query.after;
        if (room.closing) throw roomError('room_closing');
        reply.hijack();
        room.openStream(user, reply.raw, { n: request.query.n, lastEventId, epoch: request.query.epoch });
      },
    );
  };
}
