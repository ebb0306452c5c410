// Input as a sequence of keys. Ink splits what one read of the terminal
// brings at escape sequences, Backspace and Ctrl-C, but hands over anything
// else as one chunk: two control keys typed quickly (Ctrl-W Ctrl-W, Ctrl-A
// Ctrl-E), or keys typed while the UI was busy with a flood, arrive as one
// string Ink does not recognise as a key, and both would be lost. Here such
// a chunk is cut into its keys: each control character is the key it stands
// for (Enter, Tab, Ctrl+letter), and the text between them stays one typed
// run. So `/dm bob` and Enter arriving together do what they do typed apart
// (the palette completes rather than sends). Pure.
import type { Key } from 'ink';

export const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

export interface KeyPress {
  readonly input: string;
  readonly key: Key;
}

const CONTROL = /[\x00-\x1f]/;

/** The key a control character stands for: Enter, Tab, or Ctrl and a letter (or nothing for the rest). */
function controlKey(char: string): KeyPress {
  const code = char.charCodeAt(0);
  if (char === '\r') return { input: '', key: { ...NO_KEY, return: true } };
  if (char === '\t') return { input: '', key: { ...NO_KEY, tab: true } };
  if (code >= 1 && code <= 26) return { input: String.fromCharCode(code + 96), key: { ...NO_KEY, ctrl: true } };
  return { input: '', key: { ...NO_KEY, ctrl: true } };
}

/** The keys in what Ink reported as one: itself, unless it is a chunk holding control characters. */
export function keySequence(input: string, key: Key): KeyPress[] {
  if (input.length <= 1 || key.ctrl || key.meta || !CONTROL.test(input)) return [{ input, key }];
  const keys: KeyPress[] = [];
  let run = '';
  for (const char of input) {
    if (!CONTROL.test(char)) {
      run += char;
      continue;
    }
    if (run !== '') keys.push({ input: run, key: NO_KEY });
    run = '';
    keys.push(controlKey(char));
  }
  if (run !== '') keys.push({ input: run, key: NO_KEY });
  return keys;
}
