// The history file's index (server/log/file-log.ts): for every event line,
// in file order, its byte offset and length, its seq, and a 32-bit key of
// its id. Compact on purpose, so a history of millions of events costs the
// broker tens of megabytes, not hundreds:
// - columns in typed arrays, in blocks of BLOCK entries that are never
//   copied (growing adds a block: no doubling that holds old and new at
//   once); 24 bytes per event;
// - no map of id strings: ids are found through an open-addressing table of
//   positions keyed by the id's 32-bit key (4 bytes a slot, at most 70%
//   full), and the caller verifies each candidate against its line (two ids
//   can share a key). A miss costs a probe or two, which matters: every
//   `room send` asks for an id the history does not hold (its
//   Idempotency-Key, server/idempotency.ts).
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

interface Block {
  readonly offsets: Float64Array;
  readonly seqs: Float64Array;
  readonly lengths: Uint32Array;
  readonly keys: Uint32Array;
}

const newBlock = (): Block => ({
  offsets: new Float64Array(BLOCK),
  seqs: new Float64Array(BLOCK),
  lengths: new Uint32Array(BLOCK),
  keys: new Uint32Array(BLOCK),
});

export class HistoryIndex {
  #blocks: Block[] = [];
  #count = 0;
  /** Position + 1 of an entry, at the slot its key hashes to (or a later one); 0: empty. */
  #slots = new Uint32Array(MIN_SLOTS);
  #mask = MIN_SLOTS - 1;

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
    return this.#blocks[i >>> BLOCK_BITS]!.seqs[i & BLOCK_MASK]!;
  }

  key(i: number): number {
    return this.#blocks[i >>> BLOCK_BITS]!.keys[i & BLOCK_MASK]!;
  }

  /** Adds the next entry (its seq greater than the last one's). */
  push(offset: number, length: number, seq: number, key: number): void {
    const i = this.#count;
    if ((i & BLOCK_MASK) === 0 && i >>> BLOCK_BITS === this.#blocks.length) this.#blocks.push(newBlock());
    const block = this.#blocks[i >>> BLOCK_BITS]!;
    const j = i & BLOCK_MASK;
    block.offsets[j] = offset;
    block.seqs[j] = seq;
    block.lengths[j] = length;
    block.keys[j] = key;
    this.#count = i + 1;
    if (this.#count > this.#slots.length * MAX_FILL) this.#rehash(this.#slots.length * 2);
    else this.#insert(i, key);
  }

  /** Forgets every entry, and the memory they took. */
  clear(): void {
    this.#blocks = [];
    this.#count = 0;
    this.#slots = new Uint32Array(MIN_SLOTS);
    this.#mask = MIN_SLOTS - 1;
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

  /** The positions of the entries whose id has this key, newest first (candidates: the caller checks the id). */
  withKey(key: number): number[] {
    const found: number[] = [];
    for (let slot = this.#slotOf(key); this.#slots[slot] !== 0; slot = (slot + 1) & this.#mask) {
      const i = this.#slots[slot]! - 1;
      if (this.key(i) === key) found.push(i);
    }
    return found.sort((a, b) => b - a);
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

  /** Appends `count` records read from an index file (`bytes` from their first byte). */
  pushRecords(bytes: Uint8Array, count: number): void {
    this.#reserve(this.#count + count);
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * RECORD_BYTES);
    for (let i = 0, at = 0; i < count; i++, at += RECORD_BYTES) {
      this.push(
        view.getFloat64(at, true),
        view.getUint32(at + 16, true),
        view.getFloat64(at + 8, true),
        view.getUint32(at + 20, true),
      );
    }
  }

  /** Sizes the table for `count` entries at once (a load), instead of doubling its way there. */
  #reserve(count: number): void {
    let size = this.#slots.length;
    while (count > size * MAX_FILL) size *= 2;
    if (size !== this.#slots.length) this.#rehash(size);
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

  #rehash(size: number): void {
    this.#slots = new Uint32Array(size);
    this.#mask = size - 1;
    for (let i = 0; i < this.#count; i++) this.#insert(i, this.key(i));
  }
}
