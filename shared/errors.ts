// Every error room can report, in one table: a stable machine-readable code,
// the HTTP status the broker answers with, the exit code of the CLI, what it
// means (the OpenAPI document's ErrorResponse enum is generated from it, the
// README's table is tested against it) and a message template (`roomError`
// fills it). Callers
// branch on `code`, never on message text. Codes are never reused.

/** The CLI's exit codes. `room --help` prints this table; the README copies it. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  unreachable: 3,
  auth: 4,
  nameUnavailable: 5,
  timeout: 6,
  denied: 7,
} as const;

export const EXIT_CODE_HELP: ReadonlyArray<readonly [number, string]> = [
  [EXIT.ok, 'success'],
  [EXIT.internal, 'internal error (or an unsafe file refused)'],
  [EXIT.usage, 'usage or bad input (nothing was changed)'],
  [EXIT.unreachable, 'broker unreachable (not running, or failed to start)'],
  [EXIT.auth, 'bad token (missing, unknown or revoked)'],
  [EXIT.nameUnavailable, 'name taken, or blocked by the host'],
  [EXIT.timeout, 'watch timed out with nothing new'],
  [EXIT.denied, 'permission denied (host-only command), or a claim someone else holds'],
];

interface ErrorSpec {
  readonly status: number;
  readonly exit: number;
  /** What the code means, for the OpenAPI document and the README. */
  readonly meaning: string;
  /** The default message; `{name}` is filled from the values given to `roomError`. */
  readonly template: string;
  /** Made by clients only, never answered by the broker (left out of the API's error responses). */
  readonly clientOnly?: true;
}

