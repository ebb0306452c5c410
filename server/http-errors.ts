// Every failure the broker answers becomes one of room's errors, sent as
// `{code, message}` with a final newline: errors from routes, from Fastify
// (parsing, validation, limits), and malformed HTTP that never reaches
// Fastify (Node's `clientError`: bad request line, bad length or chunking,
// oversized headers, request timeout).
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply } from 'fastify';
import { BODY_FIELDS, JoinRequest, MAX_BODY_BYTES } from '../shared/api.ts';
import { RoomError, roomError } from '../shared/errors.ts';
import { MAX_CONTENT_BYTES } from '../shared/events.ts';

/** The body of every error response: one JSON line. */
export function errorBody(error: RoomError): string {
  return `${JSON.stringify({ code: error.code, message: error.message })}\n`;
}

/** The WWW-Authenticate header of a 401: how to authenticate, and whether the token given was bad. */
function challenge(error: RoomError): string {
  return `Bearer realm="room"${error.code === 'missing_token' ? '' : ', error="invalid_token"'}`;
}

/**
 * Sends a room error as the answer: `{code, message}` and a newline; a 401
 * says how to authenticate (WWW-Authenticate), extra headers (Allow) as given.
 */
export function sendError(reply: FastifyReply, error: RoomError, headers: Record<string, string> = {}): FastifyReply {
  if (error.status === 401) void reply.header('www-authenticate', challenge(error));
  for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
  return reply.code(error.status).type('application/json; charset=utf-8').send(errorBody(error));
}

/** A request the client gave up on while sending it: nobody is left to answer, nothing to log. */
export function isClientHangUp(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return e.code === 'ECONNRESET' || e.code === 'ECONNABORTED' || e.message === 'aborted';
}

/** A field name as an error quotes it: JSON-escaped, and cut short (a name can be as long as the body). */
function quoteField(name: string): string {
  const MAX = 64;
  return name.length > MAX ? `${JSON.stringify(name.slice(0, MAX))}…` : JSON.stringify(name);
}

/** The schema id a validation error comes from (`InMessage` of `InMessage#/required`). */
const schemaOf = (v: { schemaPath: string }) => v.schemaPath.split('#')[0] ?? '';

/**
 * The field a body has that its schema does not, and what the schema is.
 * Ajv stops at the first error, and a missing field is found before an
 * unknown one; but a body missing `content` and holding `contnet` has one
 * misspelt field, and naming it says what to fix (so `given`, the body, is
 * searched for it).
 */
function unknownField(
  validation: NonNullable<FastifyError['validation']>,
  given: unknown,
): { field?: unknown; body?: { readonly what: string; readonly fields: readonly string[] } } {
  const unknown = validation.find((v) => v.keyword === 'additionalProperties');
  if (unknown !== undefined)
    return {
      field: (unknown.params as { additionalProperty?: unknown }).additionalProperty,
      body: BODY_FIELDS.get(schemaOf(unknown)),
    };
  const missing = validation.find((v) => v.keyword === 'required');
  const body = missing === undefined ? undefined : BODY_FIELDS.get(schemaOf(missing));
  if (body === undefined || typeof given !== 'object' || given === null) return {};
  return { field: Object.keys(given).find((key) => !body.fields.includes(key)), body };
}

/**
 * Maps Fastify's own errors (parsing, validation, limits) onto room's error
 * table; `given` is the request's body, if it was parsed (see unknownField).
 */
export function toRoomError(error: FastifyError, given?: unknown): RoomError {
  if (error instanceof RoomError) return error;
  if (error.validation !== undefined) {
    if (error.validation.some((v) => v.keyword === 'discriminator')) return roomError('unknown_type');
    // Ajv counts characters, so this catches what is surely too long; the
    // broker then checks the exact limit in bytes.
    if (error.validation.some((v) => v.keyword === 'maxLength'))
      return roomError('content_too_large', { limit: MAX_CONTENT_BYTES });
    const part = error.validationContext ?? 'request';
    const { field, body } = unknownField(error.validation, part === 'body' ? given : undefined);
    // A join request is not an event: its errors say what it is.
    const join = error.validation.some((v) => schemaOf(v) === JoinRequest.$id);
    if (part === 'body' && typeof field === 'string' && body !== undefined)
      return roomError(join ? 'invalid_event.join_unknown_field' : 'invalid_event.unknown_field', {
        field: quoteField(field),
        what: body.what,
        fields: body.fields.join(', '),
      });
    if (part === 'body')
      return roomError(join ? 'invalid_event.join_request' : 'invalid_event', { detail: error.message });
    return roomError('usage.invalid_part', { part, detail: error.message });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return roomError('invalid_json', { detail: error.message });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return roomError('body_too_large', { limit: MAX_BODY_BYTES });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return roomError('unsupported_media_type');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return roomError('bad_request.short_body');
  }
  if (isClientHangUp(error)) return roomError('bad_request.hung_up');
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
    return roomError('bad_request', { detail: error.message });
  return roomError('internal', {}, { cause: error });
}

/** Node's parser errors (llhttp `HPE_*`) and timeouts, as room errors. */
function fromParserError(error: NodeJS.ErrnoException, requestTimeoutMs: number): RoomError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return roomError('headers_too_large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return roomError('request_timeout', { ms: requestTimeoutMs });
  }
  const reason = (error as { reason?: unknown }).reason;
  return roomError('bad_request', { detail: typeof reason === 'string' ? reason : (error.code ?? error.message) });
}

/**
 * An error as a whole HTTP/1.1 response, for a socket no ServerResponse
 * writes to (malformed HTTP, a refused upgrade); the connection closes after it.
 */
export function rawErrorResponse(error: RoomError, headers: Record<string, string> = {}): string {
  const body = errorBody(error);
  let head = `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n`;
  if (error.status === 401) head += `WWW-Authenticate: ${challenge(error)}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return (
    `${head}Content-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * A body that failed its schema, as Fastify reports it (its default
 * formatter: `body/content must be string, …`), then as room's error: a
 * body checked outside Fastify (a channel line) is refused in the same words.
 */
export function invalidBody(
  errors: ReadonlyArray<{ instancePath?: string; message?: string }>,
  body: unknown,
): RoomError {
  const message = errors.map((e) => `body${e.instancePath ?? ''} ${e.message ?? ''}`).join(', ');
  const error = Object.assign(new Error(message), { validation: errors, validationContext: 'body', statusCode: 400 });
  return toRoomError(error as unknown as FastifyError, body);
}

/**
 * Answers malformed HTTP on the raw socket (`clientError`), then closes it.
 * A socket whose response has already started gets nothing more: writing
 * there would corrupt it.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket, requestTimeoutMs: number): void {
  if (isClientHangUp(error) || socket.destroyed) return;
  const pending = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || pending?.headersSent === true) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(fromParserError(error, requestTimeoutMs)));
}
