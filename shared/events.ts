// The wire format of room, defined once. These JSON Schemas validate the
// broker's input (Fastify), produce the OpenAPI document, give the
// TypeScript types (json-schema-to-ts, type-level only) and check every
// history line and SSE payload a client reads (shared/validate.ts).
//
// Every event in history has the envelope `type, id, room, user, ts, seq`;
// `seq` increases by one per event in the room and is the SSE event id.
import type { FromSchema } from 'json-schema-to-ts';
import { NAME_PATTERN } from './names.ts';

/** Message content is at most 64 KiB of UTF-8 (checked in bytes by the broker). */
export const MAX_CONTENT_BYTES = 64 * 1024;

export const Name = { $id: 'Name', type: 'string', pattern: NAME_PATTERN } as const;
const name = { type: 'string', pattern: NAME_PATTERN } as const;
const content = { type: 'string', maxLength: MAX_CONTENT_BYTES } as const;
const params = { type: 'array', items: { type: 'string', maxLength: MAX_CONTENT_BYTES }, maxItems: 1024 } as const;
const cmd = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } as const;

const envelope = {
  id: { type: 'string', format: 'uuid', description: 'UUID v4, assigned by the broker' },
  room: name,
  user: { type: 'string', description: 'the sender or subject; `broker` for system events' },
  ts: { type: 'string', format: 'date-time', description: 'ISO 8601, UTC' },
  seq: { type: 'integer', minimum: 1, description: 'position in the room, +1 per event; the SSE event id' },
} as const;
const envelopeKeys = ['type', 'id', 'room', 'user', 'ts', 'seq'] as const;

export const JoinEvent = {
  $id: 'JoinEvent',
  description: 'a user connected a live session',
  type: 'object',
  additionalProperties: false,
  required: [...envelopeKeys],
  properties: { type: { const: 'join' }, ...envelope },
} as const;

export const LeaveEvent = {
  $id: 'LeaveEvent',
  description: "a user's live session ended",
  type: 'object',
  additionalProperties: false,
  required: [...envelopeKeys],
  properties: { type: { const: 'leave' }, ...envelope },
} as const;

export const MessageEvent = {
  $id: 'MessageEvent',
  description: 'a plain chat message',
  type: 'object',
  additionalProperties: false,
  required: [...envelopeKeys, 'content'],
  properties: { type: { const: 'message' }, ...envelope, content },
} as const;

export const ReplyEvent = {
  $id: 'ReplyEvent',
  description: 'a message answering an earlier event',
  type: 'object',
  additionalProperties: false,
  required: [...envelopeKeys, 'reply_to', 'content'],
  properties: { type: { const: 'reply' }, ...envelope, reply_to: { type: 'string', format: 'uuid' }, content },
} as const;

export const CommandEvent = {
  $id: 'CommandEvent',
  description: 'a structured command broadcast for the room to act on (e.g. /claim)',
  type: 'object',
  additionalProperties: false,
  required: [...envelopeKeys, 'cmd', 'params'],
  properties: { type: { const: 'command' }, ...envelope, cmd, params },
} as const;

export const SystemEvent = {
  $id: 'SystemEvent',
  description: 'a notice from the broker (user `broker`)',
  type: 'object',
  additionalProperties: false,
  required: [...envelopeKeys, 'content'],
  properties: { type: { const: 'system' }, ...envelope, content },
} as const;

export const DmEvent = {
  $id: 'DmEvent',
  description: 'a direct message, visible only to its sender, its recipient and the host',
  type: 'object',
  additionalProperties: false,
  required: [...envelopeKeys, 'to', 'content'],
  properties: { type: { const: 'dm' }, ...envelope, to: name, content },
} as const;

export const EVENT_SCHEMAS = [
  JoinEvent,
  LeaveEvent,
  MessageEvent,
  ReplyEvent,
  CommandEvent,
  SystemEvent,
  DmEvent,
] as const;

export const Event = {
  $id: 'Event',
  description: 'one line of history; one SSE message',
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: EVENT_SCHEMAS.map((s) => ({ $ref: `${s.$id}#` })),
} as const;

/**
 * A reply meant for one caller only (`/who`, a command's result). It is never
 * written to history nor broadcast, so it has no `seq`.
 */
export const Notice = {
  $id: 'Notice',
  description: 'a private answer from the broker to one caller; not in history, no seq',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'id', 'room', 'user', 'ts', 'content'],
  properties: {
    type: { const: 'system' },
    id: envelope.id,
    room: name,
    user: { const: 'broker' },
    ts: envelope.ts,
    content,
  },
} as const;

export type JoinEvent = FromSchema<typeof JoinEvent>;
export type LeaveEvent = FromSchema<typeof LeaveEvent>;
export type MessageEvent = FromSchema<typeof MessageEvent>;
export type ReplyEvent = FromSchema<typeof ReplyEvent>;
export type CommandEvent = FromSchema<typeof CommandEvent>;
export type SystemEvent = FromSchema<typeof SystemEvent>;
export type DmEvent = FromSchema<typeof DmEvent>;
export type RoomEvent = JoinEvent | LeaveEvent | MessageEvent | ReplyEvent | CommandEvent | SystemEvent | DmEvent;
export type EventType = RoomEvent['type'];
export type Notice = FromSchema<typeof Notice>;

/** Who may see an event: a DM only its sender, its recipient and the host. */
export function isVisibleTo(event: RoomEvent, viewer: string, host: string | null): boolean {
  return event.type !== 'dm' || event.user === viewer || event.to === viewer || (host !== null && viewer === host);
}
