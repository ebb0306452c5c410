// What a key press does, as a pure function of the state and the key Ink
// reports. The result is an action to dispatch, and possibly texts to send
// or "quit".
//
// Enter sends. A newline instead: Shift+Enter or Alt+Enter (when the
// terminal reports them), Ctrl+J, or `\` then Enter (works everywhere).
// Text that arrives in one read with carriage returns in it (keys typed
// while the UI was busy, or a paste where the terminal has no bracketed
// paste) is read as typed: key-sequence.ts cuts it into keys, so each return
// is an Enter. Pastes in bracketed paste mode keep their newlines (App's
// usePaste).
//
// ↑/↓ move between the lines of a multi-line draft, and past them scroll
// the messages; Ctrl-P / Ctrl-N recall the texts sent before (recall.ts), as
// in a shell. Editing as in a shell too: Ctrl-←/→ and Alt-B/F move by word,
// Ctrl-W, Ctrl-U (the whole draft before the cursor) and Ctrl-K (to the end
// of the line) remove text, Ctrl-Y puts the last removed text back. Ctrl-L
// redraws the screen, Ctrl-Z suspends (fg resumes).
import type { Key } from 'ink';
import * as edit from './editor.ts';
import { confirmation } from './confirm.ts';
import { openPalette } from './layout.ts';
import { complete, completeName, enterSends } from './palette.ts';
import type { Action, State } from './state.ts';

export interface KeyOutcome {
  readonly action?: Action;
  /** Texts to send, in order (after the action, which empties or refills the input). */
  readonly send?: readonly string[];
  readonly quit?: boolean;
  /** Draw the whole screen again (Ctrl-L). */
  readonly redraw?: boolean;
  /** Stop the process as a shell job (Ctrl-Z); `fg` brings the screen back. */
  readonly suspend?: boolean;
}

const NONE: KeyOutcome = {};
const PAGE = 10;

const editTo = (input: edit.Input): KeyOutcome => ({ action: { type: 'input', input } });

/** An edit that removes text, kept for Ctrl-Y (when it removed any). */
function kill(state: State, input: edit.Input): KeyOutcome {
  const killed = edit.removed(state.input, input);
  return { action: killed === '' ? { type: 'input', input } : { type: 'input', input, killed } };
}

function newline(state: State): KeyOutcome {
  return editTo(edit.insert(state.input, '\n'));
}

/** Sends what is in the input (nothing when it is blank); a destructive command asks first (confirm.ts). */
function submit(state: State): KeyOutcome {
  if (state.input.text.trim() === '') return NONE;
  // `/find <text>` searches what is loaded (focus.ts); it is never sent.
  const find = /^\/find\s+(\S[\s\S]*)$/.exec(state.input.text.trim());
  if (find !== null) return { action: { type: 'find', query: find[1]! } };
  const question = confirmation(state.input.text, state.host === state.me, state.nats !== undefined);
  if (question !== null) return { action: { type: 'confirm', question } };
  return { action: { type: 'submitted' }, send: [state.input.text] };
}

/** While a destructive command waits: `y` sends it, any other key cancels (and does nothing else). */
function answer(state: State, input: string): KeyOutcome {
  if (input === 'y' || input === 'Y') return { action: { type: 'submitted' }, send: [state.input.text] };
  return { action: { type: 'confirm', question: null } };
}

function enter(state: State): KeyOutcome {
  const joined = edit.continuation(state.input);
  return joined === null ? submit(state) : editTo(joined);
}

/**
 * Typed or pasted text that came as one chunk (see the header). Each
 * carriage return is read like Enter: after a `\` it joins the lines;
 * otherwise it sends what was typed up to it, and the rest of the chunk
 * goes on into the emptied input.
 */
function typed(state: State, chunk: string): KeyOutcome {
  const parts = chunk.replace(/\r\n/g, '\r').split('\r');
  const send: string[] = [];
  let input = state.input;
  for (const [i, part] of parts.entries()) {
    input = edit.insert(input, edit.cleanPaste(part));
    if (i === parts.length - 1) break;
    const joined = edit.continuation(input);
    if (joined !== null) {
      input = joined;
    } else if (input.text.trim() !== '') {
      send.push(input.text);
      input = edit.EMPTY_INPUT;
    }
  }
  if (send.length > 0) return { action: { type: 'input', input }, send };
  return input.text === state.input.text && input.cursor === state.input.cursor ? NONE : editTo(input);
}

