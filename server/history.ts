// The room's history file: NDJSON, one event per line. The broker is its only
// writer and appends through one kept-open file descriptor with writeSync, so
// lines keep their order and an event is in the file (the kernel's page
// cache) before anyone receives it or gets its echo.
//
// The broker keeps an index of the file in memory (byte range, seq and id of
// every valid line) so replays and lookups read only what they need.
import * as fs from 'node:fs';
import type { RoomEvent } from '../shared/events.ts';
import { openForAppend } from '../shared/safe-fs.ts';
import { parseEvent } from '../shared/validate.ts';

const READ_CHUNK = 1 << 20;
const NEWLINE = 0x0a;

export interface LoadReport {
  readonly events: number;
  readonly skipped: number;
  readonly tornTail: boolean;
}

export class History {
  readonly path: string;
  readonly #fd: number;
  #starts: number[] = [];
  #lengths: number[] = [];
  #seqs: number[] = [];
  /**
   * The seq of the last event appended or indexed. It never goes back, not
   * even when /clear empties the file: live clients drop an event whose seq
   * they have already passed as a duplicate.
   */
  #lastSeq = 0;
  #ids = new Map<string, number>();
  #size = 0;
  /** The file does not end with a newline (a torn last line): the next append starts a fresh one. */
  #needsNewline = false;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Opens (creating it 0600 if needed) and indexes a history file. */
  static open(path: string): { history: History; report: LoadReport } {
    const history = new History(path, openForAppend(path));
    const report = history.#load();
    return { history, report };
  }

  get length(): number {
    return this.#seqs.length;
  }

  /** The seq of the last event (also after /clear), 0 for a history that never had one. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The seq of the first event still in the file (after `/clear` it is the notice's). */
  get firstSeq(): number {
    return this.#seqs[0] ?? this.lastSeq + 1;
  }

  #load(): LoadReport {
    let skipped = 0;
    let position = 0;
    let carry = Buffer.alloc(0);
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const n = fs.readSync(this.#fd, chunk, 0, READ_CHUNK, position);
      if (n === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      const base = position - carry.length;
      let lineStart = 0;
      for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, lineStart)) {
        if (nl > lineStart && !this.#indexLine(data.toString('utf8', lineStart, nl), base + lineStart, nl - lineStart))
          skipped++;
        lineStart = nl + 1;
      }
      carry = Buffer.from(data.subarray(lineStart));
      position += n;
    }
    this.#size = position;
    // A last line without its newline was torn by a crash: it was never
    // acknowledged, so it is ignored, and the next append starts a new line.
    const tornTail = carry.length > 0;
    if (tornTail) {
      this.#needsNewline = true;
      skipped++;
    }
    return { events: this.length, skipped, tornTail };
  }

  /** Adds a line to the index if it is a valid event in sequence; false if skipped. */
  #indexLine(line: string, start: number, length: number): boolean {
    const event = parseEvent(line);
    if (event === null || event.seq <= this.lastSeq || this.#ids.has(event.id)) return false;
    this.#push(event, start, length);
    return true;
  }

  #push(event: RoomEvent, start: number, length: number): void {
    this.#ids.set(event.id, this.#seqs.length);
    this.#starts.push(start);
    this.#lengths.push(length);
    this.#seqs.push(event.seq);
    this.#lastSeq = event.seq;
  }

  /**
   * Appends one event and returns its line (without the newline). Throws if
   * the write fails; the event must then not be broadcast or acknowledged.
   */
  append(event: RoomEvent): string {
    const line = JSON.stringify(event);
    const prefix = this.#needsNewline ? '\n' : '';
    const bytes = Buffer.from(`${prefix}${line}\n`);
    let written = 0;
    try {
      while (written < bytes.length) written += fs.writeSync(this.#fd, bytes, written);
    } catch (error) {
      // A partial line may be on disk: make sure the next one starts fresh.
      this.#size += written;
      this.#needsNewline = written > 0 && bytes[written - 1] !== NEWLINE;
      throw error;
    }
    this.#push(event, this.#size + prefix.length, bytes.length - prefix.length - 1);
    this.#size += bytes.length;
    this.#needsNewline = false;
    return line;
  }

  /** Empties the file (for `/clear`). Seqs keep increasing afterwards (lastSeq stays). */
  clear(): void {
    fs.ftruncateSync(this.#fd, 0);
    this.#starts = [];
    this.#lengths = [];
    this.#seqs = [];
    this.#ids.clear();
    this.#size = 0;
    this.#needsNewline = false;
  }

  /** The index of the first event with a seq greater than `seq` (may equal `length`). */
  indexAfterSeq(seq: number): number {
    let lo = 0;
    let hi = this.#seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#seqs[mid] ?? 0) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  indexOfId(id: string): number | undefined {
    return this.#ids.get(id);
  }

  /** Ids starting with `prefix` (lower case), at most `limit` of them. */
  idsWithPrefix(prefix: string, limit: number): string[] {
    const found: string[] = [];
    const wanted = prefix.toLowerCase();
    for (const id of this.#ids.keys()) {
      if (id.startsWith(wanted)) {
        found.push(id);
        if (found.length >= limit) break;
      }
    }
    return found;
  }

  /** The lines (JSON text) of the events at indexes [from, to), read from the file in one go. */
  readLines(from: number, to: number): string[] {
    const end = Math.min(to, this.length);
    if (from >= end) return [];
    const base = this.#starts[from] ?? 0;
    const last = end - 1;
    const buffer = Buffer.allocUnsafe((this.#starts[last] ?? 0) + (this.#lengths[last] ?? 0) - base);
    fs.readSync(this.#fd, buffer, 0, buffer.length, base);
    const lines: string[] = [];
    for (let i = from; i < end; i++) {
      const start = (this.#starts[i] ?? 0) - base;
      lines.push(buffer.toString('utf8', start, start + (this.#lengths[i] ?? 0)));
    }
    return lines;
  }

  /** The events at indexes [from, to). Lines were validated when indexed (the broker is the only writer). */
  read(from: number, to: number): RoomEvent[] {
    return this.readLines(from, to).map((line) => JSON.parse(line) as RoomEvent);
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}
