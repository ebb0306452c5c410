// The message area: only the lines on screen are built (viewport.ts).
import React from 'react';
import type { State } from '../state.ts';
import { focusLines } from '../focus.ts';
import { viewport } from '../viewport.ts';
import { Lines } from './Lines.ts';

export function MessageList({
  state,
  height,
  color,
}: {
  readonly state: State;
  readonly height: number;
  readonly color: boolean;
}) {
  const view = viewport(state.entries, state.size.columns, height, state.scroll, state.me);
  return React.createElement(Lines, { lines: focusLines(view, state.focus), color });
}
