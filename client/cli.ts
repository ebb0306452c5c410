// What every command gets from the entry point, and the argument helpers they
// share. Options are parsed once here, at the edge, into plain values;
// nothing deeper reads process.env or process.argv.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type MessageArgs, type MessageKey, RoomError, roomError, withContext, withHint } from '../shared/errors.ts';
import { clipped, quoted } from '../shared/quote.ts';
import { readTokenFile } from './token-record.ts';

export interface Cli {
  readonly env: NodeJS.ProcessEnv;
  /** The room directory: $ROOM_DIR or /tmp. */
  readonly dir: string;
  readonly stdin: NodeJS.ReadStream;
  /** stdout itself, for a long-lived writer that must respect its backpressure (agent mode). */
  readonly stdout: NodeJS.WriteStream;
  /** Writes one line of protocol output (NDJSON) to stdout. */
  readonly out: (line: string) => void;
  /** Writes text (whole lines) to stdout as it is. */
  readonly write: (text: string) => void;
  /** Writes a diagnostic line to stderr. */
  readonly err: (line: string) => void;
}

export interface Command {
  readonly usage: string;
  readonly run: (argv: string[], cli: Cli) => Promise<number>;
  /** The part of argv that holds options, for a command whose other words are free text (send); default: all of it. */
  readonly optionPart?: (argv: string[]) => string[];
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into usage errors that show the command's usage line. */
export function parse<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw withHint(parseArgsError((error as Error).message), usageLine(usage));
  }
}

/**
 * Where the options of a command that takes free text end: options go before
 * the leading positionals (the room id) or right after them; the first word
 * after those starts the text, and every word from there on is text, even one
 * that looks like an option (`room send r run it with -n 5`). A `--` ends the
 * options early. Returns the part for `parse` and the text's words.
 */
export function splitText(argv: string[], options: Options, leading: number): { head: string[]; words: string[] } {
  let seen = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      const rest = argv.slice(i + 1);
      const needed = Math.max(0, leading - seen);
      return { head: [...argv.slice(0, i), '--', ...rest.slice(0, needed)], words: rest.slice(needed) };
    }
    if (arg.startsWith('-') && arg !== '-') {
      if (takesValue(arg, options)) i++;
      continue;
    }
    if (seen === leading) return { head: argv.slice(0, i), words: argv.slice(i) };
    seen++;
  }
  return { head: argv, words: [] };
}

/** Whether `arg` is a string option given without its value inline (`--to bob`, `-t X`, not `--to=bob`, `-tX`). */
function takesValue(arg: string, options: Options): boolean {
  if (arg.startsWith('--')) {
    if (arg.includes('=')) return false;
    return options[arg.slice(2)]?.type === 'string';
  }
  const short = arg.slice(1, 2);
  const option = Object.values(options).find((o) => o.short === short);
  return option?.type === 'string' && arg.length === 2;
}

/** parseArgs's wording for two common slips, said plainly (its own hint for them is garbled); its own otherwise. */
function parseArgsError(message: string): RoomError {
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown !== null) return roomError('usage.unknown_option', { option: clipped(unknown[1]!) });
  const dashed = /^Option '([^']+)' argument is ambiguous/.exec(message);
  if (dashed !== null) {
    const [, option] = dashed as unknown as [string, string];
    return roomError(option.startsWith('--') ? 'usage.option_dash_value' : 'usage.option_value', { option });
  }
  return roomError('usage', { detail: message });
}

/** A usage error: the problem (a `usage` message of the table), then the command's one-line usage (its --help has the rest). */
export function usageError<K extends Extract<MessageKey, `usage.${string}`>>(
  usage: string,
  key: K,
  ...values: MessageArgs<K>
): RoomError {
  return withHint(roomError(key, ...values), usageLine(usage));
}

/** The first line of a command's usage text, with where to read the rest. */
export function usageLine(usage: string): string {
  const first = usage.split('\n', 1)[0]!;
  const command = /^Usage: room ([a-z][a-z-]*)/.exec(first)?.[1];
  const more = command === undefined ? 'room --help' : `room ${command} --help`;
  return `${first}  (more: ${more})`;
}

/** The options that name a token, shared by send, poll and watch. */
export const TOKEN_OPTIONS = {
  token: { type: 'string', short: 't' },
  'token-file': { type: 'string' },
} as const;

/**
 * The token from -t/--token, else the file named by --token-file, else the
 * file named by $ROOM_TOKEN_FILE, else $ROOM_TOKEN. A token record is read only when --token-file names it: that
 * lets an agent whose shell forgets its environment between calls (Claude
 * Code) use its token without ever printing it or putting it in argv.
 */
export function tokenFrom(
  values: { token?: string | undefined; 'token-file'?: string | undefined },
  env: NodeJS.ProcessEnv,
  usage: string,
): string {
  if (values.token !== undefined && values['token-file'] !== undefined) throw usageError(usage, 'usage.token_twice');
  if (values['token-file'] !== undefined) return readTokenFile(values['token-file']);
  // Set for a Claude Code session by the plugin's SessionStart hook: the session's own record.
  if (values.token === undefined && env.ROOM_TOKEN_FILE) {
    try {
      return readTokenFile(env.ROOM_TOKEN_FILE);
    } catch (error) {
      // Nothing on the command line names the file: say where its path came from.
      if (error instanceof RoomError) throw withContext(error, 'ROOM_TOKEN_FILE');
      throw error;
    }
  }
  const token = values.token ?? env.ROOM_TOKEN;
  if (token === undefined || token === '') {
    throw roomError('missing_token.none_given');
  }
  return checkToken(token, 'invalid_token.record_json_cli');
}

/** A token is a bare UUID: `ROOM_TOKEN=$(cat room-r-bot.token)` passes the whole record, which gets its own hint. */
export function checkToken(
  token: string,
  refusal: 'invalid_token.record_json_cli' | 'invalid_token.record_json_web' | 'invalid_token.record_json_session',
): string {
  if (token.trimStart().startsWith('{')) throw roomError(refusal);
  return token;
}

/** A number of seconds given as an option (e.g. --interval 0.5). */
export function seconds(
  value: string | undefined,
  name: string,
  fallback: number | undefined,
  usage: string,
): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw usageError(usage, 'usage.positive_seconds', { option: `--${name}`, value: quoted(value) });
  return n;
}

/** A non-negative integer option (e.g. -n 20). */
export function count(value: string | undefined, name: string, fallback: number, usage: string): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) throw usageError(usage, 'usage.whole_number', { option: name, value: quoted(value) });
  return Number(value);
}
