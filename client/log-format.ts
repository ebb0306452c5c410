// How `room log` shows an event: as its history line (ndjson), as a line of
// text for a terminal, or as a Markdown list item for an export. Content from
// other users is untrusted: in text and Markdown, escape sequences and control
// characters are removed so nothing in the history can drive the terminal.
import { stripVTControlCharacters } from 'node:util';
import type { RoomEvent } from '../shared/events.ts';

export const LOG_FORMATS = ['text', 'ndjson', 'markdown'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function clean(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  return stripVTControlCharacters(text).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').replace(CONTROL, '');
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The local `YYYY-MM-DD HH:MM` of the last UTC minute converted: a history's events come in runs of one minute. */
let minute = { utc: '', local: '' };

/** `YYYY-MM-DD HH:MM:SS` in local time (time zones differ from UTC by whole minutes, so seconds carry over). */
export function localTime(ts: string): string {
  const utc = ts.slice(0, 16);
  if (utc !== minute.utc) {
    const d = new Date(`${utc}:00Z`);
    if (Number.isNaN(d.getTime()) || ts[16] !== ':') return ts;
    minute = {
      utc,
      local: `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`,
    };
  }
  return `${minute.local}:${ts.slice(17, 19)}`;
}

/** What the event says, as one string: its content, or the command as typed. */
export function eventText(event: RoomEvent): string {
  switch (event.type) {
    case 'message':
    case 'reply':
    case 'system':
    case 'dm':
      return event.content;
    case 'command':
      return [`/${event.cmd}`, ...(event.params ?? [])].join(' ');
    case 'join':
      return 'joined';
    case 'leave':
      return 'left';
  }
}

/** Who said it, with the arrows the UI uses for DMs and replies. */
function speaker(event: RoomEvent): string {
  if (event.type === 'dm') return `${event.user} → ${event.to}`;
  if (event.type === 'reply') return `${event.user} ↳ ${event.reply_to.slice(0, 4)}`;
  return event.user;
}

/** One event as text (its lines after the first indented under the text), without the final newline. */
export function textLine(event: RoomEvent): string {
  const head = `${localTime(event.ts)} ${event.id.slice(0, 4)}  `;
  const body = `${clean(speaker(event))}  ${clean(eventText(event))}`;
  return head + body.replaceAll('\n', `\n${' '.repeat(head.length)}`);
}

/** One event as a Markdown list item (continuation lines indented into the item). */
export function markdownLine(event: RoomEvent): string {
  const body = clean(eventText(event)).replaceAll('\n', '\n  ');
  return `- ${localTime(event.ts)} **${clean(speaker(event))}**: ${body}`;
}
