// How a value the user typed is shown back in an error message: cut short
// when long, so a stray megabyte argument is not echoed whole.

/** Characters of a value shown before it is cut with `…`. */
const SHOWN = 60;

/** The value as it is, or its start, `…` and its length. */
export function clipped(value: string): string {
  return value.length <= SHOWN ? value : `${value.slice(0, SHOWN)}… (${value.length} characters)`;
}

/** The value JSON-quoted, or its start quoted, `…` and its length. */
export function quoted(value: string): string {
  if (value.length <= SHOWN) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, SHOWN)).slice(0, -1)}…" (${value.length} characters)`;
}
