// How the screen is divided, from the state alone (pure), so the reducer
// (which clamps scrolling) and the components agree on every size:
//
//   title            1 row
//   messages         what is left
//   palette          0-8 rows, while it is open
//   input box        2 borders + 1-8 rows of text
//   error            0-3 rows
//   hint             1 row (dropped first on a tiny terminal)
//
// Every row leaves the terminal's last column empty (drawableSize): a
// grapheme the terminal draws wider than measured then still cannot wrap
// the row and push the screen out of step with what Ink thinks it drew.
import { inputRows, type InputRows } from './editor.ts';
import { sanitizeLine, wrap } from './format.ts';
import { paletteFor, type Palette, type PaletteItem } from './palette.ts';
import type { State } from './state.ts';

const MAX_PALETTE_ROWS = 8;
const MAX_INPUT_ROWS = 8;
const MAX_ERROR_ROWS = 3;

/** The palette as it is shown: null when closed or when nothing matches. */
export function openPalette(
  state: State,
): (Palette & { readonly selected: number; readonly item: PaletteItem }) | null {
  if (state.paletteClosed) return null;
  const palette = paletteFor(state.input, {
    isHost: state.host === state.me,
    me: state.me,
    names: state.names,
    kicked: state.kicked,
  });
  if (palette === null) return null;
  const n = palette.items.length;
  const selected = ((state.paletteIndex % n) + n) % n;
  return { ...palette, selected, item: palette.items[selected]! };
}

export interface Layout {
  readonly columns: number;
  readonly messages: number;
  readonly palette: number;
  readonly input: InputRows;
  /** Input rows on screen (the ones around the cursor when the text is taller). */
  readonly inputHeight: number;
  readonly error: readonly string[];
  readonly hint: boolean;
}

/** The size the UI draws in, for a terminal of this size: one column short of its width (see the header). */
export function drawableSize(terminal: { readonly columns: number; readonly rows: number }): {
  columns: number;
  rows: number;
} {
  return { columns: Math.max(1, terminal.columns - 1), rows: terminal.rows };
}

/** Columns for text inside the input box: `│ ` and ` │` take four. */
export const inputColumns = (columns: number) => Math.max(2, columns - 4);

export function layout(state: State): Layout {
  const { columns, rows } = state.size;
  const palette = openPalette(state);
  const input = inputRows(state.input, inputColumns(columns));
  const error =
    state.confirm !== null
      ? wrap(`? ${state.confirm}`, Math.max(1, columns - 1)).slice(0, MAX_ERROR_ROWS)
      : state.error === null
        ? []
        : wrap(`✗ ${sanitizeLine(state.error)}`, Math.max(1, columns - 1)).slice(0, MAX_ERROR_ROWS);
  const inputHeight = Math.min(input.rows.length, Math.max(1, Math.min(MAX_INPUT_ROWS, Math.floor(rows / 4))));
  let paletteRows =
    palette === null ? 0 : Math.min(palette.items.length, MAX_PALETTE_ROWS, Math.max(1, Math.floor(rows / 3)));
  let hint = true;
  let messages = rows - 1 - paletteRows - (inputHeight + 2) - error.length - 1;
  if (messages < 1) {
    hint = false;
    messages += 1;
  }
  if (messages < 1) {
    const cut = Math.min(paletteRows, 1 - messages);
    paletteRows -= cut;
    messages += cut;
  }
  return { columns, messages: Math.max(0, messages), palette: paletteRows, input, inputHeight, error, hint };
}

/** The message area's size. */
export function messageArea(state: State): { width: number; height: number } {
  return { width: state.size.columns, height: layout(state).messages };
}
