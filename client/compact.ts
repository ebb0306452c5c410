// One room event as one short line, for a reader that pays per character (a
// model reading a Claude Code monitor's or hook's output): who, what kind,
// the short id /reply takes, the text on one line. Long texts are cut, with
// the command that prints them whole.
import type { RoomEvent } from '../shared/events.ts';
import { mentions } from '../shared/mentions.ts';

/** Texts longer than this many characters are cut. */
export const COMPACT_TEXT_CHARS = 400;

/** The first characters of an id: enough for /reply and poll --since to find it. */
export const shortId = (id: string): string => id.slice(0, 8);

/** Control characters (escape sequences) and line breaks become visible marks: one event, one line. */
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, ' ⏎ ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '·');
}

export interface CompactOptions {
  /** The reader: a DM or mention addressed to them is marked. */
  readonly user: string;
  readonly room: string;
  /** The id of the visible event before this one, for the "read it whole" hint (poll --since). */
  readonly before: string | null;
}

export function compactLine(event: RoomEvent, options: CompactOptions): string {
  let kind: string;
  let text: string;
  switch (event.type) {
    case 'message':
      kind = `message ${shortId(event.id)}`;
      text = event.content;
      break;
    case 'reply':
      kind = `reply ${shortId(event.id)} to ${shortId(event.reply_to)}`;
      text = event.content;
      break;
    case 'dm':
      kind = `dm ${shortId(event.id)} to ${event.to === options.user ? 'you' : event.to}`;
      text = event.content;
      break;
    case 'command':
      kind = `command ${shortId(event.id)}`;
      text = [`/${event.cmd}`, ...event.params].join(' ');
      break;
    case 'system':
      kind = 'notice';
      text = event.content;
      break;
    case 'join':
    case 'leave':
      return `[room] ${event.user} ${event.type === 'join' ? 'joined' : 'left'}`;
  }
  if ((event.type === 'message' || event.type === 'reply') && mentions(text, options.user)) kind += ', mentions you';
  const chars = [...text];
  if (chars.length > COMPACT_TEXT_CHARS) {
    const rest = chars.length - COMPACT_TEXT_CHARS;
    const how =
      options.before === null
        ? 'room poll prints it whole'
        : `read it whole: room poll ${options.room} --since ${options.before}`;
    text = `${chars.slice(0, COMPACT_TEXT_CHARS).join('')}… (cut, ${rest} more characters; ${how})`;
  }
  return `[room] ${event.user} (${kind}): ${oneLine(text)}`;
}
