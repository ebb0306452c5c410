// The history's index kept on disk, beside the other room files
// (room-<id>.idx, shared/paths.ts), so that a broker restarting on a long
// history reads 24 bytes per event instead of parsing and validating every
// line: a 1,000,000-event history is 24 MB to read, not 250 MB to parse
// (seconds), and the broker listens at once (issue 12).
//
// Why a file, when a history with none is read tail first and the rest after
// listening (server/log/head-scan.ts): the broker needs the whole index for
// much of its work. A keyed send (the live clients' sends, `room send
// --retry`) must know that its event id is nowhere in the history before it
// is stored (server/idempotency.ts), and a partial index cannot answer "not
// there"; an old page or a resume from long ago needs the lines before the
// tail. Reading this file takes tens of milliseconds where parsing the
// history takes seconds, so the broker listens first and reads the records
// in steps after (server/log/file-log.ts); a request that needs them sooner
// reads the rest at once. The file is cheap to keep current: records are
// only ever appended.
//
// Format: a 32-byte header (MAGIC, then the history's epoch in 16 ASCII
// characters, then 8 zero bytes), then one 24-byte record per event line
// (server/log/history-index.ts), in file order. The records only ever
// describe lines already in the history (they are written after them), and
// are never fsynced: the file is derived data. Whatever is wrong with it (a
// torn last record, another history's epoch, records that do not match the
// history's lines: FileLog checks) costs a rebuild, never an event.
import * as fs from 'node:fs';
import { openForAppend } from '../../shared/safe-fs.ts';
import { type HistoryIndex, type IndexRecord, RECORD_BYTES, readRecord } from './history-index.ts';

const MAGIC = 'ROOMIDX1';
const HEADER_BYTES = 32;
/** Records read at a time (1.5 MiB): what a load holds besides the index itself. */
const READ_RECORDS = 1 << 16;

function header(epoch: string): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.write(epoch.padEnd(16, '0').slice(0, 16), MAGIC.length, 'latin1');
  return bytes;
}

export class IndexFile {
  readonly path: string;
  #fd: number;
  /** Records in the file (those after the last whole one were cut off at open). */
  #count = 0;
  /** A write failed: the file is left empty and no longer written, until the next reset. */
  #broken = false;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /**
   * Opens (creating it 0600 if needed) the index file of the history with
   * this epoch. A file for another epoch, or that is no index file, is
   * emptied; a record torn by a crash is cut off. No record is read yet
   * (record, readInto): a start reads the first and last to check them, and
   * the rest when the broker listens.
   */
  static open(path: string, epoch: string): IndexFile {
    const file = new IndexFile(path, openForAppend(path));
    file.#check(epoch);
    return file;
  }

  get count(): number {
    return this.#count;
  }

  #check(epoch: string): void {
    const size = fs.fstatSync(this.#fd).size;
    const expected = header(epoch);
    const found = Buffer.alloc(HEADER_BYTES);
    if (
      size < HEADER_BYTES ||
      fs.readSync(this.#fd, found, 0, HEADER_BYTES, 0) < HEADER_BYTES ||
      !found.equals(expected)
    ) {
      this.reset(epoch);
      return;
    }
    const count = Math.floor((size - HEADER_BYTES) / RECORD_BYTES);
    // A record torn by a crash is cut off, so the next append lands on a record boundary.
    if (size !== HEADER_BYTES + count * RECORD_BYTES) fs.ftruncateSync(this.#fd, HEADER_BYTES + count * RECORD_BYTES);
    this.#count = count;
  }

  /** Record `i` (below count). */
  record(i: number): IndexRecord {
    const bytes = new Uint8Array(RECORD_BYTES);
    const got = fs.readSync(this.#fd, bytes, 0, RECORD_BYTES, HEADER_BYTES + i * RECORD_BYTES);
    if (got !== RECORD_BYTES) throw new Error(`index file ${this.path}: record ${i} could not be read`);
    return readRecord(bytes);
  }

  /** Appends records [index.count, to) to `index`, READ_RECORDS at a time (what a read holds besides the index). */
  readInto(index: HistoryIndex, to: number): void {
    const chunk = new Uint8Array(Math.min(READ_RECORDS, to - index.count) * RECORD_BYTES);
    while (index.count < to) {
      const want = Math.min(to - index.count, READ_RECORDS) * RECORD_BYTES;
      const got = fs.readSync(this.#fd, chunk, 0, want, HEADER_BYTES + index.count * RECORD_BYTES);
      if (got !== want) throw new Error(`index file ${this.path}: records from ${index.count} could not be read`);
      index.pushRecords(chunk, want / RECORD_BYTES);
    }
  }

  /** Empties the file and makes it the index of the history with this epoch (no records). */
  reset(epoch: string): void {
    this.#count = 0;
    this.#broken = false;
    try {
      fs.ftruncateSync(this.#fd, 0);
      fs.writeSync(this.#fd, header(epoch));
    } catch {
      this.#fail();
    }
  }

  /** Appends records (those of the index's entries from `count` on). */
  append(records: Uint8Array): void {
    if (this.#broken || records.length === 0) return;
    let written = 0;
    try {
      // Cut or grown by something else since: records appended now would land at the wrong place.
      if (fs.fstatSync(this.#fd).size !== HEADER_BYTES + this.#count * RECORD_BYTES) {
        this.#fail();
        return;
      }
      while (written < records.length) written += fs.writeSync(this.#fd, records, written);
      this.#count += records.length / RECORD_BYTES;
    } catch {
      this.#fail();
    }
  }

  /**
   * A write failed (disk full), or the file changed under the broker: it is
   * emptied, so the next start rebuilds rather than misreads it.
   */
  #fail(): void {
    this.#broken = true;
    try {
      fs.ftruncateSync(this.#fd, 0);
    } catch {
      // nothing more to do: a file that matches no epoch is rebuilt
    }
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}
