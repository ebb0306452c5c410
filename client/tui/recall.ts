// Input recall, like a shell's history: Ctrl-P brings back the texts sent in
// this session, newest first; Ctrl-N goes forward again, and past the newest
// gives back the draft that was being typed when recall started. Editing a
// recalled text makes it the new draft (the reducer calls `settle`), so
// nothing typed is lost by moving on. Kept in memory only, per session.
import type { Input } from './editor.ts';

/** The most texts remembered; older ones are forgotten. */
export const MAX_RECALL = 500;

export interface Recall {
  /** Texts sent, oldest first; a text is not repeated right after itself. */
  readonly sent: readonly string[];
  /** Which of `sent` is in the input while recalling; null when not recalling. */
  readonly at: number | null;
  /** What was in the input when recall started, given back past the newest. */
  readonly draft: Input | null;
}

export const EMPTY_RECALL: Recall = { sent: [], at: null, draft: null };

const atEnd = (text: string): Input => ({ text, cursor: text.length });

/** Remembers a sent text (and stops recalling). */
export function remember(recall: Recall, text: string): Recall {
  if (text.trim() === '') return settle(recall);
  const sent = recall.sent.at(-1) === text ? recall.sent : [...recall.sent, text].slice(-MAX_RECALL);
  return { sent, at: null, draft: null };
}

/** Stops recalling: whatever is in the input now is simply what is being typed. */
export function settle(recall: Recall): Recall {
  return recall.at === null ? recall : { ...recall, at: null, draft: null };
}

/** One text further back (Ctrl-P); null when there is none. */
export function older(recall: Recall, input: Input): { recall: Recall; input: Input } | null {
  if (recall.at === 0 || recall.sent.length === 0) return null;
  const at = recall.at === null ? recall.sent.length - 1 : recall.at - 1;
  return {
    recall: { ...recall, at, draft: recall.at === null ? input : recall.draft },
    input: atEnd(recall.sent[at]!),
  };
}

/** One text forward (Ctrl-N); past the newest, the draft; null when not recalling. */
export function newer(recall: Recall): { recall: Recall; input: Input } | null {
  if (recall.at === null) return null;
  if (recall.at + 1 < recall.sent.length)
    return { recall: { ...recall, at: recall.at + 1 }, input: atEnd(recall.sent[recall.at + 1]!) };
  return { recall: { ...recall, at: null, draft: null }, input: recall.draft ?? atEnd('') };
}
