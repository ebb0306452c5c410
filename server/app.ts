// The broker's HTTP app, kept apart from listening (server/main.ts) so the
// OpenAPI generator can build it without a socket.
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import * as api from '../shared/api.ts';
import { MAX_BODY_BYTES } from '../shared/api.ts';
import { roomError } from '../shared/errors.ts';
import * as events from '../shared/events.ts';
import { answerClientError, sendError, toRoomError } from './http-errors.ts';
import { openChannel, wantsChannel } from './channel.ts';
import { IdempotencyCache } from './idempotency.ts';
import { decodeUtf8, parseJsonBytes } from './json-body.ts';
import { addDiscriminatorMappings } from './openapi-finish.ts';
import { RouteMethods } from './route-methods.ts';
import { Sends } from './sends.ts';
import { claimRoutes } from './routes/claims.ts';
import { eventRoutes } from './routes/events.ts';
import { joinRoutes } from './routes/join.ts';
import { listenRoutes } from './routes/listen.ts';
import { messageRoutes } from './routes/messages.ts';
import { statusRoutes } from './routes/status.ts';
import type { Broker } from './broker.ts';
import { compilingPool, keptValidators, type ValidatorPool } from './precompiled/route-validators.ts';

const SHARED_SCHEMAS = [
  ...events.EVENT_SCHEMAS,
  events.Event,
  events.Notice,
  api.InMessage,
  api.InReply,
  api.InCommand,
  api.InDm,
  api.Inbound,
  api.JoinRequest,
  api.TokenResponse,
  api.ErrorResponse,
  api.Health,
  api.Users,
  api.StreamClose,
  api.StreamClear,
  api.StreamEpoch,
  api.StreamNats,
  api.EventFrame,
  api.CloseFrame,
  api.ClearFrame,
  api.NatsFrame,
  api.StreamFrame,
];

