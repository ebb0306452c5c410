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

/** How much of the file a byte search reads at a time. */
const SEARCH_CHUNK = 1 << 20;

/** The line holding byte `offset` as [start, end) (end after its newline), or null: torn, or longer than MAX_LINE_BYTES. */
function lineAround(fd: number, offset: number): { start: number; end: number } | null {
  const block = Buffer.allocUnsafe(1 << 16);
  let start = offset;
  for (;;) {
    if (start === 0) break;
    if (offset - start > MAX_LINE_BYTES) return null;
    const from = Math.max(0, start - block.length);
    const n = fs.readSync(fd, block, 0, start - from, from);
    const newline = block.subarray(0, n).lastIndexOf(NEWLINE);
    if (newline !== -1) {
      start = from + newline + 1;
      break;
    }
    start = from;
  }
  for (let at = offset; at - start <= MAX_LINE_BYTES; ) {
    const n = fs.readSync(fd, block, 0, block.length, at);
    if (n === 0) return null; // no newline yet: a line being written, or torn
    const newline = block.subarray(0, n).indexOf(NEWLINE);
    if (newline !== -1) return at + newline - start <= MAX_LINE_BYTES ? { start, end: at + newline + 1 } : null;
    at += n;
  }
  return null;
}

/** The complete line holding byte `offset` as an entry, or null (not a complete event line). */
function entryHolding(fd: number, offset: number): Entry | null {
  const range = lineAround(fd, offset);
  if (range === null) return null;
  const buffer = Buffer.allocUnsafe(range.end - range.start - 1);
  fs.readSync(fd, buffer, 0, buffer.length, range.start);
  const line = buffer.toString('utf8');
  const event = parseEvent(line);
  return event === null ? null : { event, line, ...range };
}

/**
 * Up to `max` entries whose event id starts with `prefix` (lower case; a full
 * id is its own prefix) and that `keep` accepts, in file order. A byte search
 * for `"id":"<prefix>` through the file a chunk at a time (no line is split
 * or parsed on the way); only a line holding it is read and parsed. The scan
 * stops at the `max`-th.
 */
export function findByIdPrefix(fd: number, prefix: string, keep: (event: RoomEvent) => boolean, max: number): Entry[] {
  const needle = Buffer.from(`"id":"${prefix}`);
  const found: Entry[] = [];
  const chunk = Buffer.allocUnsafe(SEARCH_CHUNK + needle.length);
  // chunk[0] is the file's byte `position`; its first `carry` bytes are the end of the last read,
  // kept so that a needle across two reads is found (they are fewer than the needle: no match lies in them alone).
  let position = 0;
  let carry = 0;
  for (;;) {
    const n = fs.readSync(fd, chunk, carry, SEARCH_CHUNK, position + carry);
    if (n === 0) return found;
    const data = chunk.subarray(0, carry + n);
    for (let hit = data.indexOf(needle); hit !== -1; hit = data.indexOf(needle, hit + 1)) {
      const entry = entryHolding(fd, position + hit);
      if (entry === null || !entry.event.id.startsWith(prefix) || !keep(entry.event)) continue;
      found.push(entry);
      if (found.length >= max) return found;
    }
    const kept = Math.min(needle.length - 1, data.length);
    chunk.copy(chunk, 0, data.length - kept, data.length);
    position += data.length - kept;
    carry = kept;
  }
}

/** The seq of a line, or null when it is not (the start of) an event: only what a probe needs. */
function seqOfLine(line: Buffer): number | null {
  try {
    const { seq } = JSON.parse(line.toString('utf8')) as { seq?: unknown };
    return Number.isSafeInteger(seq) ? (seq as number) : null;
  } catch {
    return null; // a piece of a line (a probe lands mid-line) or a torn one
  }
}

/** The first line from `from` (a line start or not) holding a seq and starting before `limit`. */
function probe(fd: number, from: number, limit: number): { seq: number; end: number } | null {
  let found: { seq: number; end: number } | null = null;
  scanLines(fd, from, (line, start, end) => {
    if (start >= limit) return false;
    const seq = seqOfLine(line);
    if (seq === null) return true;
    found = { seq, end };
    return false;
  });
  return found;
}

/** Below this many bytes the search reads on line by line. */
const LINEAR_BYTES = 1 << 16;

/**
 * The offset of the first line whose event's seq is above `seq` (the end of
 * the complete lines if none), by binary search: the broker, the file's only
 * writer, writes seqs in rising order. Invariant: every line that starts
 * before `low` has a seq of at most `seq`, or none. A probe starting mid-line
 * skips that piece (it is not JSON); lines without a seq are skipped.
 */
export function offsetAfterSeq(fd: number, seq: number): number {
  let low = 0;
  let high = fs.fstatSync(fd).size;
  while (high - low > LINEAR_BYTES) {
    const mid = low + Math.floor((high - low) / 2);
    const line = probe(fd, mid, high);
    if (line !== null && line.seq <= seq) low = line.end;
    else high = mid;
  }
  let offset: number | null = null;
  const end = scanLines(fd, low, (line, start) => {
    const lineSeq = seqOfLine(line);
    if (lineSeq === null || lineSeq <= seq) return true;
    offset = start;
    return false;
  }).end;
  return offset ?? end;
}
