// The whole screen as lines, top to bottom, from the state alone: the same
// regions, in the same order and sizes, as components/App.ts draws. It is
// the model the end-to-end tests compare a real terminal's screen with.
import { errorLines, hintLine, inputLines, paletteLines, titleLine } from './chrome.ts';
import { focusLines } from './focus.ts';
import { layout } from './layout.ts';
import type { State } from './state.ts';
import { lineText, type Line } from './theme.ts';
import { viewport } from './viewport.ts';

export function screenLines(state: State, now = new Date()): Line[] {
  const lay = layout(state);
  const width = state.size.columns;
  return [
    titleLine(state, width),
    ...focusLines(viewport(state.entries, width, lay.messages, state.scroll, state.me, now), state.focus),
    ...paletteLines(state, lay.palette, width),
    ...inputLines(state, lay, width),
    ...errorLines(lay, state),
    ...(lay.hint ? [hintLine(state, width)] : []),
  ];
}

/** The screen's text, one string per row, trailing spaces dropped (as a terminal's capture shows it). */
export function screenText(state: State, now = new Date()): string[] {
  return screenLines(state, now).map((line) => lineText(line).trimEnd());
}
