// What the message area lists: the room's events, the private answers the
// broker gave this user (never stored, so they exist only here), and the
// UI's own notes (connection lost and back, a replaced history).
import type { Notice, RoomEvent } from '../../shared/events.ts';

export type Tone = 'info' | 'warn' | 'error';

export type Entry =
  | {
      readonly kind: 'event';
      readonly event: RoomEvent /** For a reply: the event it answers, when it was loaded. */;
      readonly target?: RoomEvent;
    }
  | { readonly kind: 'notice'; readonly notice: Notice }
  /** A run of two or more joins and leaves in a row, drawn as one line (presence.ts). */
  | { readonly kind: 'presence'; readonly events: readonly RoomEvent[] }
  | { readonly kind: 'local'; readonly text: string; readonly tone: Tone; readonly ts: string };

export const eventEntry = (event: RoomEvent, target?: RoomEvent): Entry =>
  target === undefined ? { kind: 'event', event } : { kind: 'event', event, target };
export const noticeEntry = (notice: Notice): Entry => ({ kind: 'notice', notice });
export const localEntry = (text: string, tone: Tone, now = new Date()): Entry => ({
  kind: 'local',
  text,
  tone,
  ts: now.toISOString(),
});

/** The characters of an event id shown beside a message, to answer it with /reply. */
export const SHORT_ID_LENGTH = 4;
export const shortId = (id: string): string => id.slice(0, SHORT_ID_LENGTH);

/** When an entry happened (ISO 8601): its event's time, or the last event's of a folded run. */
export function entryTime(entry: Entry): string {
  switch (entry.kind) {
    case 'event':
      return entry.event.ts;
    case 'notice':
      return entry.notice.ts;
    case 'presence':
      return entry.events.at(-1)!.ts;
    case 'local':
      return entry.ts;
  }
}
