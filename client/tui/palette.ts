// The palette: what the word being typed can become. Pure.
//   `/wh`          → the room's commands (admin ones only for the host), filtered
//   `/dm bo`       → usernames, for commands whose first argument is a user
//   `hi @ca`       → usernames of the room
// It looks only at the text before the cursor, and only when the cursor
// ends the word (nothing but whitespace follows on the same word).
import { COMMANDS, commandUsage } from '../../shared/commands.ts';
import { BROKER_USER } from '../../shared/names.ts';
import type { Input } from './editor.ts';

export interface PaletteItem {
  readonly label: string;
  readonly detail: string;
  /** Replaces the word being typed. Ends with a space when more is to be typed. */
  readonly insert: string;
}

export interface Palette {
  readonly kind: 'command' | 'user';
  readonly items: readonly PaletteItem[];
  /** Where the word being typed starts in the text (it ends at the cursor). */
  readonly from: number;
  /** A user argument after which the command needs more (`/dm bob …`): Enter completes, never sends. */
  readonly needsMore?: boolean;
}

export interface PaletteContext {
  readonly isHost: boolean;
  readonly me: string;
  /** Usernames known in the room, sorted. */
  readonly names: readonly string[];
  /** Names the host kicked. */
  readonly kicked?: readonly string[];
}

/** Commands whose first argument is a user (/dm, /kick, /reauth), from their usage in shared/commands.ts. */
const USER_ARG_COMMANDS = new Set(COMMANDS.filter((c) => c.args.startsWith('<user>')).map((c) => c.name));

/**
 * An exact match first (so Enter on `/clear` sends /clear, never
 * /clear-tokens), then the other prefix matches (in their order), then the
 * other substring matches.
 */
function rank<T>(values: readonly T[], key: (v: T) => string, query: string): T[] {
  const q = query.toLowerCase();
  const exact = values.filter((v) => key(v).toLowerCase() === q);
  const starts = [...exact, ...values.filter((v) => key(v).toLowerCase() !== q && key(v).toLowerCase().startsWith(q))];
  // One character that starts something offers only what it starts: `/c` is not /kick.
  if (q === '' || (q.length === 1 && starts.length > 0)) return starts;
  const contains = values.filter((v) => !key(v).toLowerCase().startsWith(q) && key(v).toLowerCase().includes(q));
  return [...starts, ...contains];
}

function commandItems(query: string, ctx: PaletteContext): PaletteItem[] {
  const allowed = COMMANDS.filter((c) => ctx.isHost || !c.admin);
  return rank(allowed, (c) => c.name, query).map((c) => ({
    label: commandUsage(c),
    detail: c.admin ? `host · ${c.description}` : c.description,
    insert: `/${c.name}${c.args === '' ? '' : ' '}`,
  }));
}

/**
 * Who a command's user argument can be: /dm anyone but you, /kick anyone
 * but you and the kicked, /reauth only the kicked; a mention anyone.
 */
function candidates(ctx: PaletteContext, command: string | null): string[] {
  const kicked = new Set(ctx.kicked ?? []);
  const names = ctx.names.filter((n) => n !== BROKER_USER);
  switch (command) {
    case 'dm':
      return names.filter((n) => n !== ctx.me);
    case 'kick':
      return names.filter((n) => n !== ctx.me && !kicked.has(n));
    case 'reauth':
      return names.filter((n) => kicked.has(n));
    default:
      return names;
  }
}

function userItems(query: string, ctx: PaletteContext, prefix: string, command: string | null): PaletteItem[] {
  const names = candidates(ctx, command);
  return rank(names, (n) => n, query).map((n) => ({
    label: `${prefix}${n}`,
    detail: n === ctx.me ? 'you' : '',
    insert: `${prefix}${n} `,
  }));
}

export function paletteFor(input: Input, ctx: PaletteContext): Palette | null {
  const after = input.text.slice(input.cursor);
  if (after !== '' && !/^\s/.test(after)) return null;
  const before = input.text.slice(0, input.cursor);
  let match = /^\/(\S*)$/.exec(before);
  if (match !== null) {
    const items = commandItems(match[1]!, ctx);
    return items.length === 0 ? null : { kind: 'command', items, from: 0 };
  }
  // `/dm bo` and `/dm @bo` alike (the broker accepts a leading @ on user arguments).
  match = /^\/(\S+)[ \t]+(@?)(\S*)$/.exec(before);
  if (match !== null && USER_ARG_COMMANDS.has(match[1]!)) {
    const at = match[2]!;
    const command = COMMANDS.find((c) => c.name === match![1]);
    const items = userItems(match[3]!, ctx, at, match[1]!);
    const needsMore = command !== undefined && command.args.replace(/^<user>/, '').trim() !== '';
    return items.length === 0
      ? null
      : { kind: 'user', items, from: before.length - match[3]!.length - at.length, needsMore };
  }
  match = /(?:^|\s)@(\S*)$/.exec(before);
  if (match !== null) {
    const items = userItems(match[1]!, ctx, '@', null);
    return items.length === 0 ? null : { kind: 'user', items, from: before.length - match[1]!.length - 1 };
  }
  return null;
}

/** The input with the word being typed replaced by the item's text. */
export function complete(input: Input, palette: Palette, item: PaletteItem): Input {
  let after = input.text.slice(input.cursor);
  if (item.insert.endsWith(' ') && after.startsWith(' ')) after = after.slice(1);
  return { text: input.text.slice(0, palette.from) + item.insert + after, cursor: palette.from + item.insert.length };
}

/**
 * Enter with the palette open: sends when the word typed already is the
 * highlighted item (`/who`, `/kick bob`, `hi @bob`), unless it is a command
 * still missing its arguments (`/dm`); otherwise completes.
 */
export function enterSends(input: Input, palette: Palette, item: PaletteItem): boolean {
  if (palette.kind === 'command' && item.insert.endsWith(' ')) return false;
  if (palette.needsMore === true) return false;
  return input.text.slice(palette.from, input.cursor) === item.insert.trimEnd();
}

/**
 * Tab with no palette open: the word before the cursor, typed without `@`,
 * completed to a username as irssi and weechat do. One match: the name and
 * a space (`: ` when it starts the draft, addressing someone); several: as
 * far as they agree. Null when nothing matches or nothing would change.
 */
export function completeName(input: Input, ctx: PaletteContext): Input | null {
  const after = input.text.slice(input.cursor);
  if (after !== '' && !/^\s/.test(after)) return null;
  const before = input.text.slice(0, input.cursor);
  const word = /(?:^|\s)([^\s@/]+)$/.exec(before)?.[1];
  if (word === undefined) return null;
  const lower = word.toLowerCase();
  const matches = candidates(ctx, null).filter((n) => n !== ctx.me && n.toLowerCase().startsWith(lower));
  if (matches.length === 0) return null;
  const from = before.length - word.length;
  let text: string;
  if (matches.length === 1) {
    text = matches[0]! + (/^\s/.test(after) ? '' : from === 0 ? ': ' : ' ');
  } else {
    text = matches.reduce((common, n) => {
      let i = 0;
      while (i < common.length && i < n.length && common[i]!.toLowerCase() === n[i]!.toLowerCase()) i++;
      return common.slice(0, i);
    });
    if (text.length <= word.length) return null;
  }
  return { text: before.slice(0, from) + text + after, cursor: from + text.length };
}
