// The message area: only the lines on screen are built (viewport.ts).
import React from 'react';
import type { State } from '../state.ts';
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
  const width = state.size.columns;
  const { lines } = viewport(state.entries, width, height, state.scroll, state.me);
  return React.createElement(Lines, { lines, color });
}
