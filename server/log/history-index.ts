// The history file's index (server/log/file-log.ts): for every event line,
// in file order, its byte offset and length, its seq, and a 32-bit key of
// its id. Compact on purpose, so a history of millions of events costs the
// broker tens of megabytes, not hundreds:
// - columns in typed arrays, in blocks of BLOCK entries that are never
//   copied (growing adds a block: no doubling that holds old and new at
//   once); 10 bytes per event: offsets are uint32 until one does not fit (a
//   history past 4 GiB: then that column becomes float64 in every block),
//   lengths uint16 until a line of 64 KiB or more lands in the block (then
//   that block's column becomes uint32);
// - seqs held only where they are not consecutive: a block whose seqs go up
//   one at a time (nearly all: the broker gives each event the next seq)
//   keeps its first; the first gap gives it a seq column (uint32, or
//   float64 once a seq passes 2^32);
// - no map of id strings: ids are found through an open-addressing table of
//   positions keyed by the id's 32-bit key (4 bytes a slot, at most 70%
//   full), and the caller verifies each candidate against its line (two ids
//   can share a key). A miss costs a probe or two, which matters: every
//   keyed send (the live clients', `room send --retry`) asks for an id the
//   history does not hold (its Idempotency-Key, server/idempotency.ts), and
//   indexing a line asks whether its id is new. Entries loaded from the index
//   file are put in the table later (hashSome, in steps after the broker
//   listens; any id lookup first completes it): a million random inserts
//   take tens of milliseconds, which the start need not wait for.
//
// The same 24-byte records are what the index file holds
// (server/log/index-file.ts): offset and seq as float64, length and key as
// uint32, little-endian.

/** Entries per block of each column. */
const BLOCK_BITS = 16;
const BLOCK = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK - 1;
/** The hash table grows (doubles and is rebuilt) past this fill. */
const MAX_FILL = 0.7;
const MIN_SLOTS = 1 << 10;

/** Bytes of one record in the index file. */
export const RECORD_BYTES = 24;

const HEX8 = /^[0-9a-f]{8}/i;

/** Index files are little-endian; on such a machine (nearly all) records are read through typed arrays directly. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The 32-bit key of an event id: its first 8 hex digits (random in a UUID v4
 * and in the ids derived from idempotency keys), which also lets a prefix of
 * an id be matched against keys alone; any other id, an FNV-1a hash of it.
 */
export function idKey(id: string): number {
  if (HEX8.test(id)) return Number.parseInt(id.slice(0, 8), 16) >>> 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** One entry of the index: an event line's byte range, its seq, its id's key. */
export interface IndexRecord {
  readonly offset: number;
  readonly length: number;
  readonly seq: number;
  readonly key: number;
}

/** One record as the index file holds it (the first RECORD_BYTES of `bytes`). */
export function readRecord(bytes: Uint8Array): IndexRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, RECORD_BYTES);
  return {
    offset: view.getFloat64(0, true),
    seq: view.getFloat64(8, true),
    length: view.getUint32(16, true),
    key: view.getUint32(20, true),
  };
}

/** A column of numbers that fit in 32 bits until one does not. */
type Column = Uint32Array | Float64Array;

interface Block {
  offsets: Column;
  /** The seq of the block's first entry: with no `seqs`, entry j's is firstSeq + j. */
  readonly firstSeq: number;
  /** Each entry's seq, once they are not consecutive. */
  seqs: Column | undefined;
  lengths: Uint16Array | Uint32Array;
  readonly keys: Uint32Array;
}

const MAX_NARROW = 0xffffffff;

/** Sets entry j's length: a block's lengths are uint16 until one does not fit. */
function setLength(block: Block, j: number, length: number): void {
  if (length > 0xffff && block.lengths instanceof Uint16Array) block.lengths = Uint32Array.from(block.lengths);
  block.lengths[j] = length;
}

export class HistoryIndex {
  #blocks: Block[] = [];
  #count = 0;
  #wideOffsets = false;
  #wideSeqs = false;
  /** Position + 1 of an entry, at the slot its key hashes to (or a later one); 0: empty. */
  #slots = new Uint32Array(MIN_SLOTS);
  #mask = MIN_SLOTS - 1;
  /** Entries [0, #hashed) are in the table; the rest wait for #hashUpTo. */
  #hashed = 0;

  get count(): number {
    return this.#count;
  }

  offset(i: number): number {
    return this.#blocks[i >>> BLOCK_BITS]!.offsets[i & BLOCK_MASK]!;
  }

  length(i: number): number {
    return this.#blocks[i >>> BLOCK_BITS]!.lengths[i & BLOCK_MASK]!;
  }

  seq(i: number): number {
    const block = this.#blocks[i >>> BLOCK_BITS]!;
    return block.seqs === undefined ? block.firstSeq + (i & BLOCK_MASK) : block.seqs[i & BLOCK_MASK]!;
  }

