// The broker's HTTP app, kept apart from listening (server/main.ts) so the
// OpenAPI generator can build it without a socket.
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import * as api from '../shared/api.ts';
import { RoomError } from '../shared/errors.ts';
import * as events from '../shared/events.ts';
import { MAX_CONTENT_BYTES } from '../shared/events.ts';
import { eventRoutes } from './routes/events.ts';
import { joinRoutes } from './routes/join.ts';
import { listenRoutes } from './routes/listen.ts';
import { messageRoutes } from './routes/messages.ts';
import { statusRoutes } from './routes/status.ts';
import type { Room } from './room.ts';

/** Request bodies larger than this are refused before parsing (413). */
const BODY_LIMIT = 512 * 1024;

const SHARED_SCHEMAS = [
  events.Name,
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
];

export interface AppOptions {
  readonly room: Room;
  readonly version: string;
}

/** Maps Fastify's own errors (parsing, validation, limits) onto room's error table. */
function toRoomError(error: FastifyError): RoomError {
  if (error instanceof RoomError) return error;
  if (error.validation !== undefined) {
    const unknownType = error.validation.some((v) => v.keyword === 'discriminator');
    if (unknownType) return new RoomError('unknown_type', 'unknown event type: use message, reply, command or dm');
    if (error.validation.some((v) => v.keyword === 'maxLength' || v.keyword === 'maxItems')) {
      return new RoomError(
        'content_too_large',
        `content is too large: at most ${MAX_CONTENT_BYTES} bytes (64 KiB) per message (${error.message})`,
      );
    }
    const part = error.validationContext ?? 'request';
    return new RoomError(part === 'body' ? 'invalid_event' : 'usage', `invalid ${part}: ${error.message}`);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RoomError('invalid_json', `invalid JSON body: ${error.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RoomError('body_too_large', `request body too large (at most ${BODY_LIMIT} bytes)`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RoomError('unsupported_media_type', 'send application/json (an event) or text/plain (a message)');
  }
  if (error.statusCode === 400 && typeof error.message === 'string' && /JSON/.test(error.message)) {
    return new RoomError('invalid_json', `invalid JSON body: ${error.message}`);
  }
  return new RoomError('internal', 'internal error', { cause: error });
}

export async function buildApp({ room, version }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    ajv: { customOptions: { discriminator: true } },
  });
  // Responses are written with JSON.stringify, so an echoed event is
  // byte-for-byte the line that went into the history. Response schemas
  // document the API; they do not reshape output.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

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
      servers: [{ url: 'http://room', description: "any host name; the connection goes to the room's Unix socket" }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'the token from POST /join (or `room join`)' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const roomError = toRoomError(error);
    if (roomError.code === 'internal')
      console.error(`[room] internal error on ${request.method} ${request.url}:`, error);
    void reply.code(roomError.status).send({ code: roomError.code, message: roomError.message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ code: 'not_found', message: `no route ${request.method} ${request.url}` });
  });

  await app.register(statusRoutes(room, version));
  await app.register(joinRoutes(room));
  await app.register(messageRoutes(room));
  await app.register(eventRoutes(room));
  await app.register(listenRoutes(room));
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  return app;
}
