// POST /messages (send one event) and GET /messages (read the history).
import type { FastifyInstance } from 'fastify';
import { type Inbound, MAX_BODY_BYTES } from '../../shared/api.ts';
import { roomError } from '../../shared/errors.ts';
import type { Broker } from '../broker.ts';
import { CHANNEL_PATH, CHANNEL_PROTOCOL } from '../channel.ts';
import { sendError } from '../http-errors.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../idempotency.ts';
import type { Sends } from '../sends.ts';
import { earlierResponsesSent } from './pipelining.ts';
import { bearer, errorResponses, requestUser } from './schema.ts';

/** How positions work, for the API description (README "Positions" says the same). */
const POSITIONS =
  'A position is a seq (only digits, e.g. `42`: the event with that seq, or the place it would have), a full event id, ' +
  'or a unique prefix of one (at least 4 characters, not only digits; the UI shows 4). Ids never change; seqs grow by one per event.';

const MAX_WAIT_SECONDS = 60;

type MessagesQuery = {
  since?: string;
  after?: string;
  before?: string;
  limit: number;
  user?: string;
  type?: string;
  mentions?: 'me';
  wait?: number;
};

const MESSAGES_QUERY_KEYS = ['since', 'after', 'before', 'limit', 'user', 'type', 'mentions', 'wait'];

/** Unknown query parameters are a 400: a misspelt filter must not silently return everything. */
function refuseUnknown(query: Record<string, unknown> | undefined, known: readonly string[]): void {
  const unknown = Object.keys(query ?? {}).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw known.length === 0
      ? roomError('usage.no_query_parameters', { names: unknown.join(', ') })
      : roomError(unknown.length > 1 ? 'usage.unknown_query_parameters' : 'usage.unknown_query_parameter', {
          names: unknown.join(', '),
          known: known.join(', '),
        });
}

