// Draws styled lines (see theme.ts) with Ink. Lines are already cut to the
// width, so Ink is told to truncate rather than wrap: a frame is never taller
// than the screen, which would make Ink clear and redraw it (flicker).
// Without colour (NO_COLOR), only the colours are dropped.
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

/** One line; memoised, since the lines of an entry are cached and keep their identity. */
export const StyledLine = React.memo(function StyledLine({ line, color }: LineProps) {
  if (line.every((s) => s.text === '')) return h(Text, null, ' ');
  return h(Text, { wrap: 'truncate' }, ...line.map((s) => h(Text, textProps(s.style, color), s.text)));
});

export function Lines({ lines, color }: { readonly lines: readonly Line[]; readonly color: boolean }) {
  return h(Box, { flexDirection: 'column', flexShrink: 0 }, ...lines.map((line) => h(StyledLine, { line, color })));
}
