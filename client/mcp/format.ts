// Room events as the MCP tools show them: one short line each, so an agent
// reads many for few tokens. Ids are cut to 8 characters, which `reply_to`
// accepts as a prefix.
import type { RoomEvent } from '../../shared/events.ts';

const short = (id: string) => id.slice(0, 8);

export function compactLine(event: RoomEvent): string {
  const head = `[${short(event.id)}] ${event.ts.slice(11, 16)} ${event.user}`;
  switch (event.type) {
    case 'message':
      return `${head}: ${event.content}`;
    case 'reply':
      return `${head} (re ${short(event.reply_to)}): ${event.content}`;
    case 'dm':
      return `${head} (DM to ${event.to}): ${event.content}`;
    case 'command':
      return `${head}: /${[event.cmd, ...event.params].join(' ')}`;
    case 'system':
      return `[${short(event.id)}] ${event.ts.slice(11, 16)} * ${event.content}`;
    case 'join':
      return `${head} joined`;
    case 'leave':
      return `${head} left`;
  }
}
