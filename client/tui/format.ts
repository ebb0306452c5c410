// Pure text formatting for the terminal UI: local clock time, making
// untrusted content safe to print, display widths and word wrapping. Widths
// are measured with string-width, the same measure Ink lays text out with,
// so a line this module says fits in N columns is drawn in N columns.
import stringWidth from 'string-width';
import { stripVTControlCharacters } from 'node:util';

const segmenter = new Intl.Segmenter();
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Display width in terminal columns (wide characters count 2). */
export function width(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text);
}

/** `HH:MM:SS` in local time. */
export function clock(ts: string): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return '--:--:--';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * Content from other users is untrusted: escape sequences, control
 * characters and bidi overrides are removed, so nothing they send can move
 * the cursor, recolour the screen or reorder the line. Newlines are kept;
 * tabs become spaces; CR LF and lone CR become newlines.
 */
export function sanitize(text: string): string {
  return stripVTControlCharacters(text)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, '');
}

function graphemes(text: string): string[] {
  if (PRINTABLE_ASCII.test(text)) return [...text];
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** Cuts `text` to at most `max` columns, ending with `…` when it was cut. */
export function truncate(text: string, max: number): string {
  if (width(text) <= max) return text;
  if (max <= 0) return '';
  let out = '';
  let used = 0;
  for (const g of graphemes(text)) {
    const w = width(g);
    if (used + w > max - 1) break;
    out += g;
    used += w;
  }
  return `${out}…`;
}

/**
 * Word-wraps `text` into lines of at most `rest` columns, the first line at
 * most `first` columns (the rest of a line that starts with a prefix).
 * Newlines in the text start new lines; a word longer than a line is broken
 * between graphemes; spaces at a wrap are dropped, leading spaces of a
 * paragraph are kept. A `first` of 0 gives an empty first line (the content
 * then starts on the next one). Always returns at least one line.
 */
export function wrap(text: string, rest: number, first = rest): string[] {
  const lines: string[] = [];
  let line = '';
  let used = 0;
  const limit = () => Math.max(1, lines.length === 0 ? first : rest);
  const push = () => {
    lines.push(line.trimEnd());
    line = '';
    used = 0;
  };
  if (first <= 0) lines.push('');
  text.split('\n').forEach((paragraph, index) => {
    if (index > 0) push();
    let atStart = true;
    for (const token of paragraph.split(/( +)/)) {
      if (token === '') continue;
      const leading = atStart;
      atStart = false;
      const w = width(token);
      if (token.startsWith(' ')) {
        // Spaces where a line wraps are dropped; a paragraph's leading spaces are kept (indentation).
        if (used === 0 && !leading) continue;
        if (used + w <= limit()) {
          line += token;
          used += w;
        } else if (used > 0) {
          push();
        }
        continue;
      }
      if (used + w <= limit()) {
        line += token;
        used += w;
        continue;
      }
      if (used > 0 && w <= rest) {
        push();
        line = token;
        used = w;
        continue;
      }
      for (const g of graphemes(token)) {
        const gw = width(g);
        if (used + gw > limit() && used > 0) push();
        line += g;
        used += gw;
      }
    }
  });
  lines.push(line.trimEnd());
  return lines;
}

/** Pads `text` with spaces to `columns` (never cuts). */
export function pad(text: string, columns: number): string {
  const w = width(text);
  return w >= columns ? text : text + ' '.repeat(columns - w);
}
