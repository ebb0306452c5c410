// Events as the broker stores them, for the tests of the history's storage
// (server/log/): a message by alice in room r, its seq given, its id fresh
// unless given.
import { randomUUID } from 'node:crypto';
import type { RoomEvent } from '../shared/events.ts';

export function messageEvent(seq: number, fields: { id?: string; content?: string } = {}): RoomEvent {
  return {
    type: 'message',
    id: fields.id ?? randomUUID(),
    room: 'r',
    user: 'alice',
    ts: new Date(0).toISOString(),
    seq,
    content: fields.content ?? `m${seq}`,
  };
}
