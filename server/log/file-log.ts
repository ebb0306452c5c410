// The event log as an NDJSON file, one event per line: the room's history.
// The broker is its only writer and appends through one kept-open file
// descriptor (O_APPEND) with writeSync, a batch of events (the room's group
// commit) per write, so lines keep their order and an event is in the file
// before anyone receives it or gets its echo.
//
// An in-memory index (byte range, seq and id key of every valid line:
// server/log/history-index.ts, 10 bytes an event plus a table of id keys)
// lets replays and lookups read only what they need. With `indexPath` it is
// also kept on disk (server/log/index-file.ts) and read back at the next
// start, which then parses only the lines appended since. After a clean stop
// (no line after what the file covers) a start reads only its first and last
// records: the broker listens, and the rest are read in steps between its
// other work, or at once by the first call that needs the index. So a broker
// on a long history listens as soon as an empty one. A long history with no
// index file to trust (a first start, or the file deleted) is opened tail
// first (`tailFirst`): only its last part is indexed before open returns,
// the lines before it are read in steps once the broker listens
// (server/log/head-scan.ts), or at once by the first call that reaches them,
// and their events then take the positions below 0. The records read back are trusted only as far as
// they match the history: the same file (epoch), ending on a line boundary
// within it, and their first and last lines parse as the events they name;
// otherwise the whole history is indexed again. An edit by hand between two runs that
// keeps all of that true (a line changed in place, same length) is not
// noticed, as a running broker does not notice one either; deleting the
// index file makes the next start re-read everything.
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
import { MAX_LINE_BYTES, scanLines } from '../../shared/history-lines.ts';
import { openForAppend } from '../../shared/safe-fs.ts';
import { parseEvent } from '../../shared/validate.ts';
import type { Durability } from './durability.ts';
import type { EventLog, LogRecovery, LogState } from './event-log.ts';
import { HeadScan, idOnLine, lineStartFrom } from './head-scan.ts';
import { HistoryIndex, type IndexRecord, idKey } from './history-index.ts';
import { IndexFile } from './index-file.ts';

export interface LoadReport {
  /** Events in the history (opened tail first: in its tail). */
  readonly events: number;
  /** Opened tail first: the bytes before the tail, indexed after open returns (0 otherwise). */
  readonly headBytes: number;
  /** Of them, how many the index file described (the rest were read from the history). */
  readonly fromIndexFile: number;
  readonly skipped: number;
  readonly tornTail: boolean;
}

export interface FileLogOptions {
  readonly durability: Durability;
  /** Called after each fsync of the file returns, with the last seq it covers (the broker logs it when asked to). */
  readonly onSync?: (seq: number) => void;
  /** Where to keep the index between runs (server/log/index-file.ts); none: it is built from the history at each open. */
  readonly indexPath?: string;
  /**
   * What a line must be to be indexed: shared/validate.ts's check by default;
   * the bundled broker passes the same schema's check as the build compiled
   * it (server/precompiled/), with the same verdicts and several times faster.
   */
  readonly isRoomEvent?: ((value: unknown) => value is RoomEvent) | undefined;
  /**
   * A line skipped as not an event (written by hand, or by another program)
   * may still carry a seq, which readers of the file (poll, watch, log) see:
   * with this set, the next event's seq goes past it, so no two lines share
   * one. For a room whose seqs are its own; not for a shared room's copy,
   * whose seqs come from the NATS stream, and where the last seq says which
   * of the stream's events the copy still has to read.
   */
  readonly passSkippedSeqs?: boolean;
  /** Told the bytes of each range read (readLines): the broker lets go of what reading allocated (server/memory-release.ts). */
  readonly onRead?: (bytes: number) => void;
  /**
   * A history longer than `minBytes` with no index records to trust is
   * opened tail first: its last `tailBytes` (from a line's start) are
   * indexed before open returns, the rest after (see the file's header).
   * Not for a shared room's copy, whose count its broker compares with the
   * stream's.
   */
  readonly tailFirst?: { readonly minBytes: number; readonly tailBytes: number };
  /** Told, once the head of a history opened tail first is read after open returned, what it held. */
  readonly onHeadRead?: (report: { readonly events: number; readonly skipped: number }) => void;
}

/** What indexing lines found: events added, lines skipped, and whether the last line was torn. */
interface ScanReport {
  readonly events: number;
  readonly skipped: number;
  readonly tornTail: boolean;
}

