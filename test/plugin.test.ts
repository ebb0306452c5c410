// The Claude Code plugin's structure, checked offline: what `claude plugin
// validate --strict` checks (manifests, frontmatter types, no plugin-root
// CLAUDE.md, paths that exist) and what it misses (malformed YAML, a skill
// name that differs from its folder, allowed-tools wider than needed).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './helpers.ts';

const PLUGIN = join(ROOT, 'plugin');
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field
type Json = Record<string, any>;
function json(path: string): Json {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Json;
}

/** Splits a Markdown file into its YAML frontmatter (strictly parsed) and its body. */
function frontmatter(path: string): { data: Record<string, unknown>; body: string } {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  assert.ok(match, `${path} starts with a --- frontmatter block`);
  const data = parseYaml(match[1]!, { strict: true, uniqueKeys: true }) as unknown;
  assert.ok(data !== null && typeof data === 'object' && !Array.isArray(data), `${path}: frontmatter is a mapping`);
  return { data: data as Record<string, unknown>, body: match[2]! };
}

function stringList(value: unknown, what: string): string[] {
  assert.ok(Array.isArray(value) && value.every((v) => typeof v === 'string'), `${what} is a list of strings`);
  return value as string[];
}

test('plugin.json: name room, the package version, a description, an SPDX license, no unknown keys', () => {
  const manifest = json('plugin/.claude-plugin/plugin.json');
  const pkg = json('package.json');
  assert.equal(manifest.name, 'room');
  assert.equal(manifest.version, pkg.version, 'the plugin version follows package.json');
  assert.equal(typeof manifest.description, 'string');
  assert.ok(manifest.description.length >= 20);
  assert.equal(manifest.license, pkg.license);
  assert.equal(manifest.license, 'MIT');
  const known = new Set([
    '$schema',
    'name',
    'displayName',
    'version',
    'description',
    'author',
    'homepage',
    'repository',
    'license',
    'keywords',
  ]);
  for (const key of Object.keys(manifest))
    assert.ok(known.has(key), `${key} is a documented manifest field (unknown ones warn, failing --strict)`);
  assert.equal(typeof manifest.author?.name, 'string');
});

test('marketplace.json at the repository root lists the plugin at ./plugin', () => {
  const market = json('.claude-plugin/marketplace.json');
  assert.match(market.name, KEBAB);
  assert.ok(
    !['claude-plugins-official', 'inline', 'skills-dir', 'npm', 'github'].includes(market.name),
    'not a reserved name',
  );
  assert.equal(typeof market.owner?.name, 'string');
  assert.ok(Array.isArray(market.plugins) && market.plugins.length === 1);
  const [entry] = market.plugins;
  assert.equal(entry.name, json('plugin/.claude-plugin/plugin.json').name);
  assert.equal(entry.source, './plugin');
  assert.ok(statSync(join(ROOT, entry.source, '.claude-plugin', 'plugin.json')).isFile());
  assert.equal(typeof entry.description, 'string');
});

test('the plugin holds only its manifest, skills, commands, hooks, monitors and README; no CLAUDE.md at its root', () => {
  assert.deepEqual(readdirSync(PLUGIN).sort(), [
    '.claude-plugin',
    'README.md',
    'commands',
    'hooks',
    'monitors',
    'skills',
  ]);
  assert.deepEqual(readdirSync(join(PLUGIN, 'hooks')).sort(), ['edit-check', 'hooks.json', 'room-hook']);
  assert.ok((statSync(join(PLUGIN, 'hooks', 'edit-check')).mode & 0o111) !== 0, 'the hook script is executable');
  assert.deepEqual(readdirSync(join(PLUGIN, 'monitors')), ['monitors.json']);
  assert.deepEqual(readdirSync(join(PLUGIN, '.claude-plugin')), ['plugin.json']);
  assert.deepEqual(readdirSync(join(PLUGIN, 'skills')), ['room']);
  assert.deepEqual(readdirSync(join(PLUGIN, 'commands')).sort(), ['check.md', 'send.md']);
  assert.equal(existsSync(join(PLUGIN, 'CLAUDE.md')), false);
  assert.match(readFileSync(join(PLUGIN, 'README.md'), 'utf8'), /\/plugin install room@room/);
  assert.ok(
    json('package.json').files.includes('plugin') && json('package.json').files.includes('.claude-plugin'),
    'both ship in the package',
  );
});

