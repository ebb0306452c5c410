// Pure text formatting for the terminal UI: local clock time, making
// untrusted content safe to print, display widths and word wrapping.
//
// Widths never under-count. Terminals disagree about graphemes made of
// several code points: tmux 3.3a draws 👍🏽 (a skin-tone modifier) four
// columns wide where string-width, Ink's measure, says two, and a line the
// UI thought fitted then wraps and the screen is garbled for good. So a
// grapheme counts as the larger of string-width's answer and the sum of its
// code points drawn one by one (👍🏽 = 4, a ZWJ family = 6, ❤️ = 2): a line
// this module says fits in N columns is drawn in at most N columns by such
// terminals (and by Ink, whose measure is never larger), perhaps fewer. The
// one column kept free at the right of the screen (layout.ts) absorbs what
// is left of a disagreement.
import { stripVTControlCharacters } from 'node:util';
import stringWidth from 'string-width';

const segmenter = new Intl.Segmenter();
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function graphemeWidth(g: string): number {
  const whole = stringWidth(g);
  if (g.length === 1 || (g.length === 2 && g.codePointAt(0)! > 0xffff)) return whole; // one code point
  let apart = 0;
  for (const point of g) apart += stringWidth(point);
  return Math.max(whole, apart);
}

/** Display width in terminal columns (wide characters count 2; see the header for clusters). */
export function width(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let total = 0;
  for (const { segment } of segmenter.segment(text)) total += graphemeWidth(segment);
  return total;
}

/**
 * A control character made visible: its Control Pictures symbol (␛, ␇, ␡),
 * one column wide, so it can neither move the cursor nor vanish unseen.
 */
export function controlPicture(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return '\ufffd'; // C1 controls (0x80-0x9f)
}

/** `HH:MM:SS` in local time. */
export function clock(ts: string): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return '--:--:--';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * Content from other users is untrusted: escape sequences and bidi overrides
 * are removed and other control characters shown as symbols (␇), so nothing
 * they send can move the cursor, recolour the screen or reorder the line.
 * Newlines are kept; tabs become spaces; CR LF and lone CR become newlines.
 */
export function sanitize(text: string): string {
  return stripVTControlCharacters(text)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, controlPicture);
}

/** A one-line text (a status, an error) made safe the same way, its newlines shown as spaces. */
export function sanitizeLine(text: string): string {
  return sanitize(text).replace(/\n/g, ' ');
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
