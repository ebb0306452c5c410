// Draws styled lines (see theme.ts) with Ink. Lines are already cut to the
// width, so Ink is told to truncate rather than wrap: a frame is never taller
// than the screen, which would make Ink clear and redraw it (flicker).
// Without colour (NO_COLOR), only the colours are dropped.
//
// A row whose line did not change is not rendered again, so Ink neither
// updates nor measures it: the input box does not change when events
// arrive, the title does not change when a key is typed. Rows are matched
// by position: keyed by line, the message area moved the rows still on
// screen, but in a flood every row is new at each frame, and mounting rows
// cost more than updating them (bench/README.md, "Terminal UI under a flood").
import { Box, Text } from 'ink';
import React from 'react';
import type { Line, Style } from '../theme.ts';

const h = React.createElement;

function textProps(style: Style | undefined, color: boolean) {
  if (style === undefined) return {};
  return {
    color: color ? style.color : undefined,
    bold: style.bold,
    dimColor: style.dim,
    italic: style.italic,
    inverse: style.inverse,
  };
}

interface LineProps {
  readonly line: Line;
  readonly color: boolean;
}

const sameStyle = (a: Style | undefined, b: Style | undefined): boolean =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.color === b.color &&
    a.bold === b.bold &&
    a.dim === b.dim &&
    a.italic === b.italic &&
    a.inverse === b.inverse);

/** Whether two lines draw the same: the same texts in the same styles. */
export function sameLine(a: Line, b: Line): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.text !== b[i]!.text || !sameStyle(a[i]!.style, b[i]!.style)) return false;
  }
  return true;
}

/** One line; rendered again only when what it draws changed. */
export const StyledLine = React.memo(
  function StyledLine({ line, color }: LineProps) {
    if (line.every((s) => s.text === '')) return h(Text, null, ' ');
    return h(Text, { wrap: 'truncate' }, ...line.map((s) => h(Text, textProps(s.style, color), s.text)));
  },
  (before, after) => before.color === after.color && sameLine(before.line, after.line),
);

export function Lines({ lines, color }: { readonly lines: readonly Line[]; readonly color: boolean }) {
  return h(Box, { flexDirection: 'column', flexShrink: 0 }, ...lines.map((line) => h(StyledLine, { line, color })));
}
