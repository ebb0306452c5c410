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
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { roomError } from '../../shared/errors.ts';
import { checkRoomId } from '../../shared/names.ts';
import { planSection, writeSection, type SectionPlan } from '../instructions-file.ts';

export const AGENT_TOOLS = ['claude', 'codex', 'gemini', 'cursor'] as const;
export const AGENT_LABEL: Record<AgentTool, string> = {
  claude: 'Claude Code',
  codex: 'Codex',
  gemini: 'Gemini CLI',
  cursor: 'Cursor',
};
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
    throw roomError('usage.unknown_agent', { name: unknown[0] ?? '(none)', agents: AGENT_TOOLS.join(', ') });
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
      throw roomError('usage.config_json', { path, detail: (error as Error).message });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw roomError('usage.config_not_object', { path });
  }
  const servers = value.mcpServers ?? {};
  if (servers === null || typeof servers !== 'object' || Array.isArray(servers))
    throw roomError('usage.config_servers', { path });
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

interface ConfigPlan {
  readonly result: ConfigResult;
  readonly path: string;
  /** The file's next text; null when it is kept. */
  readonly text: string | null;
}

/** What adding the room MCP server to `tool`'s project config would do; throws (writing nothing) when it cannot. */
function planConfig(projectDir: string, tool: AgentTool, room: string): ConfigPlan {
  checkRoomId(room);
  const file = CONFIG_FILE[tool];
  const path = join(projectDir, file);
  const existed = existsSync(path);
  if (existed && !statSync(path).isFile()) throw roomError('usage.config_not_file', { path });
  const before = existed ? readFileSync(path, 'utf8') : null;
  const merged = tool === 'codex' ? mergeToml(before, room) : mergeJson(path, before, room);
  if (merged.kept) return { result: { tool, file, action: 'kept' }, path, text: null };
  return { result: { tool, file, action: existed ? 'added' : 'created' }, path, text: merged.text };
}

function writeConfig(plan: ConfigPlan): void {
  if (plan.text === null) return;
  mkdirSync(dirname(plan.path), { recursive: true });
  writeFileSync(plan.path, plan.text);
}

/** Adds the room MCP server to `tool`'s project config in `projectDir`. */
export function writeAgentConfig(projectDir: string, tool: AgentTool, room: string): ConfigResult {
  const plan = planConfig(projectDir, tool, room);
  writeConfig(plan);
  return plan.result;
}

export interface AgentSetUp {
  readonly config: ConfigResult;
  /** The instructions file (relative) and whether the protocol section was written to it or already there. */
  readonly instructions: { readonly file: string; readonly action: SectionPlan['action'] };
}

export interface AgentsPlan {
  readonly configs: readonly ConfigPlan[];
  /** One plan per instructions file, with the tools that read it. */
  readonly sections: ReadonlyArray<{ readonly plan: SectionPlan; readonly tools: readonly AgentTool[] }>;
  readonly setUps: readonly AgentSetUp[];
}

/**
 * What `room init --agents …` does for each tool: its MCP config, and the
 * protocol section in the file it reads as instructions (appended after what
 * the file holds, once: a file that has the section already is left alone).
 * Every file is checked here; nothing is written until writeAgents.
 */
export function planAgents(projectDir: string, room: string, tools: readonly AgentTool[]): AgentsPlan {
  const configs = tools.map((tool) => planConfig(projectDir, tool, room));
  const sections = new Map<string, { plan: SectionPlan; tools: AgentTool[] }>();
  for (const tool of tools) {
    const file = INSTRUCTIONS_FILE[tool];
    const known = sections.get(file);
    if (known !== undefined) known.tools.push(tool);
    else sections.set(file, { plan: planSection(join(projectDir, file), room), tools: [tool] });
  }
  const setUps = configs.map((c) => {
    const file = INSTRUCTIONS_FILE[c.result.tool];
    return { config: c.result, instructions: { file, action: sections.get(file)!.plan.action } };
  });
  return { configs, sections: [...sections.values()], setUps };
}

export function writeAgents(plan: AgentsPlan, skip: ReadonlySet<string> = new Set()): void {
  for (const config of plan.configs) writeConfig(config);
  for (const { plan: section } of plan.sections) if (!skip.has(section.path)) writeSection(section);
}

/** Plans and writes in one go (all checked first). */
export function setUpAgents(projectDir: string, room: string, tools: readonly AgentTool[]): AgentSetUp[] {
  const plan = planAgents(projectDir, room, tools);
  writeAgents(plan);
  return [...plan.setUps];
}

/** The tools a project shows signs of using (their folders, or AGENTS.md / GEMINI.md), to offer in a terminal. */
export function detectAgents(projectDir: string): AgentTool[] {
  const has = (name: string) => existsSync(join(projectDir, name));
  const found: AgentTool[] = [];
  if (has('.codex') || has('AGENTS.md')) found.push('codex');
  if (has('.gemini') || has('GEMINI.md')) found.push('gemini');
  if (has('.cursor')) found.push('cursor');
  return found;
}
