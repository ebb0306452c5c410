// The per-agent MCP config writers (client/mcp/agent-configs.ts): each tool's
// project file in its format, merged without clobbering anything.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseAgents, setUpAgents, writeAgentConfig, AGENT_TOOLS } from '../client/mcp/agent-configs.ts';
import { findProtocolRoom } from '../client/protocol-section.ts';
import { RoomError } from '../shared/errors.ts';

function project(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'room-agents-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const server = { command: 'room', args: ['mcp', '--room', 'dev'] };

test('a fresh project gets each tool its documented file', (t) => {
  const dir = project(t);
  const results = AGENT_TOOLS.map((tool) => writeAgentConfig(dir, tool, 'dev'));
  assert.deepEqual(
    results.map((r) => [r.tool, r.file, r.action]),
    [
      ['claude', '.mcp.json', 'created'],
      ['codex', join('.codex', 'config.toml'), 'created'],
      ['gemini', join('.gemini', 'settings.json'), 'created'],
      ['cursor', join('.cursor', 'mcp.json'), 'created'],
    ],
  );
  for (const file of ['.mcp.json', '.cursor/mcp.json', '.gemini/settings.json'])
    assert.deepEqual(JSON.parse(readFileSync(join(dir, file), 'utf8')), { mcpServers: { room: server } }, file);
  assert.equal(
    readFileSync(join(dir, '.codex/config.toml'), 'utf8'),
    '[mcp_servers.room]\ncommand = "room"\nargs = ["mcp", "--room", "dev"]\n',
  );
  // Again: everything is already there.
  assert.deepEqual(
    AGENT_TOOLS.map((tool) => writeAgentConfig(dir, tool, 'other').action),
    ['kept', 'kept', 'kept', 'kept'],
  );
  assert.deepEqual(JSON.parse(readFileSync(join(dir, '.mcp.json'), 'utf8')).mcpServers.room, server);
});

test('existing files keep every other server and setting', (t) => {
  const dir = project(t);
  mkdirSync(join(dir, '.gemini'));
  mkdirSync(join(dir, '.codex'));
  const other = { command: 'npx', args: ['-y', 'other'] };
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { other } }));
  writeFileSync(join(dir, '.gemini/settings.json'), JSON.stringify({ theme: 'dark', mcpServers: { other } }));
  const toml = 'model = "o3"\n\n[mcp_servers.other]\ncommand = "npx"\n';
  writeFileSync(join(dir, '.codex/config.toml'), toml);
  assert.equal(writeAgentConfig(dir, 'claude', 'dev').action, 'added');
  assert.equal(writeAgentConfig(dir, 'gemini', 'dev').action, 'added');
  assert.equal(writeAgentConfig(dir, 'codex', 'dev').action, 'added');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, '.mcp.json'), 'utf8')), { mcpServers: { other, room: server } });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, '.gemini/settings.json'), 'utf8')), {
    theme: 'dark',
    mcpServers: { other, room: server },
  });
  assert.equal(
    readFileSync(join(dir, '.codex/config.toml'), 'utf8'),
    `${toml}\n[mcp_servers.room]\ncommand = "room"\nargs = ["mcp", "--room", "dev"]\n`,
  );
  // A room entry someone wrote by hand is theirs.
  writeFileSync(join(dir, '.codex/config.toml'), '[mcp_servers."room"]\ncommand = "/opt/room"\n');
  assert.equal(writeAgentConfig(dir, 'codex', 'dev').action, 'kept');
  assert.equal(readFileSync(join(dir, '.codex/config.toml'), 'utf8'), '[mcp_servers."room"]\ncommand = "/opt/room"\n');
});

test('a file that is not what its tool expects is refused and left unchanged', (t) => {
  const dir = project(t);
  mkdirSync(join(dir, '.cursor'));
  for (const text of ['{ "mcpServers": ', '[1, 2]', '{"mcpServers": []}']) {
    writeFileSync(join(dir, '.cursor/mcp.json'), text);
    assert.throws(
      () => writeAgentConfig(dir, 'cursor', 'dev'),
      (error: unknown) =>
        error instanceof RoomError && error.code === 'usage' && /left it unchanged/.test(error.message),
    );
    assert.equal(readFileSync(join(dir, '.cursor/mcp.json'), 'utf8'), text);
  }
  assert.throws(() => writeAgentConfig(dir, 'claude', 'bad room'), /invalid room id/);
});

test('--agents names are checked', () => {
  assert.deepEqual(parseAgents('claude, Codex,gemini,cursor,claude'), ['claude', 'codex', 'gemini', 'cursor']);
  assert.throws(() => parseAgents('claude,vim'), /unknown agent vim: use claude, codex, gemini, cursor/);
  assert.throws(() => parseAgents(''), /unknown agent \(none\)/);
});

test('setUpAgents: each tool its config, and the protocol section once in each instructions file', (t) => {
  const dir = project(t);
  writeFileSync(join(dir, 'AGENTS.md'), '# Our agents\n');
  const done = setUpAgents(dir, 'dev', ['claude', 'codex', 'cursor', 'gemini']);
  assert.deepEqual(
    done.map((d) => [d.config.tool, d.config.action, d.instructions.file, d.instructions.action]),
    [
      ['claude', 'created', 'CLAUDE.md', 'created'],
      ['codex', 'created', 'AGENTS.md', 'added'],
      ['cursor', 'created', 'AGENTS.md', 'added'],
      ['gemini', 'created', 'GEMINI.md', 'created'],
    ],
  );
  const agents = readFileSync(join(dir, 'AGENTS.md'), 'utf8');
  assert.ok(agents.startsWith('# Our agents\n\n<!-- room:protocol room=dev'), 'appended after what was there');
  assert.equal(agents.split('<!-- room:protocol').length, 2, 'once');
  for (const file of ['CLAUDE.md', 'GEMINI.md'])
    assert.equal(findProtocolRoom(readFileSync(join(dir, file), 'utf8')), 'dev');
  assert.deepEqual(
    setUpAgents(dir, 'dev', ['codex']).map((d) => [d.config.action, d.instructions.action]),
    [['kept', 'kept']],
  );
});
