// Request and response bodies of the broker's HTTP API. Inbound events are
// exactly what agent mode reads from stdin and `room send` posts; the broker
// assigns `id`, `room`, `user`, `ts` and `seq`.
import type { FromSchema } from 'json-schema-to-ts';
import { MAX_CONTENT_BYTES } from './events.ts';
import { NAME_PATTERN } from './names.ts';

const content = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_CONTENT_BYTES,
  description: 'not blank; at most 64 KiB of UTF-8',
} as const;
const userArg = {
  type: 'string',
  pattern: '^@?(?!\\.)[A-Za-z0-9._-]{1,64}$',
  description: 'a username; a leading @ is accepted',
} as const;

export const InMessage = {
  $id: 'InMessage',
  type: 'object',
  required: ['type', 'content'],
  properties: { type: { const: 'message' }, content },
} as const;

export const InReply = {
  $id: 'InReply',
  type: 'object',
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
  required: ['username'],
  properties: { username: { type: 'string', description: 'letters, digits, `.`, `_`, `-`; 1-64; no leading dot' } },
} as const;

export const TokenResponse = {
  $id: 'TokenResponse',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'token', 'username'],
  properties: {
    type: { const: 'token' },
    token: { type: 'string', format: 'uuid' },
    username: { type: 'string', pattern: NAME_PATTERN },
  },
} as const;

export const ErrorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: "stable machine-readable code (see the README's error table)" },
    message: { type: 'string', description: 'for humans' },
  },
} as const;

export const Health = {
  $id: 'Health',
  type: 'object',
  required: ['ok', 'room', 'version'],
  properties: { ok: { const: true }, room: { type: 'string' }, version: { type: 'string' } },
} as const;

export const Users = {
  $id: 'Users',
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
  type: 'object',
  additionalProperties: false,
  required: ['reason', 'message'],
  properties: {
    reason: { enum: ['exit', 'kicked', 'revoked', 'shutdown'] },
    message: { type: 'string' },
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
  description: 'the payload of `event: clear` (an empty object)',
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
export type CloseReason = StreamClose['reason'];
