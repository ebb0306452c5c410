// `room init`: write the agent coordination protocol, naming the project's
// room, into the project's CLAUDE.md, the room into .claude/room.json (what
// the plugin's hooks read), and room's entries into .claude/settings.json
// (permission rules, the plugin enabled, its marketplace), then say how to
// install the Claude Code plugin. CLAUDE.md is only ever created or appended
// to, in its own line endings: whatever it holds is never changed, and a file
// that already has the section (found by its marker line) is left alone. The
// settings are merged: nothing there is replaced. Everything is checked
// before anything is written.
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, RoomError } from '../../shared/errors.ts';
import { checkRoomId, isValidName, NAME_RULE } from '../../shared/names.ts';
import { parse, usageError, type Cli, type Command } from '../cli.ts';
import { PROJECT_FILE } from '../claude/project.ts';
import { marketplaceSource, mergeSettings } from '../claude/settings.ts';
import { findProtocolRoom, protocolSection } from '../protocol-section.ts';

const USAGE = `Usage: room init [--room ROOM-ID] [--dir PATH] [--yes] [--marketplace SOURCE]

Sets a project up for its room:
- PATH/CLAUDE.md: the agent coordination protocol (how agents join, announce
  intent, claim files, hand off; with the exact room commands) for the room:
  creates the file, or appends the section in the file's own line endings.
  What the file holds is never changed; a file with the section is left alone.
- PATH/.claude/room.json: {"room": "<room-id>"}, which the Claude Code
  plugin's hooks read (optional keys: "prefix" for session names, default
  "claude"; "deliverOnStop": true to deliver news when a turn ends).
- PATH/.claude/settings.json, merged (nothing there is replaced):
  permissions.allow rules for the room commands the protocol runs (so no
  session stops on an approval prompt), enabledPlugins room@room, and
  extraKnownMarketplaces room (so teammates are offered the plugin).
Then prints how to install room's Claude Code plugin.

In a terminal it asks for the room id. Elsewhere give --room, or --yes.

Options:
      --room ROOM-ID  the project's room (default: the folder's name)
      --dir PATH      the project folder (default: the current directory)
  -y, --yes           ask nothing: use the folder's name as the room id
      --marketplace SOURCE
                      where teammates get the plugin: a GitHub owner/repo, a
                      git URL, or a folder (default: this copy of room, if it
                      has the marketplace; else none is written)`;

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

/** Appends the section after what the file holds, separated by one blank line, in the file's line endings. */
function separator(existing: string, nl: string): string {
  if (existing === '' || existing.endsWith(nl + nl)) return '';
  return existing.endsWith(nl) ? nl : nl + nl;
}

function readIfFile(file: string): string | null {
  if (!existsSync(file)) return null;
  if (!statSync(file).isFile()) throw new RoomError('usage', `${file} is not a regular file. Nothing changed.`);
  return readFileSync(file, 'utf8');
}

/** The project's .claude/room.json with the room, or null when it already names it. Another room is refused. */
function roomFile(file: string, roomId: string): string | null {
  const text = readIfFile(file);
  if (text === null) return `${JSON.stringify({ room: roomId }, null, 2)}\n`;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  } catch (error) {
    throw new RoomError(
      'usage',
      `${file} is not valid JSON (${(error as Error).message}): fix or delete it. Nothing changed.`,
    );
  }
  if (value.room === roomId) return null;
  if (value.room !== undefined)
    throw new RoomError(
      'usage',
      `${file} names room ${String(value.room)}, not ${roomId}: edit or delete it. Nothing changed.`,
    );
  return `${JSON.stringify({ room: roomId, ...value }, null, 2)}\n`;
}

/** Writes room.json and settings.json (checked first); returns what was added. */
function writeClaudeSettings(dir: string, roomId: string, marketplace: string | undefined): string[] {
  const claudeDir = join(dir, '.claude');
  if (existsSync(claudeDir) && !statSync(claudeDir).isDirectory())
    throw new RoomError('usage', `${claudeDir} is not a folder. Nothing changed.`);
  const roomJson = join(dir, PROJECT_FILE);
  const settingsFile = join(claudeDir, 'settings.json');
  const room = roomFile(roomJson, roomId);
  const source = marketplace ?? marketplaceRoot();
  const { settings, changes } = mergeSettings(
    settingsFile,
    readIfFile(settingsFile),
    source === null ? null : marketplaceSource(source),
  );
  mkdirSync(claudeDir, { recursive: true });
  const added: string[] = [];
  if (room !== null) {
    writeFileSync(roomJson, room);
    added.push(`${roomJson} (room ${roomId})`);
  }
  if (changes.length > 0) {
    writeFileSync(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
    added.push(`${settingsFile} (${changes.join('; ')})`);
  }
  return added;
}

async function run(argv: string[], cli: Cli): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      room: { type: 'string' },
      dir: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      marketplace: { type: 'string' },
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

  if (values.marketplace !== undefined && values.marketplace.trim() === '')
    throw usageError('--marketplace needs a GitHub owner/repo, a git URL or a folder', USAGE);
  if (present !== null && (values.room === undefined || values.room === present)) {
    const added = writeClaudeSettings(dir, present, values.marketplace);
    if (added.length === 0) cli.out(`${file} already has the room protocol for room ${present}: nothing changed.`);
    else cli.out(`${file} already has the room protocol for room ${present}. Added ${added.join(' and ')}.`);
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

  // A file in CRLF line endings gets the section in CRLF too: one file, one kind of line ending.
  const nl = existing?.includes('\r\n') === true ? '\r\n' : '\n';
  const section = protocolSection(roomId).replaceAll('\n', nl);
  const added = writeClaudeSettings(dir, roomId, values.marketplace);
  if (existing === null) writeFileSync(file, section, { flag: 'wx' });
  else appendFileSync(file, separator(existing, nl) + section);
  const done = `${existing === null ? 'Created' : 'Added the room protocol to'} ${file} (room ${roomId})${added.length === 0 ? '' : `, and ${added.join(' and ')}`}.`;
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