  key(i: number): number {
    return this.#blocks[i >>> BLOCK_BITS]!.keys[i & BLOCK_MASK]!;
  }

  /** Adds the next entry (its seq greater than the last one's). */
  push(offset: number, length: number, seq: number, key: number): void {
    const i = this.#count;
    this.#fit(offset, seq);
    const block = this.#blockFor(i, seq);
    const j = i & BLOCK_MASK;
    block.offsets[j] = offset;
    this.#setSeq(block, j, seq);
    setLength(block, j, length);
    block.keys[j] = key;
    this.#count = i + 1;
    if (this.#hashed !== i) return; // the table is behind (a load): hashSome catches up
    if (this.#count > this.#slots.length * MAX_FILL) this.#resize(this.#count);
    this.#insert(i, key);
    this.#hashed = this.#count;
  }

  /** The block of entry `i`; a new one when `i` is its first entry, whose seq is `seq`. */
  #blockFor(i: number, seq: number): Block {
    if (i >>> BLOCK_BITS === this.#blocks.length)
      this.#blocks.push({
        offsets: this.#wideOffsets ? new Float64Array(BLOCK) : new Uint32Array(BLOCK),
        firstSeq: seq,
        seqs: undefined,
        lengths: new Uint16Array(BLOCK),
        keys: new Uint32Array(BLOCK),
      });
    return this.#blocks[i >>> BLOCK_BITS]!;
  }

