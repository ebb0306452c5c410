// What the composer offers at the caret: the `/` palette (commands from
// shared/commands.ts, host-only ones for the host) at the start of the text,
// and `@name` (or a command's user argument) from the room's members. Pure:
// the page and the unit test call it alike.
import { COMMANDS, commandUsage } from '../../../shared/commands.ts';

export interface Suggestion {
  readonly label: string;
  readonly detail: string;
  /** Replaces text[from, to). */
  readonly insert: string;
}

export interface Suggestions {
  readonly from: number;
  readonly to: number;
  readonly items: readonly Suggestion[];
}

export interface CompletionSource {
  readonly names: readonly string[];
  readonly isHost: boolean;
}

/** Commands whose first argument is a user. */
const USER_ARG = new Set(COMMANDS.filter((c) => c.args.startsWith('<user>')).map((c) => c.name));

export function suggest(text: string, caret: number, source: CompletionSource): Suggestions | undefined {
  const before = text.slice(0, caret);
  const command = /^\/([A-Za-z0-9_.-]*)$/.exec(before);
  if (command !== null) {
    const typed = command[1]!.toLowerCase();
    const items = COMMANDS.filter((c) => (source.isHost || !c.admin) && c.name.startsWith(typed)).map((c) => ({
      label: commandUsage(c),
      detail: c.description,
      insert: `/${c.name} `,
    }));
    return items.length === 0 ? undefined : { from: 0, to: caret, items };
  }
  const argument = /^\/([A-Za-z0-9_.-]+)\s+@?([A-Za-z0-9._-]*)$/.exec(before);
  const word = /(^|\s)@([A-Za-z0-9._-]*)$/.exec(before);
  let typed: string;
  let from: number;
  let prefix: string;
  if (argument !== null && USER_ARG.has(argument[1]!.toLowerCase())) {
    typed = argument[2]!;
    from = caret - typed.length - (before.endsWith(`@${typed}`) ? 1 : 0);
    prefix = '';
  } else if (word !== null) {
    typed = word[2]!;
    from = caret - typed.length - 1;
    prefix = '@';
  } else {
    return undefined;
  }
  const lower = typed.toLowerCase();
  const items = [...source.names]
    .filter((name) => name.toLowerCase().startsWith(lower))
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({ label: `${prefix}${name}`, detail: '', insert: `${prefix}${name} ` }));
  return items.length === 0 ? undefined : { from, to: caret, items };
}
