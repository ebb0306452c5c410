// Colours of the terminal UI. Styles name colours semantically; whether
// colour is drawn at all is decided once, where lines are rendered
// (NO_COLOR: bold, dim, italic and inverse stay, colours go).

/** Ink/chalk colour names. */
export type Color =
  | 'red'
  | 'green'
  | 'yellow'
  | 'blue'
  | 'magenta'
  | 'cyan'
  | 'gray'
  | 'greenBright'
  | 'yellowBright'
  | 'blueBright'
  | 'magentaBright'
  | 'cyanBright'
  | 'redBright';

export interface Style {
  readonly color?: Color;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly italic?: boolean;
  readonly inverse?: boolean;
}

/** One run of text with one style; a line is a list of them. */
export interface Segment {
  readonly text: string;
  readonly style?: Style;
}
export type Line = readonly Segment[];

/**
 * Colours a user's name can get. Red is kept for errors, gray for the
 * clock and system lines, plain magenta for private messages.
 */
const USER_COLORS: readonly Color[] = [
  'cyan',
  'green',
  'yellow',
  'blue',
  'magentaBright',
  'cyanBright',
  'greenBright',
  'yellowBright',
  'blueBright',
  'redBright',
];

/** The same colour for the same name, in every session (FNV-1a hash of the name). */
export function userColor(name: string): Color {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return USER_COLORS[hash % USER_COLORS.length]!;
}

/** NO_COLOR (https://no-color.org): present and not empty turns colour off. */
export function colorEnabled(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

/**
 * Whether the terminal gets styles (bold, inverse) at all, decided as chalk
 * (Ink's styling) decides it: FORCE_COLOR wins, and TERM=dumb gets plain text.
 */
export function stylesDrawn(env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return env.TERM !== 'dumb';
}

export const seg = (text: string, style?: Style): Segment => (style === undefined ? { text } : { text, style });

/** The display text of a line. */
export function lineText(line: Line): string {
  return line.map((s) => s.text).join('');
}
