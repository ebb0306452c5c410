// The event log as an NDJSON file, one event per line: the room's history.
// The broker is its only writer and appends through one kept-open file
// descriptor (O_APPEND) with writeSync, a batch of events (the room's group
// commit) per write, so lines keep their order and an event is in the file
// before anyone receives it or gets its echo.
//
// An in-memory index (byte range, seq and id of every valid line) lets
// replays and lookups read only what they need.
//
// Faults, and what is done about them:
// - a write that fails part-way (ENOSPC, EIO) is cut back to the last good
//   line before the error is thrown, so the next event never lands glued to
//   a partial one; if even that fails, the next append starts a fresh line;
// - a torn last line left by a crash is ignored on load (never acknowledged);
// - the file edited under the broker (appended to, truncated, deleted,
//   renamed away, replaced) is noticed by verify(), which compares the kept
//   fd and the path (lstat: inode, device; fstat: size) with what the index
//   describes, and recovers: new lines are indexed, a shrunk file is
//   re-indexed, a missing one recreated, a replaced one reopened;
// - lines too long to be events are skipped in linear time (shared/history-lines.ts).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { type RoomError, roomError } from '../../shared/errors.ts';
import type { RoomEvent } from '../../shared/events.ts';
import { scanLines } from '../../shared/history-lines.ts';
import { openForAppend } from '../../shared/safe-fs.ts';
import { parseEvent } from '../../shared/validate.ts';
import type { Durability } from './durability.ts';
import { type EventLog, type LogRecovery, type LogState, positionAfterSeq } from './event-log.ts';

export interface LoadReport {
  readonly events: number;
  readonly skipped: number;
  readonly tornTail: boolean;
}

export interface FileLogOptions {
  readonly durability: Durability;
  /** Called after each fsync of the file returns, with the last seq it covers (the broker logs it when asked to). */
  readonly onSync?: (seq: number) => void;
}

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/** The epoch of a file: its identity (device, inode, birth time), hashed. A file put in its place gets another. */
function epochOf(st: fs.Stats): string {
  return createHash('sha256').update(`${st.dev}:${st.ino}:${st.birthtimeMs}`).digest('hex').slice(0, 16);
}

export class FileLog implements EventLog {
  readonly path: string;
  readonly #options: FileLogOptions;
  #fd: number;
  #dev = 0;
  #ino = 0;
  #epoch = '';
  #starts: number[] = [];
  #lengths: number[] = [];
  #seqs: number[] = [];
  #ids = new Map<string, number>();
  #lastSeq = 0;
  /** The offset just after the last complete line indexed or appended. */
  #end = 0;
  /** The file's size as the broker last knew it (#end plus any torn tail). */
  #size = 0;
  /** The file does not end with a newline (a torn last line): the next append starts a fresh one. */
  #needsNewline = false;
  /** Appends not yet flushed to disk (batch policy), and the timer that will. */
  #dirty = false;
  #syncTimer: NodeJS.Timeout | undefined;
  /** How many fsyncs of the file have returned (for tests and figures). */
  syncs = 0;

  private constructor(path: string, options: FileLogOptions) {
    this.path = path;
    this.#options = options;
    this.#fd = openForAppend(path);
  }

  /** Opens (creating it 0600 if needed) and indexes a history file. */
  static open(path: string, options: FileLogOptions): { log: FileLog; report: LoadReport } {
    const log = new FileLog(path, options);
    log.#identify();
    const report = log.#index(0);
    return { log, report };
  }

  get epoch(): string {
    return this.#epoch;
  }

  get state(): LogState {
    return { firstSeq: this.#seqs[0] ?? this.#lastSeq + 1, lastSeq: this.#lastSeq, count: this.#seqs.length };
  }

  #identify(): void {
    const st = fs.fstatSync(this.#fd);
    this.#dev = st.dev;
    this.#ino = st.ino;
    this.#epoch = epochOf(st);
  }

  /** Indexes the complete lines from byte `from` to the end of the file. */
  #index(from: number): LoadReport {
    let skipped = 0;
    const before = this.#seqs.length;
    const scan = scanLines(this.#fd, from, (line, start, end) => {
      if (!this.#indexLine(line.toString('utf8'), start, end - start - 1)) skipped++;
      return true;
    });
    this.#end = scan.end;
    this.#size = scan.end + scan.tail;
    // A last line without its newline was torn by a crash (or is being
    // written by hand): it was never acknowledged, so it is ignored, and the
    // next append starts a new line.
    this.#needsNewline = scan.tail > 0;
    const tornTail = scan.tail > 0;
    return { events: this.#seqs.length - before, skipped: skipped + scan.overlong + (tornTail ? 1 : 0), tornTail };
  }

  /** Adds a line to the index if it is a valid event in sequence; false if skipped. */
  #indexLine(line: string, start: number, length: number): boolean {
    const event = parseEvent(line);
    const last = this.#seqs.at(-1) ?? 0;
    if (event === null || event.seq <= last || this.#ids.has(event.id)) return false;
    this.#push(event, start, length);
    return true;
  }

  #push(event: RoomEvent, start: number, length: number): void {
    this.#ids.set(event.id, this.#seqs.length);
    this.#starts.push(start);
    this.#lengths.push(length);
    this.#seqs.push(event.seq);
    if (event.seq > this.#lastSeq) this.#lastSeq = event.seq;
  }

  #forget(): void {
    this.#starts = [];
    this.#lengths = [];
    this.#seqs = [];
    this.#ids.clear();
    this.#end = 0;
    this.#size = 0;
    this.#needsNewline = false;
  }

  /** Appends one event and returns its line (without the newline): appendAll of one. */
  append(event: RoomEvent): string {
    return this.appendAll([event])[0]!;
  }

