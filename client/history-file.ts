// Reading the history file directly (poll and watch need no broker). Only
// complete lines are read: a line still being written, or torn by a crash,
// is left for later. Every line is checked against the event schema; lines
// that are not valid events are skipped. Reading is linear in the file's
// size, however long its lines (shared/history-lines.ts).
import * as fs from 'node:fs';
import type { RoomEvent } from '../shared/events.ts';
import { MAX_LINE_BYTES, scanLines } from '../shared/history-lines.ts';
import { parseEvent } from '../shared/validate.ts';

const NEWLINE = 0x0a;

/** One event of the file with its line's byte range [start, end) (end is after the newline). */
export interface Entry {
  readonly event: RoomEvent;
  readonly line: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Calls `visit` for every valid event on a complete line from byte `from`
 * to the end of the file, reading a chunk at a time, until `visit` returns
 * false; returns the offset just after the last line read. `parse` turns a
 * line into an event, or null to skip it (default: the full schema check).
 */
export function scanEntries(
  fd: number,
  from: number,
  visit: (entry: Entry) => unknown,
  parse: (line: string) => RoomEvent | null = parseEvent,
): number {
  return scanLines(fd, from, (buffer, start, end) => {
    const line = buffer.toString('utf8');
    const event = parse(line);
    // `visit` returning false stops the scan after this entry.
    return event === null || visit({ event, line, start, end }) !== false;
  }).end;
}

/** The entry whose line spans exactly [start, end) if it holds event `id`. */
export function entryAt(fd: number, id: string, start: number, end: number): Entry | null {
  if (start < 0 || end <= start || end - start > MAX_LINE_BYTES + 1) return null;
  const buffer = Buffer.allocUnsafe(end - start);
  if (fs.readSync(fd, buffer, 0, buffer.length, start) !== buffer.length || buffer[buffer.length - 1] !== NEWLINE)
    return null;
  const line = buffer.toString('utf8', 0, buffer.length - 1);
  const event = parseEvent(line);
  return event?.id === id ? { event, line, start, end } : null;
}

/** Finds event `id` by scanning the file from the start; only lines holding the id are parsed. */
export function findEntry(fd: number, id: string): Entry | null {
  const needle = Buffer.from(`"id":"${id}"`);
  let found: Entry | null = null;
  scanLines(fd, 0, (buffer, start, end) => {
    if (buffer.indexOf(needle) === -1) return true;
    const line = buffer.toString('utf8');
    const event = parseEvent(line);
    if (event?.id !== id) return true;
    found = { event, line, start, end };
    return false;
  });
  return found;
}
