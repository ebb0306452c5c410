// POST /messages (send one event) and GET /messages (read the history).
import type { FastifyInstance } from 'fastify';
import { type Inbound, MAX_BODY_BYTES } from '../../shared/api.ts';
import { roomError } from '../../shared/errors.ts';
import {
  eventIdFor,
  fingerprintOf,
  IDEMPOTENCY_KEY_PATTERN,
  type IdempotencyCache,
  type StoredAnswer,
  storedAs,
} from '../idempotency.ts';
import type { Room } from '../room.ts';
import { bearer, errorResponses, requestUser } from './schema.ts';

export function messageRoutes(room: Room, idempotency: IdempotencyCache) {
  /** Posts one inbound event; the answer's body is the JSON line sent (for a 201, the history line). */
  const post = (user: string, inbound: Inbound, id?: string): StoredAnswer => {
    const result = room.post(user, inbound, id);
    return result.stored
      ? { status: 201, body: `${JSON.stringify(result.event)}\n` }
      : { status: 200, body: `${JSON.stringify(result.notice)}\n` };
  };

  /**
   * A keyed post. Its event id comes from the key, so a retry that the
   * broker's memory does not know (it restarted) finds the event in the
   * history and answers that line instead of storing it again.
   */
  const postOnce = (user: string, key: string, inbound: Inbound): StoredAnswer => {
    const id = eventIdFor(user, key);
    const index = room.history.indexOfId(id);
    if (index === undefined) return post(user, inbound, id);
    const [event] = room.history.read(index, index + 1);
    if (event === undefined || !storedAs(event, inbound)) throw roomError('idempotency_key_reused', { key });
    return { status: 201, body: `${room.history.readLines(index, index + 1)[0]}\n` };
  };

  return async (app: FastifyInstance) => {
    app.post<{ Body: Inbound | string | undefined; Headers: { 'idempotency-key'?: string } }>(
      '/messages',
      {
        schema: {
          operationId: 'postMessage',
          tags: ['messages'],
          summary: 'Send a message, reply, command or DM',
          description:
            'The body is one inbound event, exactly as agent mode reads it from stdin; a text/plain body (UTF-8) is a plain message. ' +
            'A stored event answers 201 with the broadcast record, the same JSON line that went into the history. ' +
            'A private answer (/who, /help) answers 200 with a notice that is not stored. ' +
            `Bodies are at most ${MAX_BODY_BYTES} bytes. ` +
            'With an `Idempotency-Key`, a retry of the same request by the same user answers the original status and body ' +
            'and writes nothing; the same key with a different request is a 422 (idempotency_key_reused). The broker ' +
            "remembers each user's last 1000 keys for an hour; a keyed message, reply or DM is also found in the history " +
            'after a broker restart, for as long as it is there. Commands are remembered only until the broker stops.',
          security: bearer,
          headers: {
            type: 'object',
            properties: {
              'idempotency-key': {
                type: 'string',
                pattern: IDEMPOTENCY_KEY_PATTERN,
                description: 'a unique key per message (e.g. a UUID), reused only to retry that message',
              },
            },
          },
          body: {
            content: {
              'application/json': { schema: { $ref: 'Inbound#' } },
              'text/plain': { schema: { type: 'string', description: 'a plain message' } },
            },
          },
          response: {
            201: { description: 'the broadcast record', $ref: 'Event#' },
            200: { description: 'a private answer', $ref: 'Notice#' },
            ...errorResponses(400, 401, 403, 404, 413, 415, 422, 503),
          },
        },
      },
      async (request, reply) => {
        const user = requestUser(room, request);
        const body = request.body;
        if (body === undefined || body === null)
          throw roomError('invalid_event', {
            detail: 'no body: send an event as application/json or a message as text/plain',
          });
        const inbound: Inbound = typeof body === 'string' ? { type: 'message', content: body } : body;
        const key = request.headers['idempotency-key'];
        const answer =
          key === undefined
            ? post(user, inbound)
            : await idempotency.run(user, key, fingerprintOf(inbound), () => postOnce(user, key, inbound));
        return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
      },
    );

    app.get<{ Querystring: { since?: string; limit: number } }>(
      '/messages',
      {
        schema: {
          operationId: 'listMessages',
          tags: ['messages'],
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
          response: {
            200: { description: 'visible events, oldest first', type: 'array', items: { $ref: 'Event#' } },
            ...errorResponses(400, 401, 404),
          },
        },
      },
      (request) => {
        const user = requestUser(room, request);
        return room.messages(user, request.query.since, request.query.limit);
      },
    );
  };
}
