// The whole screen. It only lays out: the state comes from the store, the
// keys go to keys.ts, sending and quitting to the callbacks.
import { Box, useApp, useCursor, useInput, usePaste, useWindowSize } from 'ink';
import React, { useEffect, useSyncExternalStore } from 'react';
import { cleanPaste, insert } from '../editor.ts';
import { inputCursor } from '../chrome.ts';
import { keySequence } from '../key-sequence.ts';
import { onKey } from '../keys.ts';
import { drawableSize, layout } from '../layout.ts';
import { reduce } from '../state.ts';
import type { Store } from '../store.ts';
import { stopUntilContinued } from '../suspend.ts';
import { HintBar } from './HintBar.ts';
import { InputBox } from './InputBox.ts';
import { MessageList } from './MessageList.ts';
import { Palette } from './Palette.ts';
import { TitleBar } from './TitleBar.ts';

const h = React.createElement;

export interface AppProps {
  readonly store: Store;
  /** Sends a text the user typed (in order; see RoomLink.send). */
  readonly onSend: (text: string) => void;
  readonly onQuit: () => void;
  /** Clears the terminal and draws the whole screen again (Ctrl-L). */
  readonly onRedraw?: () => void;
  /** False under NO_COLOR. */
  readonly color: boolean;
  /**
   * Show the terminal's own cursor in the input box, for terminals that draw
   * no inverse (TERM=dumb), where the UI's inverse cursor would be invisible.
   */
  readonly terminalCursor?: boolean;
  /** A fixed size to draw in instead of the terminal's (tests); no margin is taken off it. */
  readonly size?: { readonly columns: number; readonly rows: number };
}

function useKeys({ store, onSend, onQuit, onRedraw }: AppProps): void {
  const { suspendTerminal } = useApp();
  useInput((chunk, chunkKey) => {
    // Each key sees the state the keys before it left.
    for (const { input, key } of keySequence(chunk, chunkKey)) {
      const outcome = onKey(store.getState(), input, key);
      if (outcome.action !== undefined) store.dispatch(outcome.action);
      for (const text of outcome.send ?? []) {
        store.dispatch({ type: 'sent', text });
        onSend(text);
      }
      if (outcome.redraw === true) onRedraw?.();
      if (outcome.suspend === true) void suspendTerminal(stopUntilContinued);
      if (outcome.quit === true) return onQuit();
    }
  });
  usePaste((text) => store.dispatch({ type: 'input', input: insert(store.getState().input, cleanPaste(text)) }));
}

export function App(props: AppProps) {
  const { store, color } = props;
  const stored = useSyncExternalStore(store.subscribe, store.getState);
  const terminal = useWindowSize();
  const size = props.size ?? drawableSize(terminal);
  useEffect(
    () => store.dispatch({ type: 'resize', columns: size.columns, rows: size.rows }),
    [store, size.columns, size.rows],
  );
  useKeys(props);
  // Draw at the terminal's size right away; the effect above brings the stored state along.
  const same = stored.size.columns === size.columns && stored.size.rows === size.rows;
  const state = same ? stored : reduce(stored, { type: 'resize', columns: size.columns, rows: size.rows });
  const lay = layout(state);
  const { setCursorPosition } = useCursor();
  setCursorPosition(props.terminalCursor === true ? inputCursor(lay) : undefined);
  return h(
    Box,
    { flexDirection: 'column', width: state.size.columns, height: state.size.rows, overflow: 'hidden' },
    h(TitleBar, { state, color }),
    h(MessageList, {
      entries: state.entries,
      columns: state.size.columns,
      height: lay.messages,
      scroll: state.scroll,
      me: state.me,
      focus: state.focus,
      color,
    }),
    h(Palette, { state, rows: lay.palette, color }),
    h(InputBox, { state, layout: lay, color }),
    lay.hint ? h(HintBar, { state, color }) : null,
  );
}
