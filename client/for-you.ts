// Which events call for a reader's attention, shared by watch, follow and the
// Claude Code hooks: what another user says to the room (a message, reply or
// command) or to them (a DM, or a system notice naming them, such as
// "carl took over src/a.ts from @bob"); with `mentionsOnly`, just those and
// messages or replies that mention them (@name, shared/mentions.ts).
import type { RoomEvent } from '../shared/events.ts';
import { mentions } from '../shared/mentions.ts';

export function isForYou(event: RoomEvent, user: string, mentionsOnly = false): boolean {
  if (event.user === user) return false;
  if (event.type === 'dm') return event.to === user;
  if (event.type === 'system') return mentions(event.content, user);
  if (mentionsOnly) return (event.type === 'message' || event.type === 'reply') && mentions(event.content, user);
  return event.type === 'message' || event.type === 'reply' || event.type === 'command';
}

/** Is this event addressed to the reader: a DM to them, or a mention of them? */
export function isAddressedTo(event: RoomEvent, user: string): boolean {
  return isForYou(event, user, true);
}