  /**
   * Appends events (in seq order) with one write, and one fsync under the
   * `always` policy, and returns their lines (without the newline). Throws a
   * RoomError (disk_full, history_write_failed) if the write fails, after
   * cutting any partial line back off the file: then none of them is stored,
   * and none may be published or acknowledged. Callers run verify() first.
   */
  appendAll(events: readonly RoomEvent[]): string[] {
    const lines = events.map((event) => JSON.stringify(event));
    const prefix = this.#needsNewline ? '\n' : '';
    const bytes = Buffer.from(`${prefix}${lines.join('\n')}\n`);
    let written = 0;
    try {
      while (written < bytes.length) written += fs.writeSync(this.#fd, bytes, written);
      if (this.#options.durability.policy === 'always') fs.fsyncSync(this.#fd);
    } catch (error) {
      this.#undo(written);
      throw this.#writeError(error);
    }
    let start = this.#size + prefix.length;
    for (let i = 0; i < events.length; i++) {
      const line = lines[i]!;
      const length = Buffer.byteLength(line);
      this.#push(events[i]!, start, length);
      start += length + 1;
    }
    this.#size += bytes.length;
    this.#end = this.#size;
    this.#needsNewline = false;
    this.#synced(events.at(-1)!.seq);
    return lines;
  }

  /** After a failed append: the file back to what it was, or else the next line starts fresh. */
  #undo(written: number): void {
    if (written === 0) return;
    try {
      fs.ftruncateSync(this.#fd, this.#size);
    } catch {
      this.#size += written;
      this.#needsNewline = true;
    }
  }

  #writeError(error: unknown): RoomError {
    const code = errno(error);
    if (code === 'ENOSPC' || code === 'EDQUOT') return roomError('disk_full', { path: this.path }, { cause: error });
    return roomError('history_write_failed', { path: this.path, detail: code ?? String(error) }, { cause: error });
  }

  /** Durability bookkeeping after an append (always: already flushed; batch: flush soon). */
  #synced(seq: number): void {
    const durability = this.#options.durability;
    if (durability.policy === 'always') {
      this.syncs++;
      this.#options.onSync?.(seq);
      return;
    }
    if (durability.policy !== 'batch') return;
    this.#dirty = true;
    if (this.#syncTimer !== undefined) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (!this.#dirty) return;
      this.#dirty = false;
      const covered = this.#lastSeq;
      // Off the event loop: sends go on while the disk catches up.
      fs.fsync(this.#fd, (error) => {
        if (error !== null) {
          this.#dirty = true; // retried at the next append's timer
          return;
        }
        this.syncs++;
        this.#options.onSync?.(covered);
      });
    }, durability.batchMs);
    this.#syncTimer.unref();
  }

  /** Empties the file (for `/clear`). Seqs keep increasing afterwards (lastSeq stays); the epoch stays (same file). */
  clear(): void {
    fs.ftruncateSync(this.#fd, 0);
    this.#forget();
  }

  verify(): LogRecovery | null {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.path);
    } catch (error) {
      if (errno(error) !== 'ENOENT') throw error;
      return this.#reopen(`was deleted or renamed while the broker ran: started a new, empty one`);
    }
    if (st.dev !== this.#dev || st.ino !== this.#ino)
      return this.#reopen('was replaced by another file while the broker ran: now using that file');
    const size = fs.fstatSync(this.#fd).size;
    if (size === this.#size) return null;
    if (size > this.#size) {
      const report = this.#index(this.#end);
      return {
        message: `grew outside the broker: ${report.events} events added to the index${report.skipped > 0 ? `, ${report.skipped} lines skipped` : ''}`,
      };
    }
    this.#forget();
    const report = this.#index(0);
    return { message: `was truncated outside the broker: re-indexed, ${report.events} events left` };
  }

  /** Opens whatever is at the path now (creating it if missing) and indexes it; seqs keep increasing. */
  #reopen(what: string): LogRecovery {
    const fd = openForAppend(this.path);
    this.#flushQuietly();
    fs.closeSync(this.#fd);
    this.#fd = fd;
    this.#identify();
    this.#forget();
    const report = this.#index(0);
    return { message: `${what} (${report.events} events in it)` };
  }

  #flushQuietly(): void {
    if (this.#options.durability.policy === 'off' || !this.#dirty) return;
    try {
      fs.fsyncSync(this.#fd);
      this.#dirty = false;
    } catch {
      // the file is going away anyway
    }
  }

  positionAfter(seq: number): number {
    return positionAfterSeq(this.#seqs, seq);
  }

  positionOf(id: string): number | undefined {
    return this.#ids.get(id);
  }

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

  readLines(from: number, to: number, maxBytes = Number.POSITIVE_INFINITY): string[] {
    let end = Math.min(to, this.#seqs.length);
    if (from >= end) return [];
    const base = this.#starts[from] ?? 0;
    let bytes = 0;
    for (let i = from; i < end; i++) {
      bytes = (this.#starts[i] ?? 0) + (this.#lengths[i] ?? 0) - base;
      if (bytes >= maxBytes) {
        end = i + 1;
        break;
      }
    }
    const buffer = Buffer.allocUnsafe(bytes);
    // A file cut short under us (before verify() noticed) gives fewer bytes: only whole lines are returned.
    const got = fs.readSync(this.#fd, buffer, 0, buffer.length, base);
    const lines: string[] = [];
    for (let i = from; i < end; i++) {
      const start = (this.#starts[i] ?? 0) - base;
      const stop = start + (this.#lengths[i] ?? 0);
      if (stop > got) break;
      lines.push(buffer.toString('utf8', start, stop));
    }
    return lines;
  }

  close(): void {
    clearTimeout(this.#syncTimer);
    this.#flushQuietly();
    fs.closeSync(this.#fd);
  }
}
