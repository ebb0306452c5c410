// Reading the history file directly (poll and watch need no broker). Only
// complete lines are read: a line still being written, or torn by a crash,
// is left for later. Every line is checked against the event schema; lines
// that are not valid events are skipped.
import * as fs from 'node:fs';
import type { RoomEvent } from '../shared/events.ts';
import { parseEvent } from '../shared/validate.ts';

const CHUNK = 1 << 20;
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
  const chunk = Buffer.allocUnsafe(CHUNK);
  let carry = Buffer.alloc(0);
  let position = from;
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, CHUNK, position);
    if (n === 0) return position - carry.length;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    const base = position - carry.length;
    let lineStart = 0;
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, lineStart)) {
      const line = data.toString('utf8', lineStart, nl);
      const event = line === '' ? null : parse(line);
      if (event !== null && visit({ event, line, start: base + lineStart, end: base + nl + 1 }) === false)
        return base + nl + 1;
      lineStart = nl + 1;
    }
    carry = Buffer.from(data.subarray(lineStart));
    position += n;
  }
}

/** The entry whose line spans exactly [start, end) if it holds event `id`. */
export function entryAt(fd: number, id: string, start: number, end: number): Entry | null {
  if (start < 0 || end <= start || end - start > 16 << 20) return null;
  const buffer = Buffer.allocUnsafe(end - start);
  if (fs.readSync(fd, buffer, 0, buffer.length, start) !== buffer.length || buffer[buffer.length - 1] !== NEWLINE)
    return null;
  const line = buffer.toString('utf8', 0, buffer.length - 1);
  const event = parseEvent(line);
  return event?.id === id ? { event, line, start, end } : null;
}

/** Finds event `id` by scanning the file from the start, a chunk at a time. */
export function findEntry(fd: number, id: string): Entry | null {
  const needle = Buffer.from(`"id":"${id}"`);
  const chunk = Buffer.allocUnsafe(CHUNK);
  let carry = Buffer.alloc(0);
  let position = 0;
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, CHUNK, position);
    if (n === 0) return null;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    const base = position - carry.length;
    for (let hit = data.indexOf(needle); hit !== -1; hit = data.indexOf(needle, hit + 1)) {
      const lineStart = data.lastIndexOf(NEWLINE, hit) + 1;
      const nl = data.indexOf(NEWLINE, hit);
      if (nl === -1) break; // the line continues in the next chunk: it is carried over
      const entry = entryAt(fd, id, base + lineStart, base + nl + 1);
      if (entry !== null) return entry;
    }
    const lastNewline = data.lastIndexOf(NEWLINE);
    carry = Buffer.from(data.subarray(lastNewline + 1));
    position += n;
  }
}