export function messageRoutes(room: Broker, sends: Sends) {
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
            ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 503, 507),
          },
        },
      },
      // Not async: the reply is sent from the group commit's callback (a
      // throw here and `fail` both end in the error handler, as from an async
      // handler), with no promise chain per message.
      (request, reply) => {
        const user = requestUser(room, request);
        const body = request.body;
        if (body === undefined || body === null) throw roomError('invalid_event.no_body');
        const inbound: Inbound = typeof body === 'string' ? { type: 'message', content: body } : body;
        sends.send(
          user,
          inbound,
          request.headers['idempotency-key'],
          (stored) => void reply.code(stored.status).type('application/json; charset=utf-8').send(stored.body),
          (error) => void reply.send(error),
        );
      },
    );

    app.get<{ Querystring: MessagesQuery }>(
      '/messages',
      {
        schema: {
          operationId: 'listMessages',
          tags: ['messages'],
          summary: 'Read visible history events, a page at a time',
          description:
            'A page of the visible history, oldest first, as a JSON array. ' +
            'With `after` (or its older name `since`), the first `limit` matching events after that position; with `before`, the last `limit` before it; ' +
            'with both, the events between; with neither, the newest `limit`. ' +
            `Positions: ${POSITIONS} ` +
            '`Has-More: true` says more matching events lie beyond the page in the direction it was read (forward with `after`, backward otherwise), ' +
            'and then `Link: <…>; rel="next"` is the URL of the next page (`after=` the last id, or `before=` the first). ' +
            'With `wait`, an empty page is held until a matching event arrives or `wait` seconds pass (long-poll). ' +
            'Unknown query parameters are refused (400). Touches no cursor.',
          security: bearer,
          querystring: {
            type: 'object',
            properties: {
              since: { type: 'string', description: 'the older name of `after` (an event id)' },
              after: {
                type: 'string',
                description: 'events after this position (a seq, an event id, or an id prefix)',
              },
              before: {
                type: 'string',
                description: 'events before this position (a seq, an event id, or an id prefix)',
              },
              limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
              user: { type: 'string', description: 'only events by this user' },
              type: {
                type: 'string',
                enum: ['join', 'leave', 'message', 'reply', 'command', 'system', 'dm'],
                description: 'only events of this type',
              },
              mentions: { const: 'me', description: 'only events that name you (`@you`) or are DMs to you' },
              wait: {
                type: 'integer',
                minimum: 0,
                maximum: MAX_WAIT_SECONDS,
                description: 'long-poll: hold an empty page up to this many seconds for a matching event',
              },
            },
          },
          response: {
            200: {
              description: 'a page of events, oldest first',
              type: 'array',
              items: { $ref: 'Event#' },
              headers: {
                'has-more': {
                  type: 'string',
                  enum: ['true', 'false'],
                  description: 'more matching events lie beyond this page, in the direction it was read',
                },
                link: {
                  type: 'string',
                  description: 'with Has-More: true, `</messages?…>; rel="next"`: the URL of the next page',
                },
              },
            },
            ...errorResponses(400, 401, 404),
          },
        },
      },
      async (request, reply) => {
        const user = requestUser(room, request);
        await earlierResponsesSent(request.raw.socket, reply.raw);
        const query = request.query;
        refuseUnknown(query, MESSAGES_QUERY_KEYS);
        if (query.since !== undefined && query.after !== undefined) throw roomError('usage.after_and_since');
        const page = await room.page(
          user,
          {
            after: query.after ?? query.since,
            before: query.before,
            limit: query.limit,
            user: query.user,
            type: query.type,
            mentionsMe: query.mentions === 'me',
          },
          (query.wait ?? 0) * 1000,
        );
        void reply.header('has-more', String(page.hasMore));
        if (page.next !== undefined) {
          const next = new URLSearchParams();
          for (const [key, value] of Object.entries(query)) {
            if (value !== undefined && key !== 'since' && key !== 'after' && key !== 'before')
              next.set(key, String(value));
          }
          next.set(page.direction === 'forward' ? 'after' : 'before', page.next);
          void reply.header('link', `</messages?${next}>; rel="next"`);
        }
        // The stored lines as they are (each is an event's JSON): parsing them
        // was needed to filter, serializing them again is not. Sent as a
        // string (a Buffer body is written apart from the head, and Node
        // could put a pipelined request's `100 Continue` between the two).
        void reply.type('application/json; charset=utf-8').serializer(String);
        return `[${page.lines.join(',')}]\n`;
      },
    );

    app.get(
      CHANNEL_PATH,
      {
        schema: {
          operationId: 'openChannel',
          tags: ['messages'],
          summary: 'Send many events over one connection (JSON lines)',
          description:
            `With \`Connection: Upgrade\` and \`Upgrade: ${CHANNEL_PROTOCOL}\`, the connection switches (101) to JSON lines both ways. ` +
            'Each line sent is one inbound event, as a POST /messages JSON body, and may add `idempotency_key` ' +
            '(the Idempotency-Key header: a retry of that line, on the channel or as a POST with that header, answers the original). ' +
            'Each line received answers one line sent, in the order sent, with what that POST would have answered: ' +
            'the stored event (the history line, once it is on disk), a private notice (`type: system` with no `seq`), or an error `{code, message}`. ' +
            'Blank lines are skipped; the end of the sending side ends its last line. Every line is checked against the token given with the upgrade: once it is revoked, a line ' +
            `gets invalid_token and the channel closes. A line over ${MAX_BODY_BYTES} bytes, or one that takes longer than a request may to arrive, is refused (body_too_large, request_timeout) and the channel closed. ` +
            'When the client ends its side, the broker answers what it sent, then ends too; a stopping broker answers what it ' +
            'accepted, then ends the channel. Without the upgrade: 426. For clients that send much: one request per message ' +
            'costs the broker several times the work of one line here.',
          security: bearer,
          response: {
            101: { description: `switched to ${CHANNEL_PROTOCOL}: JSON lines both ways` },
            ...errorResponses(400, 401, 426, 503),
          },
        },
      },
      (request, reply) => {
        requestUser(room, request);
        refuseUnknown(request.query as Record<string, unknown>, []);
        // RFC 9110: a 426 names the protocol, and Connection names the Upgrade header (and says
        // close when the connection ends here: an HTTP/1.0 request, or one that asked for it).
        const connection = reply.raw.shouldKeepAlive ? 'Upgrade' : 'Upgrade, close';
        return sendError(reply, roomError('upgrade_required'), { upgrade: CHANNEL_PROTOCOL, connection });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/messages/:id',
      {
        schema: {
          operationId: 'getMessage',
          tags: ['messages'],
          summary: 'Read one event',
          description: `The event with this id, or the one event whose id starts with this prefix (at least 4 characters), if you may see it. ${POSITIONS}`,
          security: bearer,
          params: { type: 'object', properties: { id: { type: 'string', minLength: 4, maxLength: 36 } } },
          response: { 200: { $ref: 'Event#' }, ...errorResponses(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const user = requestUser(room, request);
        refuseUnknown(request.query as Record<string, unknown>, []);
        await earlierResponsesSent(request.raw.socket, reply.raw);
        return room.queries.resolve(request.params.id, user);
      },
    );
  };
}
