// The reading of a history's head after it was opened tail first
// (server/log/file-log.ts): a long history with no index file to trust has
// only its last part (the tail: 256 KiB for the broker) indexed before the
// broker listens; the lines before it (the head) are read here, a step at a
// time between the broker's other work, into an index of their own, which
// the log then puts in front of the tail's.
//
// The tail's events were served, and events appended after them, before the
// head was read, so the head gives way wherever the two disagree: a head line
// whose seq is not below the tail's first, or whose id the tail (or an event
// appended since) already holds, is skipped, and its seq passed on like a
// line that is not an event (FileLogOptions.passSkippedSeqs), so no later
// event takes it. In a history the broker wrote, where seqs rise line by
// line and ids are unique, nothing is skipped, and the result is what
// reading the file from its start gives. In one edited by hand it can
// differ: a send made before the head was read may have taken a seq that a
// skipped head line carries.
import * as fs from 'node:fs';
import type { RoomEvent } from '../../shared/events.ts';
import { scanLines } from '../../shared/history-lines.ts';
import { parseEvent } from '../../shared/validate.ts';
import { HistoryIndex, idKey } from './history-index.ts';

export interface HeadScanOptions {
  readonly fd: number;
  /** Where the tail starts (a line's first byte): the head is the lines before it. */
  readonly end: number;
  /** About how many events the head holds (its bytes over the tail's bytes per event): the id table is sized for them at once. */
  readonly expected: number;
  /** The seq of the tail's first event: every head event's must be lower. */
  readonly below: number;
  readonly isRoomEvent?: ((value: unknown) => value is RoomEvent) | undefined;
  /** Whether the tail (or an event appended since) holds an event with this id. */
  readonly inTail: (id: string, key: number) => boolean;
  /** Told each line skipped (FileLogOptions.passSkippedSeqs: its seq, if it has one, is passed). */
  readonly onSkipped?: ((line: string) => void) | undefined;
}

/** A step's reads go this far past its bytes, so the line that crosses its end is read in the same chunk. */
const STEP_SLACK = 1 << 14;

export class HeadScan {
  readonly #options: HeadScanOptions;
  /** The head's events read so far. */
  readonly index = new HistoryIndex();
  /** Where the next step starts: the first byte of a line not read yet. */
  #next = 0;
  /** Lines skipped so far: not events, too long to be one, or giving way to the tail. */
  skipped = 0;

  constructor(options: HeadScanOptions) {
    this.#options = options;
    this.index.reserve(options.expected);
  }

  /** Where the head ends (the tail's first byte). */
  get end(): number {
    return this.#options.end;
  }

  /** Bytes of the head not read yet. */
  get left(): number {
    return this.#options.end - this.#next;
  }

  get done(): boolean {
    return this.#next >= this.#options.end;
  }

  /** Reads the head's lines from where the last step stopped, about `bytes` of them; true when the head is read. */
  step(bytes: number): boolean {
    const { fd, end } = this.#options;
    if (this.done) return true;
    const from = this.#next;
    const limit = Math.min(end, from + bytes);
    const scan = scanLines(
      fd,
      from,
      (line, start, stop) => {
        if (start >= limit) {
          this.#next = start;
          return false;
        }
        this.#add(line.toString('utf8'), start, stop - start - 1);
        this.#next = stop;
        return stop < end;
      },
      // A step reads about what it indexes; reading the rest at once, the default chunk.
      Number.isFinite(bytes) ? bytes + STEP_SLACK : undefined,
    );
    // No line read: the file ends before the head does (it was cut under the
    // broker, which its next check of the file notices and recovers from).
    // The step gives up rather than read the same bytes again.
    if (this.#next === from) this.#next = end;
    this.skipped += scan.overlong;
    return this.done;
  }

  #add(line: string, start: number, length: number): void {
    const { isRoomEvent, onSkipped } = this.#options;
    const event = parseEvent(line, isRoomEvent);
    const key = event === null ? 0 : idKey(event.id);
    if (event === null || !this.#accepts(event, key)) {
      this.skipped++;
      onSkipped?.(line);
      return;
    }
    this.index.push(start, length, event.seq, key);
  }

  /** Whether an event joins the head: below the tail's first seq, its id not the tail's, and as any history line (HistoryIndex.admits). */
  #accepts(event: RoomEvent, key: number): boolean {
    if (event.seq >= this.#options.below || this.#options.inTail(event.id, key)) return false;
    return this.index.admits(event.seq, key, (i) => this.#idAt(i) === event.id);
  }

  /** The id on the line of head entry `i`. */
  #idAt(i: number): string | undefined {
    return idOnLine(this.#options.fd, this.index.offset(i), this.index.length(i));
  }
}

/** The id of the event on the line at [offset, offset + length) of the file, if it reads as one. */
export function idOnLine(fd: number, offset: number, length: number): string | undefined {
  const bytes = Buffer.allocUnsafe(length);
  if (fs.readSync(fd, bytes, 0, length, offset) !== length) return undefined;
  try {
    const id: unknown = (JSON.parse(bytes.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The first byte of the first line that starts at or after `at` (undefined: none does). */
export function lineStartFrom(fd: number, at: number): number | undefined {
  if (at <= 0) return 0;
  const chunk = Buffer.allocUnsafe(1 << 16);
  for (let position = at - 1; ; position += chunk.length) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) return undefined;
    const newline = chunk.subarray(0, n).indexOf(0x0a);
    if (newline !== -1) return position + newline + 1;
  }
}
