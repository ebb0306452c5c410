// What a line typed by a person or an agent means, the same way everywhere:
// the TUI's input box, agent mode's stdin and `room send`.
//
//   {"type":"message",...}   a JSON envelope (only where JSON is accepted; see ParseOptions)
//   /dm bob hi there         a direct message; the text keeps its spacing
//   /reply 3f2a ack          a reply to the event whose id starts with 3f2a
//   /claim the auth module   any other command; params split on whitespace
//   //literal                a message starting with a single '/'
//   anything else            a plain message
import { InReply, type Inbound } from './api.ts';
import { roomError } from './errors.ts';

const COMMAND_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const INBOUND_TYPES = new Set(['message', 'reply', 'command', 'dm']);
/** The broker's own rule for a reply's id (the schema), checked here so a typo gets a usage line, not a schema error. */
const REPLY_ID = new RegExp(InReply.properties.reply_to.pattern);

/** Splits `/name rest` into the name and the rest with its inner spacing kept. */
function splitCommand(text: string): { name: string; rest: string } {
  const match = /^\/(\S*)\s*([\s\S]*)$/.exec(text);
  return { name: match?.[1] ?? '', rest: (match?.[2] ?? '').trimEnd() };
}

/** Splits off the first word of `rest`, keeping the remainder verbatim. */
function firstWord(rest: string): [string, string] {
  const match = /^(\S+)[ \t]*([\s\S]*)$/.exec(rest);
  return match === null ? ['', ''] : [match[1] ?? '', match[2] ?? ''];
}

export function parseSlash(text: string): Inbound {
  const { name, rest } = splitCommand(text);
  if (!COMMAND_NAME.test(name)) {
    throw name === '' ? roomError('invalid_command.empty_name') : roomError('invalid_command.bad_name', { name });
  }
  // Built-in names match in any case, as in the broker (server/commands.ts).
  const builtin = name.toLowerCase();
  if (builtin === 'dm') {
    const [to, body] = firstWord(rest);
    if (to === '' || body.trim() === '') throw roomError('invalid_command', { usage: '/dm <user> <message>' });
    return { type: 'dm', to, content: body };
  }
  if (builtin === 'reply') {
    const [id, body] = firstWord(rest);
    if (id === '' || body.trim() === '' || !REPLY_ID.test(id)) throw roomError('invalid_command.reply');
    return { type: 'reply', reply_to: id, content: body };
  }
  return { type: 'command', cmd: name, params: rest === '' ? [] : rest.split(/\s+/) };
}

/** `text` as an inbound event if it is a JSON object with a known `type`, else null. */
function envelopeOrNull(text: string): Inbound | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const type = value !== null && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
  return !Array.isArray(value) && typeof type === 'string' && INBOUND_TYPES.has(type) ? (value as Inbound) : null;
}

/** Interprets a JSON object as an inbound event (the broker validates the rest); `room send --json` insists on one. */
export function parseEnvelope(text: string): Inbound {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw roomError('invalid_json.line', { detail: (error as Error).message });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw roomError('invalid_event.not_an_object');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !INBOUND_TYPES.has(type)) {
    throw roomError('unknown_type.named', { type: JSON.stringify(type) });
  }
  return value as Inbound;
}

export interface ParseOptions {
  /**
   * What text that starts with `{` is:
   * - true: a JSON envelope, or an error saying why it is not one (agent mode; `room send --json`
   *   takes nothing but an envelope, through parseEnvelope);
   * - 'auto': an envelope only when it is one (a JSON object with a known `type`), else text (`room send`);
   * - false: text (the UI).
   */
  readonly json: boolean | 'auto';
}

export function parseInput(text: string, options: ParseOptions): Inbound {
  if (options.json !== false && text.trimStart().startsWith('{')) {
    if (options.json === true) return parseEnvelope(text.trim());
    const envelope = envelopeOrNull(text.trim());
    if (envelope !== null) return envelope;
    return { type: 'message', content: text };
  }
  if (text.startsWith('//')) return { type: 'message', content: text.slice(1) };
  if (text.startsWith('/')) return parseSlash(text);
  return { type: 'message', content: text };
}
