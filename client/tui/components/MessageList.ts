// The message area: only the lines on screen are built (viewport.ts). It
// takes only the fields it draws, so a key typed in the input box does not
// render it again.
import React from 'react';
import type { Entry } from '../entry.ts';
import { focusLines, type Focus } from '../focus.ts';
import { viewport } from '../viewport.ts';
import { Lines } from './Lines.ts';

export const MessageList = React.memo(function MessageList({
  entries,
  columns,
  height,
  scroll,
  me,
  focus,
  color,
}: {
  readonly entries: readonly Entry[];
  readonly columns: number;
  readonly height: number;
  readonly scroll: number;
  readonly me: string;
  readonly focus: Focus | null;
  readonly color: boolean;
}) {
  const view = viewport(entries, columns, height, scroll, me);
  return React.createElement(Lines, { lines: focusLines(view, focus), color });
});