/**
 * At most this many head events are planned for in the id table before the
 * head is read (its bytes over the tail's bytes per event; a head of long
 * lines before a tail of short ones would reserve far too much, for good).
 */
const MAX_HEAD_RESERVE = 1 << 20;

/** How soon after an append its index records are written to the index file (off the send path). */
const INDEX_FLUSH_MS = 1000;
/** Entries put in the id table per event-loop turn after a load (a few milliseconds' work). */
const HASH_STEP = 1 << 15;
/** Index file records read per event-loop turn after a start (1.5 MiB, a few milliseconds' work). */
const READ_STEP = 1 << 16;
/**
 * Bytes of a history's head read per event-loop turn after it was opened
 * tail first: ~250 lines, a millisecond or two, which a request arriving
 * meanwhile waits for (per event-loop turn it needs; the broker's own start
 * after open takes a few dozen turns).
 */
const HEAD_STEP = 1 << 16;
/** Bytes of the head read at a time at open, for its first event. */
const FIRST_EVENT_STEP = 1 << 12;

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
  /** The index as read so far: use #index, which reads what a start left unread first. */
  #entries = new HistoryIndex();
  /**
   * Opened tail first and the head not read whole yet: #entries holds the
   * tail (and what was appended since), from position 0; the head's index
   * holds at least its first event (#scanTailFirst), the log's first.
   */
  #head: HeadScan | undefined;
  /** How many entries of #entries come before position 0: the head's, once it is read (entry i is at position i - #base). */
  #base = 0;
  /**
   * The index file's records a start left unread (#load): #entries holds the
   * first ones, the rest are read in steps (#indexInSteps) or at once (#index).
   */
  #unread: { readonly file: IndexFile; readonly count: number; readonly firstSeq: number } | undefined;
  #indexFile: IndexFile | undefined;
  #closed = false;
  #indexFlushTimer: NodeJS.Timeout | undefined;
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

  /**
   * Opens (creating it 0600 if needed) and indexes a history file: from the
   * index file where it can be trusted, then the lines after what it covers;
   * a long one with no records to trust, from its tail (#scanTailFirst).
   * What is left for later is read once readInBackground() is called, or by
   * the first call that needs it.
   */
  static open(path: string, options: FileLogOptions): { log: FileLog; report: LoadReport } {
    const log = new FileLog(path, options);
    log.#identify();
    const from = options.indexPath === undefined ? 0 : log.#load(options.indexPath);
    const fromIndexFile = log.#unread?.count ?? log.#entries.count;
    // With records left unread, the history ends where they do (#load): no line to read.
    const scan =
      log.#unread !== undefined
        ? { events: 0, skipped: 0, tornTail: false }
        : ((from === 0 ? log.#scanTailFirst() : undefined) ?? log.#scan(from));
    log.#flushIndex();
    const headBytes = log.#head === undefined ? 0 : log.#head.end;
    // Opened tail first, with the head still to read: the tail's events only.
    const events = log.#unread?.count ?? log.#entries.count;
    return { log, report: { ...scan, events, headBytes, fromIndexFile } };
  }

  /** The whole index: the records a start left unread are read first. */
  get #index(): HistoryIndex {
    if (this.#unread !== undefined) this.#readUnread(Number.POSITIVE_INFINITY);
    return this.#entries;
  }

  /** Reads the unread records up to `to` into the index. */
  #readUnread(to: number): void {
    const unread = this.#unread!;
    try {
      unread.file.readInto(this.#entries, Math.min(to, unread.count));
    } catch {
      this.#rebuildUnread();
      return;
    }
    if (this.#entries.count === unread.count) this.#unread = undefined;
  }

  /**
   * Opens a long history tail first (FileLogOptions.tailFirst): indexes the
   * lines from the first line start in its last `tailBytes`, then the head
   * up to its first event (its seq is the log's first), and leaves the rest
   * of the head to #indexInSteps. Undefined, with nothing done, when the
   * history is not long enough or its tail holds no event.
   */
  #scanTailFirst(): ScanReport | undefined {
    const tailFirst = this.#options.tailFirst;
    const size = fs.fstatSync(this.#fd).size;
    if (tailFirst === undefined || size <= tailFirst.minBytes) return undefined;
    const start = lineStartFrom(this.#fd, size - tailFirst.tailBytes);
    if (start === undefined || start === 0) return undefined;
    const tail = this.#scan(start);
    if (this.#entries.count === 0) {
      this.#forget();
      return undefined;
    }
    const passSeqs = this.#options.passSkippedSeqs === true;
    const scan = new HeadScan({
      fd: this.#fd,
      end: start,
      expected: Math.min(MAX_HEAD_RESERVE, Math.ceil((start * this.#entries.count) / (size - start))),
      below: this.#entries.seq(0),
      isRoomEvent: this.#options.isRoomEvent,
      inTail: (id, key) => this.#entries.findKey(key, (i) => this.#idAt(i) === id) !== undefined,
      onSkipped: passSeqs ? (line) => this.#passSeqOf(line) : undefined,
    });
    // The first event the head keeps is the log's first (a resume from before it was cleared):
    // nearly always on its first line, so a line or two at a time.
    while (scan.index.count === 0 && !scan.step(FIRST_EVENT_STEP));
    this.#head = scan;
    if (!scan.done) return tail;
    // The head holds nothing but that first event, or nothing at all: read whole now.
    const head = this.#joinHead();
    return { ...tail, skipped: tail.skipped + head.skipped };
  }

  /** Reads the rest of a head opened tail first (#scanTailFirst), puts it in front of the tail, and says so. */
  #readHead(): void {
    const head = this.#head!;
    while (!head.step(Number.POSITIVE_INFINITY));
    this.#joinHeadAndTell();
  }

  /** #joinHead, then onHeadRead hears what the head held (joined first: an optional call skips its arguments). */
  #joinHeadAndTell(): void {
    const head = this.#joinHead();
    this.#options.onHeadRead?.(head);
  }

  /** The head is read: its entries go in front of the tail's, which keep their positions; what it held. */
  #joinHead(): { events: number; skipped: number } {
    const { index, skipped } = this.#head!;
    const tail = this.#entries;
    const events = index.count;
    for (let i = 0; i < tail.count; i++) index.push(tail.offset(i), tail.length(i), tail.seq(i), tail.key(i));
    this.#base = events;
    this.#entries = index;
    this.#head = undefined;
    this.#flushIndex();
    return { events, skipped };
  }

  /**
   * The index file was cut under the broker before its records were read
   * (it is derived data): the index is rebuilt from the history's lines up
   * to #end, which the records stood for. #end, #size and #needsNewline are
   * left as they are: the caller may be an append that has just written
   * past them, or verify() about to read on from #end.
   */
  #rebuildUnread(): void {
    const end = this.#end;
    this.#unread = undefined;
    this.#entries.clear();
    this.#indexFile?.reset(this.#epoch);
    scanLines(this.#fd, 0, (line, start, stop) => {
      if (stop > end) return false;
      this.#indexLine(line.toString('utf8'), start, stop - start - 1);
      return true;
    });
    this.#flushIndex();
  }

  /**
   * Starts reading what open() left for later (the index file's records, or
   * the head of a history opened tail first), then filling the id table, a
   * step at a time between other work. The broker calls it once it listens,
   * so its start is not slowed by it; a call that needs any of it sooner
   * reads it at once, as it does when this is never called.
   */
  readInBackground(): void {
    this.#indexInSteps();
  }

  #indexInSteps(): void {
    if (this.#closed || (this.#unread === undefined && this.#head === undefined && this.#entries.hashed)) return;
    setImmediate(() => {
      if (this.#closed) return;
      if (this.#unread !== undefined) this.#readUnread(this.#entries.count + READ_STEP);
      else if (this.#head !== undefined) {
        if (this.#head.step(HEAD_STEP)) this.#joinHeadAndTell();
      } else this.#entries.hashSome(HASH_STEP);
      this.#indexInSteps();
    });
  }

  /**
   * Checks the index file against the history (its first and last records
   * describe their lines; the last ends on a newline within the file); the
   * offset from which lines remain to be read. When the history ends where
   * the file's records do, they are left unread (#unread); otherwise they
   * are read now, and the lines after them next.
   */
  #load(indexPath: string): number {
    const file = IndexFile.open(indexPath, this.#epoch);
    this.#indexFile = file;
    const count = file.count;
    if (count === 0) return 0;
    const size = fs.fstatSync(this.#fd).size;
    const first = file.record(0);
    const last = count === 1 ? first : file.record(count - 1);
    const end = last.offset + last.length + 1;
    const newline = Buffer.alloc(1);
    const trusted =
      end <= size &&
      fs.readSync(this.#fd, newline, 0, 1, end - 1) === 1 &&
      newline[0] === 0x0a &&
      this.#describes(first) &&
      this.#describes(last);
    if (!trusted) {
      file.reset(this.#epoch);
      return 0;
    }
    this.#lastSeq = last.seq;
    if (end === size) {
      this.#unread = { file, count, firstSeq: first.seq };
      this.#end = end;
      this.#size = end;
    } else file.readInto(this.#entries, count);
    return end;
  }

  /** Whether the line at a record's byte range is the event the record says (its seq, its id's key). */
  #describes(record: IndexRecord): boolean {
    if (record.length > MAX_LINE_BYTES) return false;
    const bytes = Buffer.alloc(record.length);
    if (fs.readSync(this.#fd, bytes, 0, record.length, record.offset) !== record.length) return false;
    const event = parseEvent(bytes.toString('utf8'), this.#options.isRoomEvent);
    return event !== null && event.seq === record.seq && idKey(event.id) === record.key;
  }

  /** Index records a start left unread so far (0 once they are all in memory): for tests. */
  get unreadRecords(): number {
    return this.#unread === undefined ? 0 : this.#unread.count - this.#entries.count;
  }

  /** Bytes of a head opened tail first not read yet (0 once it is read, or when the history was not opened so): for tests. */
  get unreadHeadBytes(): number {
    return this.#head === undefined ? 0 : this.#head.left;
  }

  get epoch(): string {
    return this.#epoch;
  }

  get state(): LogState {
    const unread = this.#unread;
    const lastSeq = this.#lastSeq;
    if (unread !== undefined) return { firstSeq: unread.firstSeq, lastSeq, count: unread.count, end: unread.count };
    const end = this.#entries.count - this.#base;
    if (this.#head !== undefined) {
      // The head's events are not counted yet: reading them is left to whoever asks.
      const log = this;
      return {
        firstSeq: this.#head.index.seq(0),
        lastSeq,
        end,
        get count(): number {
          if (log.#head !== undefined) log.#readHead();
          return log.#entries.count;
        },
      };
    }
    const count = this.#entries.count;
    return { firstSeq: count > 0 ? this.#index.seq(0) : lastSeq + 1, lastSeq, count, end };
  }

  #identify(): void {
    const st = fs.fstatSync(this.#fd);
    this.#dev = st.dev;
    this.#ino = st.ino;
    this.#epoch = epochOf(st);
  }

  /** Indexes the complete lines from byte `from` to the end of the file. */
  #scan(from: number): ScanReport {
    let skipped = 0;
    const before = this.#index.count;
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
    return { events: this.#index.count - before, skipped: skipped + scan.overlong + (tornTail ? 1 : 0), tornTail };
  }

  /** Adds a line to the index if it is a valid event in sequence; false if skipped. */
  #indexLine(line: string, start: number, length: number): boolean {
    const event = parseEvent(line, this.#options.isRoomEvent);
    if (event === null) {
      if (this.#options.passSkippedSeqs === true) this.#passSeqOf(line);
      return false;
    }
    const key = idKey(event.id); // once a line: it is both looked up and stored
    if (!this.#index.admits(event.seq, key, (i) => this.#idAt(i) === event.id)) return false;
    this.#push(event, start, length, key);
    return true;
  }

  /** Makes the last seq at least a skipped line's, when it has one (passSkippedSeqs). */
  #passSeqOf(line: string): void {
    let seq: unknown;
    try {
      seq = (JSON.parse(line) as { seq?: unknown } | null)?.seq;
    } catch {
      return;
    }
    if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq > this.#lastSeq) this.#lastSeq = seq;
  }

  #push(event: RoomEvent, start: number, length: number, key = idKey(event.id)): void {
    this.#index.push(start, length, event.seq, key);
    if (event.seq > this.#lastSeq) this.#lastSeq = event.seq;
  }

  /** Forgets the index (the file is read again from its start), on disk too. */
  #forget(): void {
    this.#unread = undefined;
    this.#head = undefined;
    this.#base = 0;
    this.#entries.clear();
    this.#indexFile?.reset(this.#epoch);
    this.#end = 0;
    this.#size = 0;
    this.#needsNewline = false;
  }

  /** Writes the index entries the index file lacks. */
  #flushIndex(): void {
    clearTimeout(this.#indexFlushTimer);
    this.#indexFlushTimer = undefined;
    const file = this.#indexFile;
    // Records left unread are all in the file already; a head not read yet must come first in it.
    if (file === undefined || this.#unread !== undefined || this.#head !== undefined) return;
    if (file.count >= this.#entries.count) return;
    file.append(this.#index.records(file.count, this.#index.count));
  }

  /** Writes the index file soon (appends call this: the write is kept off the send path). */
  #flushIndexSoon(): void {
    if (this.#indexFile === undefined || this.#indexFlushTimer !== undefined) return;
    this.#indexFlushTimer = setTimeout(() => this.#flushIndex(), INDEX_FLUSH_MS);
    this.#indexFlushTimer.unref();
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
    this.#flushIndexSoon();
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

  reset(): void {
    this.clear();
    this.#lastSeq = 0;
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
      const report = this.#scan(this.#end);
      this.#flushIndexSoon();
      return {
        message: `grew outside the broker: ${report.events} events added to the index${report.skipped > 0 ? `, ${report.skipped} lines skipped` : ''}`,
      };
    }
    this.#forget();
    const report = this.#scan(0);
    this.#flushIndex();
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
    const report = this.#scan(0);
    this.#flushIndex();
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
    // Every head event's seq is below the tail's first: only a seq before that needs the head.
    if (this.#head !== undefined && seq < this.#entries.seq(0) - 1) this.#readHead();
    return this.#index.positionAfter(seq) - this.#base;
  }

  /** The index holds a key of each id: each entry with this id's key is checked against its line (ids are unique). */
  positionOf(id: string): number | undefined {
    const key = idKey(id);
    let found = this.#positionOfKey(id, key);
    if (found === undefined && this.#head !== undefined) {
      this.#readHead();
      found = this.#positionOfKey(id, key);
    }
    return found === undefined ? undefined : found - this.#base;
  }

  #positionOfKey(id: string, key: number): number | undefined {
    return this.#index.findKey(key, (i) => this.#idAt(i) === id);
  }

  /**
   * Ids start with 8 hex digits (UUIDs), which are their keys: a hex prefix
   * is matched against the keys, then each candidate's line is read. An id
   * of another shape (only in a history edited by hand) is found by its full
   * id, not by a prefix.
   */
  idsWithPrefix(prefix: string, limit: number): string[] {
    if (this.#head !== undefined) this.#readHead();
    const wanted = prefix.toLowerCase();
    const digits = /^[0-9a-f]{0,8}/.exec(wanted)![0];
    if (digits.length === 0 || digits.length < Math.min(8, wanted.length)) return [];
    const found: string[] = [];
    this.#index.scanKeyPrefix(Number.parseInt(digits, 16), digits.length * 4, (i) => {
      const id = this.#idAt(i);
      if (id?.startsWith(wanted) === true) found.push(id);
      return found.length < limit;
    });
    return found;
  }

  /** The id on the line of entry `i` (undefined if it no longer reads as an event: the file changed under us). */
  #idAt(i: number): string | undefined {
    const index = this.#index;
    return i < index.count ? idOnLine(this.#fd, index.offset(i), index.length(i)) : undefined;
  }

  readLines(from: number, to: number, maxBytes = Number.POSITIVE_INFINITY): string[] {
    if (from < 0 && this.#head !== undefined) this.#readHead();
    return this.#readEntries(Math.max(0, from + this.#base), to + this.#base, maxBytes);
  }

  /** The lines of entries [from, to) (indices into the index, not positions). */
  #readEntries(from: number, to: number, maxBytes: number): string[] {
    const index = this.#index;
    let end = Math.min(to, index.count);
    if (from >= end) return [];
    const base = index.offset(from);
    let bytes = 0;
    for (let i = from; i < end; i++) {
      bytes = index.offset(i) + index.length(i) - base;
      if (bytes >= maxBytes) {
        end = i + 1;
        break;
      }
    }
    const buffer = Buffer.allocUnsafe(bytes);
    // A file cut short under us (before verify() noticed) gives fewer bytes: only whole lines are returned.
    const got = fs.readSync(this.#fd, buffer, 0, buffer.length, base);
    this.#options.onRead?.(got);
    const lines: string[] = [];
    for (let i = from; i < end; i++) {
      const start = index.offset(i) - base;
      const stop = start + index.length(i);
      if (stop > got) break;
      lines.push(buffer.toString('utf8', start, stop));
    }
    return lines;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#syncTimer);
    this.#flushQuietly();
    this.#flushIndex();
    this.#indexFile?.close();
    fs.closeSync(this.#fd);
  }
}
