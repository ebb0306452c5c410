// The input box titled with the username, and under it why the last input was not sent.
import React from 'react';
import { errorLines, inputLines } from '../chrome.ts';
import type { Layout } from '../layout.ts';
import type { State } from '../state.ts';
import { Lines } from './Lines.ts';

export function InputBox({
  state,
  layout,
  color,
}: {
  readonly state: State;
  readonly layout: Layout;
  readonly color: boolean;
}) {
  return React.createElement(Lines, {
    lines: [...inputLines(state, layout, state.size.columns), ...errorLines(layout, state)],
    color,
  });
}