// Modelled on fastify's lib/errors.js and NATS's server/errors.json: one row
// per code, with its status, its meaning and a message template.
export const ERRORS = {
  usage: { status: 400, exit: EXIT.usage, meaning: 'bad usage or a bad request parameter', template: '{detail}' },
  bad_request: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'malformed HTTP (request line, headers, length or chunking)',
    template: 'malformed HTTP request: {detail}',
  },
  invalid_name: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'a room id or username that breaks the naming rule',
    template: 'invalid name {name}',
  },
  invalid_json: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'a body that is not JSON',
    template: 'invalid JSON body: {detail}',
  },
  invalid_event: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'a body that does not match its schema (missing field, wrong type, blank content)',
    template: 'invalid event: {detail}',
  },
  unknown_type: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'an inbound event whose type is not message, reply, command or dm',
    template: 'unknown event type: use message, reply, command or dm',
  },
  invalid_command: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'a slash command used wrongly',
    template: 'usage: {usage}',
  },
  unknown_id: { status: 404, exit: EXIT.usage, meaning: 'no such event id', template: 'no event {id} in the history' },
  unknown_user: {
    status: 404,
    exit: EXIT.usage,
    meaning: 'no such user in this room',
    template: 'no user {name} has joined this room',
  },
  not_found: { status: 404, exit: EXIT.usage, meaning: 'no such route', template: 'no route {method} {path}' },
  method_not_allowed: {
    status: 405,
    exit: EXIT.usage,
    meaning: 'a known route asked with a method it does not take (see the Allow header)',
    template: '{method} is not allowed on {path}: use {allow}',
  },
  request_timeout: {
    status: 408,
    exit: EXIT.unreachable,
    meaning: 'the request (headers and body) took too long to arrive',
    template: 'the request took longer than {ms} ms to arrive',
  },
  idempotency_key_reused: {
    status: 422,
    exit: EXIT.usage,
    meaning: 'an Idempotency-Key already used by this user for a different request',
    template: 'Idempotency-Key {key} was already used for a different request: use a new key for a new message',
  },
  unsupported_media_type: {
    status: 415,
    exit: EXIT.usage,
    meaning: 'a body that is not application/json or UTF-8 text/plain',
    template: 'send application/json (an event) or text/plain; charset=utf-8 (a message)',
  },
  content_too_large: {
    status: 413,
    exit: EXIT.usage,
    meaning: 'message content (or a command parameter) over the per-message limit, in bytes of UTF-8',
    template: 'content is too large: at most {limit} bytes of UTF-8',
  },
  body_too_large: {
    status: 413,
    exit: EXIT.usage,
    meaning: 'a request body over the request limit, in bytes',
    template: 'request body too large: at most {limit} bytes',
  },
  headers_too_large: {
    status: 431,
    exit: EXIT.usage,
    meaning: 'request headers over the HTTP parser limit',
    template: 'request headers too large',
  },
  missing_token: {
    status: 401,
    exit: EXIT.auth,
    meaning: 'no token given',
    template: 'missing token: send "Authorization: Bearer <token>" (get one with room join)',
  },
  invalid_token: {
    status: 401,
    exit: EXIT.auth,
    meaning: 'an unknown or revoked token',
    template: 'invalid or revoked token: run room join again for a new one',
  },
  unsupported_auth_scheme: {
    status: 401,
    exit: EXIT.auth,
    meaning: 'an Authorization header with a scheme other than Bearer',
    template: 'the Authorization header uses the {scheme} scheme: send "Authorization: Bearer <token>"',
  },
  name_taken: {
    status: 409,
    exit: EXIT.nameUnavailable,
    meaning: 'the name holds a live token, or is reserved',
    template: 'the name {name} is already taken in this room',
  },
  claim_conflict: {
    status: 409,
    exit: EXIT.denied,
    meaning: 'a claim that overlaps an open claim of someone else',
    template: '{holder} holds {what} since {since}: {text}',
  },
  claim_not_found: {
    status: 404,
    exit: EXIT.usage,
    meaning: 'a release of something the caller does not hold',
    template: 'you hold no claim on {what}',
  },
  user_kicked: {
    status: 403,
    exit: EXIT.nameUnavailable,
    meaning: 'the host kicked this name',
    template: '{name} was kicked from this room; the host can /reauth {name}',
  },
  permission_denied: {
    status: 403,
    exit: EXIT.denied,
    meaning: 'a host-only command from someone else',
    template: 'permission denied: admin commands are restricted to the room host',
  },
  broker_unreachable: {
    status: 503,
    exit: EXIT.unreachable,
    meaning: 'no broker answers on the socket',
    template: 'cannot reach the broker on {socket}',
    clientOnly: true,
  },
  room_closing: {
    status: 503,
    exit: EXIT.unreachable,
    meaning: 'the broker is shutting down',
    template: 'the room is shutting down',
  },
  nats_unreachable: {
    status: 503,
    exit: EXIT.unreachable,
    meaning:
      'the room is shared through NATS and its NATS server cannot be reached: nothing was stored or changed (reads go on from the local history)',
    template: 'the NATS server of this room ({url}) cannot be reached: nothing was stored',
  },
  watch_timeout: {
    status: 408,
    exit: EXIT.timeout,
    meaning: 'room watch timed out with nothing new',
    template: 'nothing new within {seconds} s',
    clientOnly: true,
  },
  unsafe_path: {
    status: 500,
    exit: EXIT.internal,
    meaning: 'a file refused as unsafe (symlink, wrong owner or type)',
    template: 'refusing {path}: {why}',
  },
  disk_full: {
    status: 507,
    exit: EXIT.internal,
    meaning: 'the history could not be written: the disk is full (nothing was stored)',
    template: 'the history {path} could not be written: the disk is full',
  },
  history_write_failed: {
    status: 500,
    exit: EXIT.internal,
    meaning: 'the history could not be written (nothing was stored)',
    template: 'the history {path} could not be written: {detail}',
  },
  internal: { status: 500, exit: EXIT.internal, meaning: 'a bug in room', template: 'internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Every code, in table order: the ErrorResponse enum. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** The code's template with `{name}` replaced by `values.name` (left as is when no value is given). */
export function errorMessage(code: ErrorCode, values: Readonly<Record<string, string | number>> = {}): string {
  return ERRORS[code].template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

/** Marks every RoomError, whichever copy of this module made it. */
const BRAND = Symbol.for('room.RoomError');

/** The one error type of room. The broker sends it as `{code, message}`. */
export class RoomError extends Error {
  readonly code: ErrorCode;

  /**
   * `instanceof RoomError` holds for a RoomError made by any copy of this
   * class: the bundled CLI loads each one-shot command as a self-contained
   * file with its own copy (scripts/build.ts).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RoomError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
}

/** A RoomError whose message is the code's template, filled from `values`. */
export function roomError(
  code: ErrorCode,
  values?: Readonly<Record<string, string | number>>,
  options?: ErrorOptions,
): RoomError {
  return new RoomError(code, errorMessage(code, values), options);
}