function withPalette(state: State, key: Key): KeyOutcome | null {
  const palette = openPalette(state);
  if (palette === null) return null;
  if (key.upArrow) return { action: { type: 'palette', move: -1 } };
  if (key.downArrow) return { action: { type: 'palette', move: 1 } };
  if (key.escape) return { action: { type: 'closePalette' } };
  if (key.tab || (key.return && !key.shift && !key.meta)) {
    if (key.return && enterSends(state.input, palette, palette.item)) return submit(state);
    return editTo(complete(state.input, palette, palette.item));
  }
  return null;
}

export function onKey(state: State, input: string, key: Key): KeyOutcome {
  if (key.ctrl && input === 'c') return { quit: true };
  if (key.ctrl && input === 'l') return { redraw: true };
  if (state.confirm !== null) return answer(state, input);
  if (key.ctrl && input === 'r') return { action: { type: 'chooseReply' } };
  if (state.focus !== null) {
    // A found or chosen message: ↑↓ move between them, Esc ends it, Enter answers the chosen one.
    if (key.upArrow) return { action: { type: 'focusMove', move: -1 } };
    if (key.downArrow) return { action: { type: 'focusMove', move: 1 } };
    if (key.escape) return { action: { type: 'unfocus' } };
    if (key.return && state.focus.kind === 'reply') return { action: { type: 'replyToFocus' } };
  }
  const palette = withPalette(state, key);
  if (palette !== null) return palette;
  if (key.return) return key.shift || key.meta ? newline(state) : enter(state);
  if (input === '\n' || (key.ctrl && input === 'j')) return newline(state);
  if (key.upArrow || key.downArrow) {
    // In a multi-line draft ↑↓ move between its lines first; past them they scroll.
    const moved = edit.lineMove(state.input, key.upArrow ? -1 : 1);
    if (moved !== null) return editTo(moved);
    return { action: { type: 'scroll', by: key.upArrow ? 1 : -1 } };
  }
  if (key.pageUp) return { action: { type: 'scroll', by: PAGE } };
  if (key.pageDown) return { action: { type: 'scroll', by: -PAGE } };
  if (key.escape) return { action: { type: 'dismiss' } };
  if (key.backspace) return editTo(edit.backspace(state.input));
  if (key.delete) return editTo(edit.deleteForward(state.input));
  if ((key.leftArrow && (key.ctrl || key.meta)) || (key.meta && input === 'b'))
    return editTo(edit.wordLeft(state.input));
  if ((key.rightArrow && (key.ctrl || key.meta)) || (key.meta && input === 'f'))
    return editTo(edit.wordRight(state.input));
  if (key.leftArrow) return editTo(edit.left(state.input));
  if (key.rightArrow) return editTo(edit.right(state.input));
  if (key.home || (key.ctrl && input === 'a')) return editTo(edit.home(state.input));
  if (key.end || (key.ctrl && input === 'e')) return editTo(edit.end(state.input));
  if (key.ctrl && input === 'u') return kill(state, edit.killToStart(state.input));
  if (key.ctrl && input === 'k') return kill(state, edit.killToEnd(state.input));
  if (key.ctrl && input === 'w') return kill(state, edit.killWord(state.input));
  if (key.ctrl && input === 'y') return state.killed === '' ? NONE : editTo(edit.insert(state.input, state.killed));
  if (key.ctrl && input === 'z') return { suspend: true };
  if (key.ctrl && input === 'p') return { action: { type: 'recall', move: -1 } };
  if (key.ctrl && input === 'n') return { action: { type: 'recall', move: 1 } };
  if (key.tab && !key.shift) {
    const completed = completeName(state.input, { isHost: state.host === state.me, me: state.me, names: state.names });
    return completed === null ? NONE : editTo(completed);
  }
  if (key.ctrl || key.meta || key.tab || input === '') return NONE;
  return typed(state, input);
}
