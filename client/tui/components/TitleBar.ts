// The top line: the room, who is online (host and statuses when they fit), the connection.
import React from 'react';
import { titleLine } from '../chrome.ts';
import type { State } from '../state.ts';
import { Lines } from './Lines.ts';

export function TitleBar({ state, color }: { readonly state: State; readonly color: boolean }) {
  return React.createElement(Lines, { lines: [titleLine(state, state.size.columns)], color });
}
