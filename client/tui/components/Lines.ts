// Draws styled lines (see theme.ts) with Ink. Lines are already cut to the
// width, so Ink is told to truncate rather than wrap: a frame is never taller
// than the screen, which would make Ink clear and redraw it (flicker).
// Without colour (NO_COLOR), only the colours are dropped.
//
// A row whose line did not change is not rendered again, so Ink neither
// updates nor measures it: the input box does not change when events
// arrive, the title does not change when a key is typed. The message area's
// rows are keyed by line (`keyed`): when new events push the view up, the
// rows still on screen move as they are and only the new ones are built.
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

/**
 * A key per line object, for rows that keep their line from frame to frame
 * (the message area's lines are cached per entry, look.ts). A line object is
 * on screen at most once, so keys are unique in a frame.
 */
const lineKeys = new WeakMap<Line, number>();
let nextKey = 0;
function keyOf(line: Line): number {
  let key = lineKeys.get(line);
  if (key === undefined) {
    key = nextKey++;
    lineKeys.set(line, key);
  }
  return key;
}

export function Lines({
  lines,
  color,
  keyed = false,
}: {
  readonly lines: readonly Line[];
  readonly color: boolean;
  /** Key rows by line object (the message area), rather than by position. */
  readonly keyed?: boolean;
}) {
  return h(
    Box,
    { flexDirection: 'column', flexShrink: 0 },
    ...lines.map((line) => h(StyledLine, keyed ? { key: keyOf(line), line, color } : { line, color })),
  );
}
