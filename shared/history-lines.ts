// Reading the history file line by line, in time linear in its size, for
// both sides: the broker indexing it (server/log/file-log.ts) and poll and
// watch reading it with no broker (client/history-file.ts).
//
// A line longer than MAX_LINE_BYTES cannot be an event (content is at most
// 64 KiB, so even escaped to \uXXXX its line stays well under it): its bytes
// are skipped as they stream past, never gathered, so a 200 MB line costs one
// pass over it and at most one chunk of memory. A partial line is carried
// over from one chunk to the next as a list of pieces joined once, when its
// newline arrives (joining at every chunk made a long line quadratic).
import * as fs from 'node:fs';

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/** No valid event's line is longer than this (bytes, without its newline). */
export const MAX_LINE_BYTES = 1 << 20;

export interface LineScan {
  /** The offset just after the last complete line (where an incomplete last line starts). */
  readonly end: number;
  /** Bytes after `end` that have no newline yet: a line being written, or torn by a crash. */
  readonly tail: number;
  /** Complete lines skipped for being longer than MAX_LINE_BYTES. */
  readonly overlong: number;
}

/**
 * Calls `visit` with every complete, non-empty line of at most
 * MAX_LINE_BYTES from byte `from` to the end of the file, with its byte
 * range [start, end) (`end` is after the newline). `buffer` is only valid
 * during the call. `visit` returning false stops the scan after that line.
 * The file is read `chunkBytes` at a time (a caller that stops early reads
 * less with smaller chunks).
 */
export function scanLines(
  fd: number,
  from: number,
  visit: (line: Buffer, start: number, end: number) => boolean | undefined,
  chunkBytes = CHUNK,
): LineScan {
  const chunk = Buffer.allocUnsafe(chunkBytes);
  let pieces: Buffer[] = [];
  let pending = 0; // bytes of the current line held in `pieces` (or skipped, when `skipping`)
  let skipping = false;
  let overlong = 0;
  let position = from;
  let lineStart = from;
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) return { end: lineStart, tail: position - lineStart, overlong };
    const data = chunk.subarray(0, n);
    let cursor = 0;
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, cursor)) {
      const length = pending + nl - cursor;
      if (skipping || length > MAX_LINE_BYTES) overlong++;
      else if (length > 0) {
        const line =
          pieces.length === 0 ? data.subarray(cursor, nl) : Buffer.concat([...pieces, data.subarray(cursor, nl)]);
        if (visit(line, lineStart, position + nl + 1) === false) return { end: position + nl + 1, tail: 0, overlong };
      }
      pieces = [];
      pending = 0;
      skipping = false;
      cursor = nl + 1;
      lineStart = position + cursor;
    }
    const rest = n - cursor;
    if (rest > 0) {
      pending += rest;
      if (pending > MAX_LINE_BYTES) {
        skipping = true;
        pieces = [];
      } else pieces.push(Buffer.from(data.subarray(cursor)));
    }
    position += n;
  }
}
