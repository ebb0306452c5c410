// The command and username palette, above the input box while it is open.
import React from 'react';
import { paletteLines } from '../chrome.ts';
import type { State } from '../state.ts';
import { Lines } from './Lines.ts';

export function Palette({
  state,
  rows,
  color,
}: {
  readonly state: State;
  readonly rows: number;
  readonly color: boolean;
}) {
  if (rows === 0) return null;
  return React.createElement(Lines, { lines: paletteLines(state, rows, state.size.columns), color });
}