test('SKILL.md: its name is its folder, its description says when it applies', () => {
  const { data, body } = frontmatter('plugin/skills/room/SKILL.md');
  assert.equal(data.name, 'room');
  assert.equal(typeof data.description, 'string');
  const description = data.description as string;
  assert.ok(description.length <= 1536, 'the listing truncates at 1,536 characters');
  for (const when of [
    /CLAUDE\.md documents a room id/,
    /start of a work session/,
    /before editing files/,
    /check the room/,
    /send something to the room/,
  ]) {
    assert.match(description, when);
  }
  assert.deepEqual(stringList(data['allowed-tools'], 'allowed-tools'), [
    'Bash(room join *)',
    'Bash(room poll *)',
    'Bash(room send *)',
    'Bash(room watch *)',
  ]);
  for (const topic of [
    /Session start/,
    /Announce intent/,
    /Claim before editing/,
    /Broadcast/,
    /reply_to/,
    /Hand off/,
    /run_in_background/,
    /--token-file/,
    /ROOM_TOKEN_FILE/,
    /never join under another/,
    /arrive without\npolling/,
  ]) {
    assert.match(body, topic);
  }
});

test('commands: a description, an argument hint, $ARGUMENTS, and only the room commands they need', () => {
  const expected: Record<string, string[]> = {
    'check.md': ['Bash(room poll *)', 'Bash(room join *)'],
    'send.md': ['Bash(room send *)', 'Bash(room join *)'],
  };
  for (const [file, tools] of Object.entries(expected)) {
    const { data, body } = frontmatter(`plugin/commands/${file}`);
    assert.equal(typeof data.description, 'string', `${file}: description`);
    assert.equal(
      typeof data['argument-hint'],
      'string',
      `${file}: argument-hint is a string (a bare [x] would be a YAML list)`,
    );
    assert.deepEqual(stringList(data['allowed-tools'], `${file}: allowed-tools`), tools);
    assert.match(body, /\$ARGUMENTS/, `${file} uses its arguments`);
  }
  assert.equal(frontmatter('plugin/commands/send.md').data['argument-hint'], '<message>');
});

test('hooks.json: the four events running plugin/hooks/room-hook with their event, and the edit guard; the scripts are executable', () => {
  const hooks = json('plugin/hooks/hooks.json');
  assert.equal(typeof hooks.description, 'string');
  const expected: Record<string, string> = {
    SessionStart: 'session-start',
    UserPromptSubmit: 'prompt',
    Stop: 'stop',
    SessionEnd: 'session-end',
  };
  assert.deepEqual(Object.keys(hooks.hooks).sort(), [...Object.keys(expected), 'PreToolUse'].sort());
  // The edit guard (test/claims-edit-hook.test.ts runs it): on file edits, its own script.
  const [guard] = hooks.hooks.PreToolUse;
  assert.equal(guard.matcher, 'Edit|Write|MultiEdit|NotebookEdit');
  assert.equal(guard.hooks[0].command, `"\${CLAUDE_PLUGIN_ROOT}/hooks/edit-check"`);
  assert.ok(statSync(join(PLUGIN, 'hooks', 'edit-check')).mode & 0o111, 'edit-check is executable');
  for (const [event, arg] of Object.entries(expected)) {
    const [group] = hooks.hooks[event];
    const [handler] = group.hooks;
    assert.equal(handler.type, 'command');
    assert.equal(handler.command, `"\${CLAUDE_PLUGIN_ROOT}/hooks/room-hook" ${arg}`, event);
    assert.ok(Number.isInteger(handler.timeout) && handler.timeout <= 30, `${event}: a short timeout`);
  }
  assert.equal(hooks.hooks.SessionStart[0].matcher, 'startup|resume|clear|compact');
  assert.ok(statSync(join(PLUGIN, 'hooks', 'room-hook')).mode & 0o111, 'room-hook is executable');
});

test('monitors.json: one monitor, always armed, running room follow for the session through room-hook', () => {
  const monitors = json('plugin/monitors/monitors.json') as unknown as Json[];
  assert.equal(monitors.length, 1);
  const [monitor] = monitors;
  assert.deepEqual(Object.keys(monitor!).sort(), ['command', 'description', 'name', 'when']);
  assert.equal(monitor!.name, 'room');
  assert.equal(monitor!.when, 'always');
  assert.equal(monitor!.command, `"\${CLAUDE_PLUGIN_ROOT}/hooks/room-hook" monitor`);
});

test('the frontmatter check rejects malformed YAML (which the real validator lets through)', () => {
  assert.throws(() => parseYaml('description: [unterminated', { strict: true }));
  assert.throws(() => parseYaml('name: a\nname: b', { strict: true, uniqueKeys: true }));
});