  /** Sets entry j's seq: nothing to hold while they are consecutive; the first gap fills a seq column. */
  #setSeq(block: Block, j: number, seq: number): void {
    if (block.seqs === undefined) {
      if (seq === block.firstSeq + j) return;
      const seqs = this.#wideSeqs ? new Float64Array(BLOCK) : new Uint32Array(BLOCK);
      for (let k = 0; k < j; k++) seqs[k] = block.firstSeq + k;
      block.seqs = seqs;
    }
    block.seqs[j] = seq;
  }

  /** Widens the offset or seq column of every block when a value does not fit in 32 bits. */
  #fit(offset: number, seq: number): void {
    if (offset > MAX_NARROW && !this.#wideOffsets) {
      this.#wideOffsets = true;
      for (const block of this.#blocks) block.offsets = Float64Array.from(block.offsets);
    }
    if (seq > MAX_NARROW && !this.#wideSeqs) {
      this.#wideSeqs = true;
      for (const block of this.#blocks) if (block.seqs !== undefined) block.seqs = Float64Array.from(block.seqs);
    }
  }

  /**
   * Makes the id table big enough for `count` entries now, so that adding
   * them costs no rebuild of it on the way (one of a million entries takes
   * tens of milliseconds, which a reader in steps would stall for).
   */
  reserve(count: number): void {
    if (count > this.#slots.length * MAX_FILL) this.#resize(count);
  }

  /** Whether every entry is in the id table. */
  get hashed(): boolean {
    return this.#hashed === this.#count;
  }

  /** Puts up to `limit` more entries in the id table; true when all are in. */
  hashSome(limit: number): boolean {
    this.#hashUpTo(Math.min(this.#count, this.#hashed + limit));
    return this.hashed;
  }

  #hashUpTo(end: number): void {
    if (end <= this.#hashed) return;
    if (this.#count > this.#slots.length * MAX_FILL) this.#resize(this.#count);
    this.#insertRange(this.#hashed, end);
    this.#hashed = end;
  }

  /** Puts entries [from, to) in the table (a block at a time: the loop a load spends its time in). */
  #insertRange(from: number, to: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = from; i < to; ) {
      const keys = this.#blocks[i >>> BLOCK_BITS]!.keys;
      const stop = Math.min(to, ((i >>> BLOCK_BITS) + 1) << BLOCK_BITS);
      for (; i < stop; i++) {
        let slot = (Math.imul(keys[i & BLOCK_MASK]!, 0x9e3779b1) >>> 0) & mask;
        while (slots[slot] !== 0) slot = (slot + 1) & mask;
        slots[slot] = i + 1;
      }
    }
  }

  /** Forgets every entry, and the memory they took. */
  clear(): void {
    this.#blocks = [];
    this.#count = 0;
    this.#wideOffsets = false;
    this.#wideSeqs = false;
    this.#slots = new Uint32Array(MIN_SLOTS);
    this.#mask = MIN_SLOTS - 1;
    this.#hashed = 0;
  }

  /** The position of the first entry with a seq greater than `seq` (count when none): a binary search. */
  positionAfter(seq: number): number {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seq(mid) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Whether an event may be the next entry: its seq above the last entry's
   * (seqs only rise) and its id held by no entry (`sameId` tells whether
   * entry i's line has the event's id: keys are shared). A history's lines
   * are indexed by this rule, in file order.
   */
  admits(seq: number, key: number, sameId: (i: number) => boolean): boolean {
    const count = this.#count;
    if (count > 0 && seq <= this.seq(count - 1)) return false;
    return this.findKey(key, sameId) === undefined;
  }

  /** The first entry whose id has this key and passes `test` (the caller checks the id itself: keys are shared). */
  findKey(key: number, test: (i: number) => boolean): number | undefined {
    this.#hashUpTo(this.#count);
    for (let slot = this.#slotOf(key); this.#slots[slot] !== 0; slot = (slot + 1) & this.#mask) {
      const i = this.#slots[slot]! - 1;
      if (this.key(i) === key && test(i)) return i;
    }
    return undefined;
  }

  /**
   * Visits, oldest first, the entries whose key starts with the `bits` high
   * bits of `value` (a hex prefix of an id: 4 bits a digit), until `visit`
   * returns false: a scan of the key column, for the rare lookup by prefix.
   */
  scanKeyPrefix(value: number, bits: number, visit: (i: number) => boolean): void {
    const shift = 32 - bits;
    for (let b = 0; b < this.#blocks.length; b++) {
      const keys = this.#blocks[b]!.keys;
      const n = Math.min(BLOCK, this.#count - b * BLOCK);
      for (let j = 0; j < n; j++) {
        const high = shift >= 32 ? 0 : keys[j]! >>> shift;
        if (high === value && !visit(b * BLOCK + j)) return;
      }
    }
  }

  /** The records of entries [from, to), as the index file holds them. */
  records(from: number, to: number): Uint8Array {
    const bytes = new Uint8Array((to - from) * RECORD_BYTES);
    const view = new DataView(bytes.buffer);
    for (let i = from, at = 0; i < to; i++, at += RECORD_BYTES) {
      view.setFloat64(at, this.offset(i), true);
      view.setFloat64(at + 8, this.seq(i), true);
      view.setUint32(at + 16, this.length(i), true);
      view.setUint32(at + 20, this.key(i), true);
    }
    return bytes;
  }

  /**
   * Appends `count` records read from an index file (`bytes` from their
   * first byte, its byteOffset a multiple of 8), without putting them in the
   * id table yet (hashSome does).
   */
  pushRecords(bytes: Uint8Array, count: number): void {
    if (!LITTLE_ENDIAN) {
      this.#pushRecordsPortably(bytes, count);
      return;
    }
    // Columns straight from the records: float64 at 0 and 8, uint32 at 16 and 20 (3 float64s a record).
    const doubles = new Float64Array(bytes.buffer, bytes.byteOffset, count * 3);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, count * 6);
    let maxOffset = 0;
    let maxSeq = 0;
    for (let r = 0; r < count; r++) {
      maxOffset = Math.max(maxOffset, doubles[r * 3]!);
      maxSeq = Math.max(maxSeq, doubles[r * 3 + 1]!);
    }
    this.#fit(maxOffset, maxSeq);
    for (let r = 0; r < count; ) {
      const i = this.#count;
      const block = this.#blockFor(i, doubles[r * 3 + 1]!);
      const j0 = i & BLOCK_MASK;
      const n = Math.min(count - r, BLOCK - j0);
      const { offsets, keys } = block;
      for (let k = 0; k < n; k++) {
        const at = r + k;
        offsets[j0 + k] = doubles[at * 3]!;
        this.#setSeq(block, j0 + k, doubles[at * 3 + 1]!);
        setLength(block, j0 + k, words[at * 6 + 4]!);
        keys[j0 + k] = words[at * 6 + 5]!;
      }
      this.#count += n;
      r += n;
    }
  }

  #pushRecordsPortably(bytes: Uint8Array, count: number): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * RECORD_BYTES);
    for (let r = 0, at = 0; r < count; r++, at += RECORD_BYTES) {
      const i = this.#count++;
      const seq = view.getFloat64(at + 8, true);
      this.#fit(view.getFloat64(at, true), seq);
      const block = this.#blockFor(i, seq);
      const j = i & BLOCK_MASK;
      block.offsets[j] = view.getFloat64(at, true);
      this.#setSeq(block, j, seq);
      setLength(block, j, view.getUint32(at + 16, true));
      block.keys[j] = view.getUint32(at + 20, true);
    }
  }

  #slotOf(key: number): number {
    // Fibonacci hashing spreads keys that are not random (FNV of odd ids) too.
    return (Math.imul(key, 0x9e3779b1) >>> 0) & this.#mask;
  }

  #insert(i: number, key: number): void {
    let slot = this.#slotOf(key);
    while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#slots[slot] = i + 1;
  }

  /** A table big enough for `count` entries, holding the ones hashed so far. */
  #resize(count: number): void {
    let size = this.#slots.length;
    while (count > size * MAX_FILL) size *= 2;
    this.#slots = new Uint32Array(size);
    this.#mask = size - 1;
    this.#insertRange(0, this.#hashed);
  }
}
