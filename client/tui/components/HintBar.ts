// The bottom line: the keys that matter right now.
import React from 'react';
import { hintLine } from '../chrome.ts';
import type { State } from '../state.ts';
import { Lines } from './Lines.ts';

export function HintBar({ state, color }: { readonly state: State; readonly color: boolean }) {
  return React.createElement(Lines, { lines: [hintLine(state, state.size.columns)], color });
}
