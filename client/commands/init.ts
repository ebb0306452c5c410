// `room init`: write the agent coordination protocol, naming the project's
// room, into the project's CLAUDE.md, then say how to install the Claude Code
// plugin. It only ever creates the file or appends to it: whatever the file
// already holds is never changed, and a file that already has the section
// (found by its marker line) is left alone.
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, RoomError } from '../../shared/errors.ts';
import { checkRoomId, isValidName, NAME_RULE } from '../../shared/names.ts';
import { parse, usageError, type Cli, type Command } from '../cli.ts';
import { findProtocolRoom, protocolSection } from '../protocol-section.ts';

const USAGE = `Usage: room init [--room ROOM-ID] [--dir PATH] [--yes]

Writes the agent coordination protocol (how agents join, announce intent,
claim files, hand off; with the exact room commands) for the project's room
into PATH/CLAUDE.md: creates the file, or appends the section to it. What the
file holds is never changed; if it already has the section, nothing is
written. Then prints how to install room's Claude Code plugin.

In a terminal it asks for the room id. Elsewhere give --room, or --yes.

Options:
      --room ROOM-ID  the project's room (default: the folder's name)
      --dir PATH      the project folder (default: the current directory)
  -y, --yes           ask nothing: use the folder's name as the room id`;

/** A room id made from a folder's name ("My App" → "My-App"), or null if nothing usable is left. */
function roomIdFromFolder(dir: string): string | null {
  const id = basename(dir)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+|-+$/g, '')
    .slice(0, 64);
  return isValidName(id) ? id : null;
}

/** The folder holding room's marketplace manifest (the package root), if this copy of room has one. */
function marketplaceRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, '.claude-plugin', 'marketplace.json'))) return dir;
  }
  return null;
}

function pluginHelp(roomId: string): string {
  const source = marketplaceRoot() ?? '<a clone of room, or its git URL>';
  return [
    `People join with: room ${roomId} <your-name>`,
    "Agents in Claude Code follow the protocol with room's plugin. In Claude Code run:",
    `  /plugin marketplace add ${source}`,
    '  /plugin install room@room',
    `(from a shell: claude plugin marketplace add ${source} && claude plugin install room@room)`,
  ].join('\n');
}

/** Asks for the room id in the terminal; null if the user cancelled. */
async function askRoomId(fallback: string | null, file: string): Promise<string | null> {
  const prompts = await import('@clack/prompts');
  prompts.intro('room init');
  prompts.log.info(`This adds the room coordination protocol to ${file}.`);
  const answer = await prompts.text({
    message: 'Room id for this project',
    placeholder: fallback ?? 'my-project',
    defaultValue: fallback ?? undefined,
    validate: (value) => {
      const id = value === undefined || value === '' ? fallback : value;
      if (id === null) return 'Type a room id';
      return isValidName(id) ? undefined : `Use ${NAME_RULE}`;
    },
  });
  if (prompts.isCancel(answer)) {
    prompts.cancel('Nothing changed.');
    return null;
  }
  return answer;
}

function readClaudeMd(file: string): string | null {
  if (!existsSync(file)) return null;
  if (!statSync(file).isFile()) throw new RoomError('usage', `${file} is not a regular file`);
  return readFileSync(file, 'utf8');
}

/** Appends the section after what the file holds, separated by one blank line. */
function separator(existing: string): string {
  if (existing === '' || existing.endsWith('\n\n')) return '';
  return existing.endsWith('\n') ? '\n' : '\n\n';
}

async function run(argv: string[], cli: Cli): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      room: { type: 'string' },
      dir: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])}`, USAGE);
  const dir = resolve(values.dir ?? process.cwd());
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usageError(`no such folder: ${dir}`, USAGE);
  const file = join(dir, 'CLAUDE.md');
  const existing = readClaudeMd(file);
  const present = existing === null ? null : findProtocolRoom(existing);
  if (values.room !== undefined) checkRoomId(values.room);

  if (present !== null && (values.room === undefined || values.room === present)) {
    cli.out(`${file} already has the room protocol for room ${present}: nothing changed.`);
    cli.out(pluginHelp(present));
    return EXIT.ok;
  }
  if (present !== null) {
    throw new RoomError(
      'usage',
      `${file} already has the room protocol for room ${present}; to use room ${values.room} instead, edit that section or delete it (from its room:protocol line to /room:protocol) and run room init again. Nothing changed.`,
    );
  }

  const fallback = roomIdFromFolder(dir);
  let roomId = values.room;
  const interactive = roomId === undefined && values.yes !== true;
  if (roomId === undefined && values.yes === true) {
    if (fallback === null)
      throw usageError(
        `cannot make a room id from the folder name ${JSON.stringify(basename(dir))}: give --room`,
        USAGE,
      );
    roomId = fallback;
  }
  if (roomId === undefined) {
    if (!cli.stdin.isTTY || !cli.stdout.isTTY)
      throw usageError('no terminal to ask in: give --room ROOM-ID, or --yes to use the folder name', USAGE);
    const answer = await askRoomId(fallback, file);
    if (answer === null) return EXIT.usage;
    roomId = answer;
  }

  const section = protocolSection(roomId);
  if (existing === null) writeFileSync(file, section, { flag: 'wx' });
  else appendFileSync(file, separator(existing) + section);
  const done = `${existing === null ? 'Created' : 'Added the room protocol to'} ${file} (room ${roomId}).`;
  if (interactive) {
    const prompts = await import('@clack/prompts');
    prompts.note(pluginHelp(roomId), 'Next');
    prompts.outro(done);
  } else {
    cli.out(done);
    cli.out(pluginHelp(roomId));
  }
  return EXIT.ok;
}

const init: Command = { usage: USAGE, run };

export default init;
