// What is new for a reader since a cursor, as compact lines: the one read
// path of room follow and the Claude Code hooks. Each caller decides where
// the cursor lives (the shared cursor file, or, for follow --mentions, its
// own memory) and writes it after it has printed what this returns.
import type { RoomEvent } from '../shared/events.ts';
import { compactLine } from './compact.ts';
import type { Cursor } from './cursor.ts';
import { locate } from './cursor.ts';
import { scanEntries, type Entry } from './history-file.ts';
import type { Reader } from './reader.ts';

export interface Picked {
  readonly event: RoomEvent;
  /** The compact line for it. */
  readonly line: string;
  /** Its JSON line as it is in the history. */
  readonly json: string;
}

export interface Unseen {
  /** The events for the reader, in history order. */
  readonly picked: Picked[];
  /** How many visible events were read in all (picked or not). */
  readonly visible: number;
  /** The last entry read: where the cursor goes once the caller has delivered. Null: nothing new. */
  readonly last: Entry | null;
  /** The id the read started after (null: from the start), for "read them all: poll --since". */
  readonly after: string | null;
}

/** Reads every complete event after `cursor` (all of them when it is null or gone) and picks the reader's. */
export function readUnseen(
  fd: number,
  reader: Reader,
  cursor: Cursor | null,
  pick: (event: RoomEvent) => boolean,
): Unseen {
  const start = cursor === null ? null : locate(fd, cursor); // gone (cleared history): start over
  let before = start !== null && reader.canSee(start.event) ? start.event.id : null;
  const after = before;
  const picked: Picked[] = [];
  let visible = 0;
  let last: Entry | null = null;
  scanEntries(fd, start?.end ?? 0, (entry) => {
    last = entry;
    if (!reader.canSee(entry.event)) return;
    visible++;
    if (pick(entry.event)) {
      const options = { user: reader.user, room: reader.paths.room, before };
      picked.push({ event: entry.event, line: compactLine(entry.event, options), json: entry.line });
    }
    before = entry.event.id;
  });
  return { picked, visible, last, after };
}

/** The command that prints every unseen event, for the line saying some were left out. */
export function readAllCommand(unseen: Unseen, room: string): string {
  return unseen.after === null ? `room poll ${room}` : `room poll ${room} --since ${unseen.after}`;
}

/**
 * At most `max` lines: the last `max` picked ones, after one line saying how
 * many earlier ones were left out and how to read them all.
 */
export function boundedLines(unseen: Unseen, max: number, room: string): string[] {
  const lines = unseen.picked.map((p) => p.line);
  if (lines.length <= max) return lines;
  const left = lines.length - max;
  const note = `[room] ${left} earlier event${left === 1 ? '' : 's'} for you not shown; all of them: ${readAllCommand(unseen, room)}`;
  return [note, ...lines.slice(-max)];
}