export interface AppOptions {
  readonly room: Broker;
  readonly version: string;
  /**
   * How long a request (headers and body) may take to arrive before it is
   * cut with a 408 (default 10 s; the broker takes $ROOM_REQUEST_TIMEOUT_MS).
   * It ends once the request is in, so SSE streams are not cut by it.
   */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * Where the route validators come from (server/precompiled/route-validators.ts):
   * the broker passes the code the build generated; by default Ajv compiles them.
   */
  readonly validators?: ValidatorPool;
  /** Check every schema against JSON Schema's meta-schema as it is compiled (the OpenAPI generator does). */
  readonly checkSchemas?: boolean;
  /**
   * The document to serve at GET /openapi.json, as the build generated it
   * (server/openapi.ts, from this app): then @fastify/swagger is not loaded.
   * Absent: swagger makes it from the routes (the generator does so).
   */
  readonly openapi?: unknown;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The `charset` parameter of a Content-Type, lower-cased; undefined when absent. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

// Responses are written with JSON.stringify and a final newline, so an
// echoed event is byte-for-byte the line that went into the history.
// Response schemas document the API; they do not reshape output.
const serialize = (data: unknown) => `${JSON.stringify(data)}\n`;

export async function buildApp({
  room,
  version,
  requestTimeoutMs,
  validators,
  checkSchemas = false,
  openapi,
}: AppOptions): Promise<FastifyInstance> {
  const timeoutMs =
    requestTimeoutMs !== undefined && Number.isFinite(requestTimeoutMs) && requestTimeoutMs > 0
      ? requestTimeoutMs
      : DEFAULT_REQUEST_TIMEOUT_MS;
  const routeParts = keptValidators(validators ?? (await compilingPool()), { checkSchemas });
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    // room_closing is answered by the onRequest hook below, as {code, message}.
    return503OnClosing: false,
    requestTimeout: timeoutMs,
    // Node checks request deadlines every connectionsCheckingInterval (30 s by default).
    // On a Unix socket the Host header names nothing, and Node refuses an
    // HTTP/1.1 request without one with a bare 400 (no body): it is not required.
    http: {
      headersTimeout: timeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, timeoutMs / 4)),
      requireHostHeader: false,
      // Only GET /channel switches protocols; any other Upgrade (h2c, websocket) is served as plain
      // HTTP/1.1, as it was before the channel existed (Node ≥ 24.9; older Nodes refuse it).
      shouldUpgradeCallback: wantsChannel,
    },
    clientErrorHandler: (error, socket) => answerClientError(error, socket, timeoutMs),
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply as FastifyReply, toRoomError(error));
    },
    // The serializer is given as Fastify is created: without one, Fastify
    // loads fast-json-stringify (and an Ajv with it) to make its default.
    schemaController: {
      compilersFactory: {
        buildValidator: routeParts.buildValidator as never,
        buildSerializer: () => () => serialize,
      },
    },
  });
  // Node answers an Expect other than 100-continue with a bare 417 (no body);
  // RFC 9110 lets a server ignore an expectation it does not know, so the
  // request is served as if the header were absent.
  app.server.on('checkExpectation', (request, response) => app.server.emit('request', request, response));
  app.setReplySerializer(serialize);
  const methods = new RouteMethods();
  app.addHook('onRoute', (route) => methods.add(route));

  if (openapi === undefined) await registerSwagger(app, version);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  // A closing room takes nothing more. JSON must be UTF-8 (RFC 8259) and
  // text/plain is decoded as UTF-8: a body in any other charset would be
  // mangled, so it is refused before it is read.
  // A callback hook, not an async one: no promise per request on the hot path.
  app.addHook('onRequest', (request, _reply, done) => {
    if (room.closing) return done(roomError('room_closing'));
    const hasBody =
      request.headers['transfer-encoding'] !== undefined ||
      (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');
    const charset = hasBody ? charsetOf(request.headers['content-type']) : undefined;
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
      return done(roomError('unsupported_media_type'));
    done();
  });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    try {
      done(null, parseJsonBytes(body));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    const text = decodeUtf8(body);
    if (text === undefined) done(roomError('invalid_event.text_not_utf8'), undefined);
    else done(null, text);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const roomErr = toRoomError(error, request.body);
    // A client that hung up mid-body is bad_request, answered into the void, not logged.
    if (roomErr.code === 'internal') console.error(`[room] internal error on ${request.method} ${request.url}:`, error);
    void sendError(reply, roomErr);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    const allow = methods.allowed(request.url);
    if (allow.length > 0) {
      const error = roomError('method_not_allowed', { method: request.method, path, allow: allow.join(', ') });
      void sendError(reply, error, { allow: allow.join(', ') });
      return;
    }
    void sendError(reply, roomError('not_found', { method: request.method, path }));
  });

  await app.register(statusRoutes(room, version));
  await app.register(joinRoutes(room));
  const sends = new Sends(room, new IdempotencyCache());
  await app.register(messageRoutes(room, sends));
  await app.register(eventRoutes(room));
  await app.register(claimRoutes(room));
  await app.register(listenRoutes(room));
  app.get('/openapi.json', { schema: { hide: true } }, () => openapi ?? app.swagger());

  app.addHook('preClose', (done) => {
    for (const channel of room.channels) channel.close();
    done();
  });
  await app.ready();
  // The publish channel (server/channel.ts). Its lines are checked by the validator of a POST
  // /messages JSON body, which Fastify made as it got ready. Node hands an upgrade a net.Socket.
  const validate = routeParts.made({
    schema: undefined,
    method: 'POST',
    url: '/messages',
    httpPart: 'body',
    contentType: 'application/json',
  });
  const channelDeps = { room, sends, validate, lineTimeoutMs: timeoutMs };
  app.server.on('upgrade', (request, socket, head) => openChannel(channelDeps, request, socket as Socket, head));
  return app;
}

/** @fastify/swagger, which documents each route as it is added (so it comes before them all), loaded only when asked for. */
async function registerSwagger(app: FastifyInstance, version: string): Promise<void> {
  const { default: swagger } = await import('@fastify/swagger');
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'room broker API',
        version,
        description:
          "HTTP over the room's Unix socket (`curl --unix-socket /tmp/room-<id>.sock http://room/...`). Events fan out as Server-Sent Events on `GET /events`.",
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: [
        { name: 'status', description: 'is the broker up' },
        { name: 'users', description: 'joining, and who is here' },
        { name: 'messages', description: 'sending events and reading the history' },
        { name: 'events', description: 'the live stream (Server-Sent Events)' },
        { name: 'claims', description: 'who holds which files or topics (leases)' },
      ],
      servers: [{ url: 'http://room', description: "any host name; the connection goes to the room's Unix socket" }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'the token from POST /join (or `room join`)' },
        },
      },
    },
    transformObject: (document) => {
      if (!('openapiObject' in document)) throw new Error('expected an OpenAPI 3 document');
      addDiscriminatorMappings(document.openapiObject as Parameters<typeof addDiscriminatorMappings>[0]);
      return document.openapiObject;
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
}
