// `room init`: write the agent coordination protocol, naming the project's
// room, into the project's CLAUDE.md, the room into .claude/room.json (what
// the plugin's hooks read), and room's entries into .claude/settings.json
// (permission rules, the plugin enabled, its marketplace), then say how to
// install the Claude Code plugin. With --agents (or, in a terminal, for the
// agents it finds and the user picks), each other agent's project MCP config
// (client/mcp/agent-configs.ts) and the protocol section in the file it reads
// (AGENTS.md, GEMINI.md). Instructions files are only ever created or appended
// to (client/instructions-file.ts); configs and settings are merged: nothing
// there is replaced. Everything is checked before anything is written.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, roomError } from '../../shared/errors.ts';
import { checkRoomId, isValidName, NAME_RULE } from '../../shared/names.ts';
import { parse, usageError, type Cli, type Command } from '../cli.ts';
import { PROJECT_FILE } from '../claude/project.ts';
import { marketplaceSource, mergeSettings } from '../claude/settings.ts';
import { planSection, readInstructions, writeSection, type SectionPlan } from '../instructions-file.ts';
import {
  AGENT_LABEL,
  AGENT_TOOLS,
  CONFIG_FILE,
  detectAgents,
  parseAgents,
  planAgents,
  writeAgents,
  type AgentTool,
  type AgentsPlan,
} from '../mcp/agent-configs.ts';
import { findProtocolRoom } from '../protocol-section.ts';

