// The text being typed: pure edits on { text, cursor }. The cursor is an
// index into `text` that always sits between two graphemes, so an emoji or
// an accented letter is moved over and deleted as one character.
import { controlPicture, width } from './format.ts';

export interface Input {
  readonly text: string;
  readonly cursor: number;
}

export const EMPTY_INPUT: Input = { text: '', cursor: 0 };

const segmenter = new Intl.Segmenter();

function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

function previousBoundary(text: string, cursor: number): number {
  if (cursor <= 0) return 0;
  const last = graphemes(text.slice(Math.max(0, cursor - 16), cursor)).at(-1) ?? '';
  return cursor - Math.max(1, last.length);
}

function nextBoundary(text: string, cursor: number): number {
  if (cursor >= text.length) return text.length;
  const first = graphemes(text.slice(cursor, cursor + 16))[0] ?? '';
  return cursor + Math.max(1, first.length);
}

export function insert(input: Input, text: string): Input {
  return {
    text: input.text.slice(0, input.cursor) + text + input.text.slice(input.cursor),
    cursor: input.cursor + text.length,
  };
}

export function backspace(input: Input): Input {
  const from = previousBoundary(input.text, input.cursor);
  return { text: input.text.slice(0, from) + input.text.slice(input.cursor), cursor: from };
}

export function deleteForward(input: Input): Input {
  const to = nextBoundary(input.text, input.cursor);
  return { text: input.text.slice(0, input.cursor) + input.text.slice(to), cursor: input.cursor };
}

export const left = (input: Input): Input => ({ ...input, cursor: previousBoundary(input.text, input.cursor) });
export const right = (input: Input): Input => ({ ...input, cursor: nextBoundary(input.text, input.cursor) });

/** Start of the current line (Home, Ctrl-A). */
export function home(input: Input): Input {
  return { ...input, cursor: input.text.lastIndexOf('\n', input.cursor - 1) + 1 };
}

/** End of the current line (End, Ctrl-E). */
export function end(input: Input): Input {
  const newline = input.text.indexOf('\n', input.cursor);
  return { ...input, cursor: newline === -1 ? input.text.length : newline };
}

/** Deletes everything before the cursor, in every line of the draft (Ctrl-U). */
export function killToStart(input: Input): Input {
  return { text: input.text.slice(input.cursor), cursor: 0 };
}

/** Deletes from the cursor to the end of its line, or the newline when it is there (Ctrl-K). */
export function killToEnd(input: Input): Input {
  const newline = input.text.indexOf('\n', input.cursor);
  const to = newline === -1 ? input.text.length : newline === input.cursor ? newline + 1 : newline;
  return { text: input.text.slice(0, input.cursor) + input.text.slice(to), cursor: input.cursor };
}

/** What an edit removed (for Ctrl-Y): the text that was there and is not any more. */
export function removed(before: Input, after: Input): string {
  return before.text.slice(after.cursor, after.cursor + before.text.length - after.text.length);
}

/** To the start of the word before the cursor (Ctrl-←, Alt-B). */
export function wordLeft(input: Input): Input {
  return { ...input, cursor: input.text.slice(0, input.cursor).replace(/\S+\s*$|\s+$/, '').length };
}

/** To the end of the word after the cursor (Ctrl-→, Alt-F). */
export function wordRight(input: Input): Input {
  const skipped = /^\s*\S+|^\s+/.exec(input.text.slice(input.cursor))?.[0].length ?? 0;
  return { ...input, cursor: input.cursor + skipped };
}

/**
 * The cursor one line up or down in a multi-line draft, at the same offset
 * in the line as far as it goes (snapped back onto a grapheme boundary);
 * null on the first (up) or last (down) line, where ↑↓ scroll instead.
 */
export function lineMove(input: Input, direction: -1 | 1): Input | null {
  const start = input.text.lastIndexOf('\n', input.cursor - 1) + 1;
  const column = input.cursor - start;
  let target: number;
  if (direction < 0) {
    if (start === 0) return null;
    target = input.text.lastIndexOf('\n', start - 2) + 1;
  } else {
    const newline = input.text.indexOf('\n', input.cursor);
    if (newline === -1) return null;
    target = newline + 1;
  }
  const lineEnd = input.text.indexOf('\n', target);
  const end = lineEnd === -1 ? input.text.length : lineEnd;
  const cursor = Math.min(target + column, end);
  // The last grapheme boundary at or before `cursor`: never inside an emoji.
  let boundary = target;
  for (const g of graphemes(input.text.slice(target, end))) {
    if (boundary + g.length > cursor) break;
    boundary += g.length;
  }
  return { ...input, cursor: boundary };
}

/** Deletes the word before the cursor (Ctrl-W). */
export function killWord(input: Input): Input {
  const before = input.text.slice(0, input.cursor);
  const from = before.replace(/\S+\s*$|\s+$/, '').length;
  return { text: input.text.slice(0, from) + input.text.slice(input.cursor), cursor: from };
}

/**
 * Enter typed after a `\`: the backslash becomes a newline (the portable
 * way to write multi-line messages). Returns null when there is none.
 */
export function continuation(input: Input): Input | null {
  if (input.cursor === 0 || input.text[input.cursor - 1] !== '\\') return null;
  return { text: `${input.text.slice(0, input.cursor - 1)}\n${input.text.slice(input.cursor)}`, cursor: input.cursor };
}

/** Pasted text: CR LF and lone CR become newlines, other control characters go. */
export function cleanPaste(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/** How a grapheme of the draft is drawn: a tab as spaces, another control character as its symbol. */
function shown(g: string): string {
  if (g === '\t') return '    ';
  return /^[\x00-\x1f\x7f-\x9f]/.test(g) ? controlPicture(g) : g;
}

export interface InputRows {
  /**
   * The text as drawn (tabs expanded, control characters as symbols; see
   * `shown`), cut into rows of at most `columns - 1` columns (one is kept
   * for the cursor).
   */
  readonly rows: readonly string[];
  readonly cursorRow: number;
  /** Index of the cursor within its row's string (as drawn). */
  readonly cursorAt: number;
}

/** Lays the text out in rows for the input box: newlines, then hard wrapping between graphemes. */
export function inputRows(input: Input, columns: number): InputRows {
  const max = Math.max(1, columns - 1);
  const rows: string[] = [];
  let row = '';
  let used = 0;
  let cursorRow = -1;
  let cursorAt = 0;
  let index = 0;
  for (const typed of graphemes(input.text)) {
    if (index === input.cursor) [cursorRow, cursorAt] = [rows.length, row.length];
    index += typed.length;
    if (typed === '\n') {
      rows.push(row);
      [row, used] = ['', 0];
      continue;
    }
    const g = shown(typed);
    const w = width(g);
    if (used + w > max && used > 0) {
      rows.push(row);
      [row, used] = ['', 0];
      if (index - typed.length === input.cursor) [cursorRow, cursorAt] = [rows.length, 0];
    }
    row += g;
    used += w;
  }
  if (cursorRow === -1) [cursorRow, cursorAt] = [rows.length, row.length];
  rows.push(row);
  return { rows, cursorRow, cursorAt };
}
