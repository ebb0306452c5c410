// The slash commands the broker knows, with their help text. The TUI's
// palette, `/help` and the README list come from here. Any other command
// name is broadcast to the room as a `command` event for agents to act on.

export interface CommandInfo {
  readonly name: string;
  readonly args: string;
  readonly description: string;
  /** Only the room host may run it. */
  readonly admin: boolean;
}

export const COMMANDS: readonly CommandInfo[] = [
  { name: 'who', args: '', description: 'who is online, with their status (only you see the answer)', admin: false },
  { name: 'set_status', args: '[text…]', description: 'set your status; with no text, clear it', admin: false },
  {
    name: 'dm',
    args: '<user> <message…>',
    description: 'a private message to one user (the host sees DMs too)',
    admin: false,
  },
  { name: 'reply', args: '<id-prefix> <message…>', description: 'answer an earlier message', admin: false },
  {
    name: 'claim',
    args: '<what…> [--force]',
    description: 'claim files, globs or a topic; refused while someone else holds it',
    admin: false,
  },
  {
    name: 'release',
    args: '[what…]',
    description: 'end your claim on what (with nothing: all of yours)',
    admin: false,
  },
  { name: 'claims', args: '', description: 'the open claims (only you see the answer)', admin: false },
  { name: 'help', args: '', description: 'list the commands (only you see the answer)', admin: false },
  {
    name: 'kick',
    args: '<user>',
    description: "revoke a user's token, end their sessions, block the name",
    admin: true,
  },
  { name: 'reauth', args: '<user>', description: 'let a kicked user join again (with a new token)', admin: true },
  { name: 'clear-tokens', args: '', description: 'revoke every token; everyone must join again', admin: true },
  { name: 'clear', args: '', description: 'empty the history, leaving one notice', admin: true },
  { name: 'exit', args: '', description: "shut the room's broker down (history and tokens are kept)", admin: true },
];

export function commandUsage(info: CommandInfo): string {
  return `/${info.name}${info.args === '' ? '' : ` ${info.args}`}`;
}

export function findCommand(name: string): CommandInfo | undefined {
  return COMMANDS.find((c) => c.name === name);
}