const USAGE = `Usage: room init [--room ROOM-ID] [--dir PATH] [--yes] [--agents LIST] [--marketplace SOURCE]

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
- With --agents: for each agent named, its project MCP config running
  room mcp --room ROOM-ID (merged: other servers and a room entry already
  there are kept): claude .mcp.json, codex .codex/config.toml, gemini
  .gemini/settings.json, cursor .cursor/mcp.json; and the protocol section
  in the file it reads: AGENTS.md (codex, cursor), GEMINI.md (gemini).
Then prints each file and what was done, and how to install room's Claude
Code plugin.

In a terminal it asks for the room id (unless given), and which agents to
set up when it finds signs of them (.codex/, .gemini/, .cursor/, AGENTS.md,
GEMINI.md) and --agents is not given. Elsewhere give --room, or --yes.

Options:
      --room ROOM-ID  the project's room (default: the folder's name)
      --dir PATH      the project folder (default: the current directory)
  -y, --yes           ask nothing: use the folder's name as the room id
      --agents LIST   also set up these agents, comma-separated: claude,
                      codex, gemini, cursor
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

function readIfFile(file: string): string | null {
  if (!existsSync(file)) return null;
  if (!statSync(file).isFile()) throw roomError('usage.not_a_file', { path: file });
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
    throw roomError('usage.project_json', { path: file, detail: (error as Error).message });
  }
  if (value.room === roomId) return null;
  if (value.room !== undefined)
    throw roomError('usage.project_other_room', { path: file, other: String(value.room), room: roomId });
  return `${JSON.stringify({ room: roomId, ...value }, null, 2)}\n`;
}

interface SettingsPlan {
  readonly claudeDir: string;
  /** Each file's next text, and what the report says of it. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly text: string; readonly said: string }>;
}

/** What room.json and settings.json need (checked; nothing written). */
function planClaudeSettings(dir: string, roomId: string, marketplace: string | undefined): SettingsPlan {
  const claudeDir = join(dir, '.claude');
  if (existsSync(claudeDir) && !statSync(claudeDir).isDirectory())
    throw roomError('usage.not_a_folder', { path: claudeDir });
  const roomJson = join(dir, PROJECT_FILE);
  const settingsFile = join(claudeDir, 'settings.json');
  const room = roomFile(roomJson, roomId);
  const source = marketplace ?? marketplaceRoot();
  const { settings, changes } = mergeSettings(
    settingsFile,
    readIfFile(settingsFile),
    source === null ? null : marketplaceSource(source),
  );
  const files: SettingsPlan['files'][number][] = [];
  if (room !== null) files.push({ path: roomJson, text: room, said: `${roomJson} (room ${roomId})` });
  if (changes.length > 0)
    files.push({
      path: settingsFile,
      text: `${JSON.stringify(settings, null, 2)}\n`,
      said: `${settingsFile} (${changes.join('; ')})`,
    });
  return { claudeDir, files };
}

/** Writes room.json and settings.json as planned; returns what was added. */
function writeClaudeSettings(plan: SettingsPlan): string[] {
  if (plan.files.length > 0) mkdirSync(plan.claudeDir, { recursive: true });
  for (const file of plan.files) writeFileSync(file.path, file.text);
  return plan.files.map((f) => f.said);
}

/** In a terminal: which of the agents found in the project to set up (all found are preselected). */
async function offerAgents(dir: string): Promise<AgentTool[] | null> {
  const found = detectAgents(dir);
  if (found.length === 0) return [];
  const prompts = await import('@clack/prompts');
  const answer = await prompts.multiselect<AgentTool>({
    message: 'Also set up room for these agents (their MCP config and instructions file)?',
    options: AGENT_TOOLS.map((tool) => ({
      value: tool,
      label: AGENT_LABEL[tool],
      hint: found.includes(tool) ? `found in this project: ${CONFIG_FILE[tool]}` : CONFIG_FILE[tool],
    })),
    initialValues: found,
    required: false,
  });
  if (prompts.isCancel(answer)) {
    prompts.cancel('Nothing changed.');
    return null;
  }
  return answer;
}

/** One line per agent file: what was done to it. */
function agentLines(plan: AgentsPlan, roomId: string, claudeMd: string): string[] {
  const lines = plan.configs.map(({ result, path }) => {
    const who = AGENT_LABEL[result.tool];
    if (result.action === 'kept') return `${path} already has a room MCP server (${who}): left as it is.`;
    return `${result.action === 'created' ? 'Created' : "Added room's MCP server to"} ${path} (${who}: room mcp --room ${roomId}).`;
  });
  for (const { plan: section, tools } of plan.sections) {
    if (section.path === claudeMd) continue; // reported with the Claude Code set-up
    const who = tools.map((t) => AGENT_LABEL[t]).join(', ');
    if (section.action === 'kept')
      lines.push(`${section.path} already has the room protocol for room ${section.room} (${who}): nothing changed.`);
    else
      lines.push(
        `${section.action === 'created' ? 'Created' : 'Added the room protocol to'} ${section.path} (${who}; room ${section.room}).`,
      );
  }
  return lines;
}

async function run(argv: string[], cli: Cli): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      room: { type: 'string' },
      dir: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      agents: { type: 'string' },
      marketplace: { type: 'string' },
    },
    USAGE,
  );
  if (positionals.length > 0)
    throw usageError(USAGE, 'usage.unexpected_argument', { arg: JSON.stringify(positionals[0]) });
  const dir = resolve(values.dir ?? process.cwd());
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usageError(USAGE, 'usage.no_such_folder', { dir });
  const file = join(dir, 'CLAUDE.md');
  const existing = readInstructions(file);
  const present = existing === null ? null : findProtocolRoom(existing);
  if (values.room !== undefined) checkRoomId(values.room);
  if (values.marketplace !== undefined && values.marketplace.trim() === '')
    throw usageError(USAGE, 'usage.marketplace');
  let agents = values.agents === undefined ? undefined : parseAgents(values.agents);
  // A CLAUDE.md with the section for another room: refused before anything is asked (planSection says why).
  if (present !== null && values.room !== undefined && values.room !== present) planSection(file, values.room);

  const fallback = roomIdFromFolder(dir);
  let roomId = present ?? values.room;
  const terminal = cli.stdin.isTTY === true && cli.stdout.isTTY === true;
  const interactive = roomId === undefined && values.yes !== true;
  if (roomId === undefined && values.yes === true) {
    if (fallback === null) throw usageError(USAGE, 'usage.folder_room_id', { name: JSON.stringify(basename(dir)) });
    roomId = fallback;
  }
  if (roomId === undefined) {
    if (!terminal) throw usageError(USAGE, 'usage.init_no_terminal');
    const answer = await askRoomId(fallback, file);
    if (answer === null) return EXIT.usage;
    roomId = answer;
  }
  if (agents === undefined && terminal && values.yes !== true) {
    const picked = await offerAgents(dir);
    if (picked === null) return EXIT.usage;
    agents = picked;
  }

  // Everything is checked before anything is written.
  const section: SectionPlan = planSection(file, roomId);
  const settings = planClaudeSettings(dir, roomId, values.marketplace);
  const agentPlan = planAgents(dir, roomId, agents ?? []);
  const added = writeClaudeSettings(settings);
  writeSection(section);
  writeAgents(agentPlan, new Set([file]));

  let done: string;
  if (section.action === 'kept')
    done =
      added.length === 0
        ? `${file} already has the room protocol for room ${roomId}: nothing changed.`
        : `${file} already has the room protocol for room ${roomId}. Added ${added.join(' and ')}.`;
  else
    done = `${section.action === 'created' ? 'Created' : 'Added the room protocol to'} ${file} (room ${roomId})${added.length === 0 ? '' : `, and ${added.join(' and ')}`}.`;
  const lines = [done, ...agentLines(agentPlan, roomId, file)];
  if (interactive) {
    const prompts = await import('@clack/prompts');
    prompts.note(pluginHelp(roomId), 'Next');
    prompts.outro(lines.join('\n'));
  } else {
    for (const line of lines) cli.out(line);
    cli.out(pluginHelp(roomId));
  }
  return EXIT.ok;
}

const init: Command = { usage: USAGE, run };

export default init;
