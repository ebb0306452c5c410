// Request and response bodies of the broker's HTTP API. Inbound events are
// exactly what agent mode reads from stdin and `room send` posts; the broker
// assigns `id`, `room`, `user`, `ts` and `seq`. A request body with a field
// its schema does not name is refused (a `reply_to` given with a message
// would otherwise send a plain message without a word).
import type { FromSchema } from 'json-schema-to-ts';
import { ERROR_CODES, ERRORS } from './errors.ts';
import { MAX_CONTENT_BYTES } from './events.ts';
import { NAME_PATTERN } from './names.ts';

/** Request bodies larger than this many bytes are refused before they are parsed (413, body_too_large). */
export const MAX_BODY_BYTES = 512 * 1024;

const content = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_CONTENT_BYTES,
  description: `not blank; at most ${MAX_CONTENT_BYTES} bytes of UTF-8 (checked in bytes by the broker)`,
} as const;
const userArg = {
  type: 'string',
  pattern: '^@?(?!\\.)[A-Za-z0-9._-]{1,64}$',
  description: 'a username; a leading @ is accepted',
} as const;

export const InMessage = {
  $id: 'InMessage',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'content'],
  properties: { type: { const: 'message' }, content },
} as const;

export const InReply = {
  $id: 'InReply',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'reply_to', 'content'],
  properties: {
    type: { const: 'reply' },
    reply_to: {
      type: 'string',
      pattern: '^[0-9a-fA-F-]{4,36}$',
      description: 'the id of the event answered, or a unique prefix of it (at least 4 characters)',
    },
    content,
  },
} as const;

export const InCommand = {
  $id: 'InCommand',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'cmd'],
  properties: {
    type: { const: 'command' },
    cmd: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      description: 'the command name, without the slash',
    },
    params: { type: 'array', items: { type: 'string', maxLength: MAX_CONTENT_BYTES }, maxItems: 1024, default: [] },
  },
} as const;

export const InDm = {
  $id: 'InDm',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'to', 'content'],
  properties: { type: { const: 'dm' }, to: userArg, content },
} as const;

export const Inbound = {
  $id: 'Inbound',
  description: 'one event to send; `text/plain` bodies are plain messages',
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [{ $ref: 'InMessage#' }, { $ref: 'InReply#' }, { $ref: 'InCommand#' }, { $ref: 'InDm#' }],
} as const;

export const JoinRequest = {
  $id: 'JoinRequest',
  type: 'object',
  additionalProperties: false,
  required: ['username'],
  properties: { username: { type: 'string', description: 'letters, digits, `.`, `_`, `-`; 1-64; no leading dot' } },
} as const;

/** The request bodies, by $id: what an error about an unknown field calls each, and the fields it has. */
export const BODY_FIELDS: ReadonlyMap<string, { readonly what: string; readonly fields: readonly string[] }> = new Map(
  (
    [
      [InMessage, 'a message'],
      [InReply, 'a reply'],
      [InCommand, 'a command'],
      [InDm, 'a dm'],
      [JoinRequest, 'a join request'],
    ] as const
  ).map(([schema, what]) => [schema.$id, { what, fields: Object.keys(schema.properties) }]),
);

export const TokenResponse = {
  $id: 'TokenResponse',
  description: 'the token of the new user: a password, keep it secret',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'token', 'username'],
  properties: {
    type: { const: 'token' },
    token: { type: 'string', format: 'uuid' },
    username: { type: 'string', pattern: NAME_PATTERN },
  },
} as const;

const errorTable = ERROR_CODES.map((code) => `- \`${code}\` (${ERRORS[code].status}): ${ERRORS[code].meaning}`);

/** The body of every error response; `code` is one of shared/errors.ts's table. */
export const ErrorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: {
      type: 'string',
      enum: ERROR_CODES,
      description: `stable machine-readable code; branch on it, never on the message:\n${errorTable.join('\n')}`,
    },
    message: { type: 'string', description: 'for humans; may change between versions' },
  },
} as const;

