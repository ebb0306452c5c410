// Each coding agent's project-level MCP configuration, written so the agent
// starts `room mcp --room <id>` in this project. Every file is merged, never
// clobbered: other servers and settings are kept, an existing `room` entry is
// left as it is, and a file that cannot be read as its format is refused
// unchanged. The files and formats, as each tool documents them:
//   claude  .mcp.json               JSON, {"mcpServers": {"<name>": {"command", "args"}}}
//   cursor  .cursor/mcp.json        JSON, the same shape
//   gemini  .gemini/settings.json   JSON, "mcpServers" beside the other settings
//   codex   .codex/config.toml      TOML, a [mcp_servers.<name>] table (read in trusted projects only)
// The protocol section (client/protocol-section.ts) belongs in the file each
// tool reads as project instructions: INSTRUCTIONS_FILE.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RoomError } from '../../shared/errors.ts';
import { checkRoomId } from '../../shared/names.ts';
import { findProtocolRoom, protocolSection } from '../protocol-section.ts';

export const AGENT_TOOLS = ['claude', 'codex', 'gemini', 'cursor'] as const;
export type AgentTool = (typeof AGENT_TOOLS)[number];

/** The server's name in every config. */
const SERVER = 'room';

export const CONFIG_FILE: Record<AgentTool, string> = {
  claude: '.mcp.json',
  cursor: join('.cursor', 'mcp.json'),
  gemini: join('.gemini', 'settings.json'),
  codex: join('.codex', 'config.toml'),
};

/** Where each tool reads the project's instructions (Cursor reads AGENTS.md too). */
export const INSTRUCTIONS_FILE: Record<AgentTool, string> = {
  claude: 'CLAUDE.md',
  codex: 'AGENTS.md',
  cursor: 'AGENTS.md',
  gemini: 'GEMINI.md',
};

export interface ConfigResult {
  readonly tool: AgentTool;
  /** Relative to the project. */
  readonly file: string;
  /** created: a new file; added: the entry merged into an existing file; kept: a `room` entry was already there. */
  readonly action: 'created' | 'added' | 'kept';
}

/** `--agents claude,codex`: the tools named, checked. */
export function parseAgents(list: string): AgentTool[] {
  const names = list
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
  const unknown = names.filter((n) => !(AGENT_TOOLS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0)
    throw new RoomError('usage', `unknown agent ${unknown[0] ?? '(none)'}: use ${AGENT_TOOLS.join(', ')}`);
  return [...new Set(names)] as AgentTool[];
}

function command(room: string): { command: string; args: string[] } {
  return { command: 'room', args: ['mcp', '--room', room] };
}

function mergeJson(path: string, text: string | null, room: string): { text: string; kept: boolean } {
  let value: Record<string, unknown> = {};
  if (text !== null && text.trim() !== '') {
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new RoomError('usage', `${path} is not valid JSON (${(error as Error).message}); left it unchanged`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new RoomError('usage', `${path} does not hold a JSON object; left it unchanged`);
  }
  const servers = value.mcpServers ?? {};
  if (servers === null || typeof servers !== 'object' || Array.isArray(servers))
    throw new RoomError('usage', `${path}: "mcpServers" is not an object; left it unchanged`);
  if (Object.hasOwn(servers, SERVER)) return { text: text ?? '', kept: true };
  const next = { ...value, mcpServers: { ...(servers as object), [SERVER]: command(room) } };
  return { text: `${JSON.stringify(next, null, 2)}\n`, kept: false };
}

function mergeToml(text: string | null, room: string): { text: string; kept: boolean } {
  const existing = text ?? '';
  if (/^\s*\[\s*mcp_servers\s*\.\s*(room|"room"|'room')\s*\]/m.test(existing)) return { text: existing, kept: true };
  const { args } = command(room);
  const table = `[mcp_servers.${SERVER}]\ncommand = "room"\nargs = [${args.map((a) => JSON.stringify(a)).join(', ')}]\n`;
  // Appended as a table of its own: TOML keeps every earlier key where it was.
  const sep = existing === '' ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  return { text: `${existing}${sep}${table}`, kept: false };
}

/** Adds the room MCP server to `tool`'s project config in `projectDir`. */
export function writeAgentConfig(projectDir: string, tool: AgentTool, room: string): ConfigResult {
  checkRoomId(room);
  const file = CONFIG_FILE[tool];
  const path = join(projectDir, file);
  const existed = existsSync(path);
  const before = existed ? readFileSync(path, 'utf8') : null;
  const merged = tool === 'codex' ? mergeToml(before, room) : mergeJson(path, before, room);
  if (merged.kept) return { tool, file, action: 'kept' };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, merged.text);
  return { tool, file, action: existed ? 'added' : 'created' };
}

export interface AgentSetUp {
  readonly config: ConfigResult;
  /** The instructions file (relative) and whether the protocol section was written to it or already there. */
  readonly instructions: { readonly file: string; readonly action: 'created' | 'added' | 'kept' };
}

/**
 * What `room init --agents …` does for each tool: its MCP config, and the
 * protocol section in the file it reads as instructions (appended after what
 * the file holds, once: a file that has a section already is left alone).
 */
export function setUpAgents(projectDir: string, room: string, tools: readonly AgentTool[]): AgentSetUp[] {
  const done = new Map<string, AgentSetUp['instructions']>();
  return tools.map((tool) => {
    const config = writeAgentConfig(projectDir, tool, room);
    const file = INSTRUCTIONS_FILE[tool];
    let instructions = done.get(file);
    if (instructions === undefined) {
      instructions = { file, action: writeSection(join(projectDir, file), room) };
      done.set(file, instructions);
    }
    return { config, instructions };
  });
}

function writeSection(path: string, room: string): 'created' | 'added' | 'kept' {
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (existing !== null && findProtocolRoom(existing) !== null) return 'kept';
  const section = protocolSection(room);
  if (existing === null) {
    writeFileSync(path, section, { flag: 'wx' });
    return 'created';
  }
  const sep = existing === '' || existing.endsWith('\n\n') ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  writeFileSync(path, `${existing}${sep}${section}`);
  return 'added';
}