export const Health = {
  $id: 'Health',
  description: 'the broker is up',
  type: 'object',
  required: ['ok', 'room', 'version', 'epoch'],
  properties: {
    ok: { const: true },
    room: { type: 'string' },
    version: { type: 'string' },
    epoch: {
      type: 'string',
      description: "names the room's history; it changes when the history file is replaced or recreated",
    },
    nats: {
      type: 'string',
      enum: ['connected', 'unreachable'],
      description:
        "a room shared through NATS only: whether this broker reaches its NATS server now (while unreachable, writes are refused and this machine's history may be behind)",
    },
  },
} as const;

export const Users = {
  $id: 'Users',
  description: 'who is here',
  type: 'object',
  additionalProperties: false,
  required: ['you', 'host', 'online', 'recent'],
  properties: {
    you: { type: 'string', description: "the username of the caller's token" },
    host: { type: ['string', 'null'], description: 'the room host, or null before anyone joined' },
    online: {
      type: 'array',
      description: 'users with a live session (TUI, agent, SSE stream)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['user', 'status', 'sessions'],
        properties: { user: { type: 'string' }, status: { type: 'string' }, sessions: { type: 'integer' } },
      },
    },
    listening: {
      type: 'array',
      description:
        'users with no live session who hear the room: a `room follow`, a waiting `room watch`, a Claude Code session whose monitor runs (GET /listen). Always sent by this broker; optional for older ones',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['user', 'status', 'listeners'],
        properties: { user: { type: 'string' }, status: { type: 'string' }, listeners: { type: 'integer' } },
      },
    },
    recent: {
      type: 'array',
      description:
        'users neither online nor listening who were active lately (one-shot commands, ended sessions), most recent first',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['user', 'status', 'last_active'],
        properties: {
          user: { type: 'string' },
          status: { type: 'string' },
          last_active: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

/**
 * The last SSE message of a stream the broker ends on purpose, as
 * `event: close`. `exit`, `kicked` and `revoked` end the session for good;
 * after `shutdown` a client may reconnect (the broker may be restarted).
 * A stream that ends without it was cut: reconnect with Last-Event-ID.
 */
export const StreamClose = {
  $id: 'StreamClose',
  description:
    'the payload of `event: close`, the last frame of a stream the broker ends on purpose. ' +
    'A client must close its connection on it and not reconnect, unless `reason` is `shutdown` ' +
    '(then it may reconnect later): a standard EventSource otherwise reconnects once, into a 401. ' +
    'A stream that ends with no `close` frame was cut: reconnect with Last-Event-ID.',
  type: 'object',
  additionalProperties: false,
  required: ['reason', 'message'],
  properties: {
    reason: {
      enum: ['exit', 'kicked', 'revoked', 'shutdown'],
      description:
        'exit: the host shut the room down; kicked/revoked: this token is dead; shutdown: the broker stopped',
    },
    message: { type: 'string', description: 'for humans' },
  },
} as const;

/**
 * `event: clear`: the history before the next event was emptied by the
 * host's /clear. Sent to open streams when it happens, and first on a stream
 * resumed (Last-Event-ID) from before it. Clients drop what they show of the
 * old history; the clear's notice follows as an ordinary event.
 */
export const StreamClear = {
  $id: 'StreamClear',
  type: 'object',
  additionalProperties: false,
  properties: {},
  description:
    'the payload of `event: clear` (an empty object): the host emptied the history (/clear). ' +
    'A client must drop every event it holds from before this frame; the stream goes on, and the ' +
    "clear's system notice follows as an ordinary event.",
} as const;

/**
 * `event: nats`: in a room shared between machines (through NATS), whether
 * this machine's broker reaches the room's NATS server. Sent first on every
 * stream of a shared room and whenever it changes; never in a room on one
 * machine. While `unreachable`, writes are refused (`nats_unreachable`) and
 * the stream carries only this machine's copy of the room.
 */
export const StreamNats = {
  $id: 'StreamNats',
  type: 'object',
  additionalProperties: false,
  required: ['state'],
  properties: { state: { type: 'string', enum: ['connected', 'unreachable'] } },
  description:
    'the payload of `event: nats` (rooms shared between machines only): `unreachable` while this broker cannot reach ' +
    "the room's NATS server (writes are refused with nats_unreachable; the stream goes on from this machine's copy), " +
    '`connected` once it can again (what was stored elsewhere meanwhile follows as ordinary events)',
} as const;

/**
 * One SSE message of `GET /events`, for the OpenAPI document only (the
 * stream is written by the broker, not validated): `event` is the SSE
 * `event:` field (absent on the wire for `message`), `id` the `id:` field,
 * `data` the parsed `data:` field.
 */
export const StreamFrame = {
  $id: 'StreamFrame',
  description:
    'one Server-Sent Events message, shown as its fields: `event` (the `event:` line; none on the wire means `message`), ' +
    '`id` (the `id:` line) and `data` (the JSON of the `data:` line). Lines starting with `:` are keep-alive comments.',
  type: 'object',
  required: ['event'],
  discriminator: { propertyName: 'event' },
  oneOf: [{ $ref: 'EventFrame#' }, { $ref: 'CloseFrame#' }, { $ref: 'ClearFrame#' }, { $ref: 'NatsFrame#' }],
} as const;

export const EventFrame = {
  $id: 'EventFrame',
  description: 'an event of the room (no `event:` line): `id` is its seq, to resume from with Last-Event-ID',
  type: 'object',
  required: ['event', 'id', 'data'],
  properties: {
    event: { const: 'message' },
    id: { type: 'string', pattern: '^[0-9]+$' },
    data: { $ref: 'Event#' },
  },
} as const;

export const CloseFrame = {
  $id: 'CloseFrame',
  description: '`event: close`: the last frame; see StreamClose for what a client must do',
  type: 'object',
  required: ['event', 'data'],
  properties: { event: { const: 'close' }, data: { $ref: 'StreamClose#' } },
} as const;

export const ClearFrame = {
  $id: 'ClearFrame',
  description: '`event: clear`: the history was emptied; see StreamClear for what a client must do',
  type: 'object',
  required: ['event', 'data'],
  properties: { event: { const: 'clear' }, data: { $ref: 'StreamClear#' } },
} as const;

export const NatsFrame = {
  $id: 'NatsFrame',
  description: "`event: nats`: whether this broker reaches a shared room's NATS server; see StreamNats",
  type: 'object',
  required: ['event', 'data'],
  properties: { event: { const: 'nats' }, data: { $ref: 'StreamNats#' } },
} as const;

/**
 * The payload of `event: epoch`, a stream's first frame: the epoch its seqs
 * belong to. A client resuming sends it back (`GET /events?epoch=`); a seq
 * from another epoch is answered with `event: clear` and a replay from the start.
 */
export const StreamEpoch = {
  $id: 'StreamEpoch',
  type: 'object',
  additionalProperties: false,
  required: ['epoch'],
  properties: { epoch: { type: 'string' } },
  description: 'the payload of `event: epoch`, the first frame of every stream',
} as const;

export type InMessage = FromSchema<typeof InMessage>;
export type InReply = FromSchema<typeof InReply>;
export type InCommand = FromSchema<typeof InCommand>;
export type InDm = FromSchema<typeof InDm>;
export type Inbound = InMessage | InReply | InCommand | InDm;
export type JoinRequest = FromSchema<typeof JoinRequest>;
export type TokenResponse = FromSchema<typeof TokenResponse>;
export type ErrorResponse = FromSchema<typeof ErrorResponse>;
export type Health = FromSchema<typeof Health>;
export type Users = FromSchema<typeof Users>;
export type StreamClose = FromSchema<typeof StreamClose>;
export type StreamEpoch = FromSchema<typeof StreamEpoch>;
export type StreamNats = FromSchema<typeof StreamNats>;
export type NatsState = StreamNats['state'];
export type CloseReason = StreamClose['reason'];
