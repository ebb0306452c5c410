// room init: writes the coordination protocol into a project's CLAUDE.md,
// creating or appending, never changing what is there, never twice; and the
// repository's own CLAUDE.md carries exactly the section room init writes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findProtocolRoom, protocolSection } from '../client/protocol-section.ts';
import { ROOM_BIN, ROOT, RoomDir, waitUntil } from './helpers.ts';

function project(
  t: Parameters<typeof RoomDir.create>[0],
  name = 'proj',
): { dir: RoomDir; path: string; claude: string } {
  const dir = RoomDir.create(t);
  const path = join(dir.path, name);
  mkdirSync(path);
  return { dir, path, claude: join(path, 'CLAUDE.md') };
}

/** A private tmux server whose socket sits beside `path` (removed with the test's directory). */
function tmuxBeside(t: Parameters<typeof RoomDir.create>[0], path: string): (...args: string[]) => string {
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', join(path, '..', 'tmux'), '-f', '/dev/null', ...args], { encoding: 'utf8' });
  t.after(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });
  return tmux;
}

test("the repository's CLAUDE.md ends with the protocol section room init writes", () => {
  const text = readFileSync(join(ROOT, 'CLAUDE.md'), 'utf8');
  const room = findProtocolRoom(text);
  assert.equal(room, 'room-dev');
  assert.ok(
    text.endsWith(protocolSection(room)),
    'CLAUDE.md drifted from client/protocol-section.ts: copy protocolSection("room-dev") back into it',
  );
  assert.equal(text.split('<!-- room:protocol ').length, 2, 'one section');
  assert.ok(text.split('\n').length <= 140, 'CLAUDE.md stays short');
});

test('on an empty folder it creates CLAUDE.md with the section and says how to install the plugin', async (t) => {
  const { dir, path, claude } = project(t);
  const result = await dir.run(['init', '--room', 'team', '--dir', path]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(claude, 'utf8'), protocolSection('team'));
  assert.equal(lstatSync(claude).mode & 0o777, 0o666 & ~process.umask());
  assert.match(result.stdout, new RegExp(`Created ${claude} \\(room team\\)`));
  assert.ok(result.stdout.includes(`/plugin marketplace add ${ROOT.replace(/\/$/, '')}\n`), result.stdout);
  assert.match(result.stdout, /\/plugin install room@room/);
  assert.match(result.stdout, /room team <your-name>/);
  assert.equal(result.stderr, '');
});

test('on a folder with a CLAUDE.md it appends the section and keeps every byte that was there', async (t) => {
  const { dir, path, claude } = project(t);
  for (const [before, joined] of [
    ['# My project\n\nBuild with make.', '\n\n'],
    ['# My project\n', '\n'],
    ['# P\n\n', ''],
    ['', ''],
  ] as const) {
    writeFileSync(claude, before);
    const result = await dir.run(['init', '--room', 'team'], { cwd: path });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(claude, 'utf8'), before + joined + protocolSection('team'));
    assert.match(result.stdout, /Added the room protocol to/);
  }
});

test('running it again changes nothing and says so; another room id is refused', async (t) => {
  const { dir, path, claude } = project(t);
  writeFileSync(claude, '# Notes\n');
  assert.equal((await dir.run(['init', '--room', 'team', '--dir', path])).code, 0);
  const once = readFileSync(claude, 'utf8');
  for (const args of [['--room', 'team'], ['--yes'], []]) {
    const again = await dir.run(['init', '--dir', path, ...args]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already has the room protocol for room team: nothing changed/);
    assert.match(again.stdout, /\/plugin install room@room/);
  }
  const other = await dir.run(['init', '--dir', path, '--room', 'other']);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /already has the room protocol for room team; to use room other instead/);
  assert.equal(readFileSync(claude, 'utf8'), once);
});

test('--yes takes the room id from the folder name', async (t) => {
  const { dir, path, claude } = project(t, 'My App');
  const result = await dir.run(['init', '--yes', '--dir', path]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(findProtocolRoom(readFileSync(claude, 'utf8')), 'My-App');
  const dots = project(t, '...');
  const none = await dots.dir.run(['init', '-y'], { cwd: dots.path });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /cannot make a room id from the folder name "\.\.\.": give --room/);
  assert.equal(existsSync(dots.claude), false);
});

test('bad input is a usage error (exit 2) and writes nothing', async (t) => {
  const { dir, path, claude } = project(t);
  const cases: Array<[string[], RegExp]> = [
    [['init', '--dir', path], /no terminal to ask in: give --room ROOM-ID, or --yes/],
    [['init', '--dir', path, '--room', '../x'], /invalid room id "\.\.\/x"/],
    [['init', '--dir', path, '--room', '.hidden'], /invalid room id/],
    [['init', '--dir', join(path, 'missing'), '--room', 'team'], /no such folder/],
    [['init', '--dir', path, 'team'], /unexpected argument "team"/],
    [['init', '--dir', path, '--rom', 'team'], /unknown option --rom /],
  ];
  for (const [args, message] of cases) {
    const result = await dir.run(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stdout, '');
  }
  assert.equal(existsSync(claude), false);
  mkdirSync(claude);
  const notFile = await dir.run(['init', '--dir', path, '--room', 'team']);
  assert.equal(notFile.code, 2);
  assert.match(notFile.stderr, /is not a regular file/);
});

test('a CLAUDE.md that links to another file (AGENTS.md) is appended through the link, which stays', async (t) => {
  const { dir, path, claude } = project(t);
  writeFileSync(join(path, 'AGENTS.md'), '# Agents\n');
  symlinkSync('AGENTS.md', claude);
  const result = await dir.run(['init', '--dir', path, '--room', 'team']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readlinkSync(claude), 'AGENTS.md');
  assert.equal(readFileSync(join(path, 'AGENTS.md'), 'utf8'), `# Agents\n\n${protocolSection('team')}`);
});

test('in a terminal it asks for the room id, offering the folder name', async (t) => {
  const { path, claude } = project(t, 'webshop');
  const tmux = tmuxBeside(t, path);
  const rc = join(path, '..', 'rc');
  tmux('new-session', '-d', '-x', '100', '-y', '30', '-c', path, `'${ROOM_BIN}' init; echo $? > '${rc}'; sleep 30`);
  const screen = () => tmux('capture-pane', '-p');
  await waitUntil(() => screen().includes('Room id for this project'), 10_000, 'the prompt');
  assert.match(screen(), /webshop/, 'the folder name is offered');
  tmux('send-keys', '-l', 'bad/id');
  tmux('send-keys', 'Enter');
  await waitUntil(() => screen().includes('Use 1-64 letters'), 5000, 'the validation message');
  for (let i = 0; i < 'bad/id'.length; i++) tmux('send-keys', 'BSpace');
  tmux('send-keys', '-l', 'team-room');
  tmux('send-keys', 'Enter');
  await waitUntil(() => existsSync(rc) && readFileSync(rc, 'utf8').trim() !== '', 10_000, 'room init to finish');
  assert.equal(readFileSync(rc, 'utf8').trim(), '0');
  assert.equal(readFileSync(claude, 'utf8'), protocolSection('team-room'));
  assert.match(screen(), /\/plugin install room@room/);
});

test('cancelling the prompt (Ctrl-C) writes nothing', async (t) => {
  const { path, claude } = project(t);
  const tmux = tmuxBeside(t, path);
  const rc = join(path, '..', 'rc');
  tmux('new-session', '-d', '-x', '100', '-y', '30', '-c', path, `'${ROOM_BIN}' init; echo $? > '${rc}'; sleep 30`);
  await waitUntil(() => tmux('capture-pane', '-p').includes('Room id for this project'), 10_000, 'the prompt');
  tmux('send-keys', 'C-c');
  await waitUntil(() => existsSync(rc) && readFileSync(rc, 'utf8').trim() !== '', 10_000, 'room init to stop');
  assert.equal(readFileSync(rc, 'utf8').trim(), '2');
  assert.match(tmux('capture-pane', '-p'), /Nothing changed/);
  assert.equal(existsSync(claude), false);
});

test('it writes .claude/room.json and merges .claude/settings.json without replacing anything there', async (t) => {
  const { dir, path } = project(t);
  mkdirSync(join(path, '.claude'));
  const settings = join(path, '.claude', 'settings.json');
  writeFileSync(
    settings,
    JSON.stringify({
      model: 'opus',
      permissions: { allow: ['Bash(npm test *)', 'Bash(room poll *)'], deny: ['Bash(rm *)'] },
      enabledPlugins: { 'other@market': true },
    }),
  );
  const result = await dir.run(['init', '--room', 'team', '--dir', path, '--marketplace', 'acme/room']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(path, '.claude', 'room.json'), 'utf8')), { room: 'team' });
  assert.deepEqual(JSON.parse(readFileSync(settings, 'utf8')), {
    model: 'opus',
    permissions: {
      allow: ['Bash(npm test *)', 'Bash(room poll *)', 'Bash(room send *)', 'Bash(room watch *)', 'Bash(room join *)'],
      deny: ['Bash(rm *)'],
    },
    enabledPlugins: { 'other@market': true, 'room@room': true },
    extraKnownMarketplaces: { room: { source: { source: 'github', repo: 'acme/room' } } },
  });
  const again = await dir.run(['init', '--room', 'team', '--dir', path]);
  assert.match(again.stdout, /already has the room protocol for room team: nothing changed/);
});

test('a project whose CLAUDE.md has the section gets the settings; a plugin someone turned off stays off', async (t) => {
  const { dir, path, claude } = project(t);
  writeFileSync(claude, protocolSection('team'));
  mkdirSync(join(path, '.claude'));
  writeFileSync(join(path, '.claude', 'settings.json'), '{"enabledPlugins": {"room@room": false}}');
  const result = await dir.run(['init', '--dir', path]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /already has the room protocol for room team\. Added .*room\.json \(room team\) and /);
  const settings = JSON.parse(readFileSync(join(path, '.claude', 'settings.json'), 'utf8'));
  assert.equal(settings.enabledPlugins['room@room'], false);
  assert.deepEqual(settings.extraKnownMarketplaces.room.source, { source: 'directory', path: ROOT.replace(/\/$/, '') });
  assert.equal(readFileSync(claude, 'utf8'), protocolSection('team'));
});

test('settings that are not JSON, or a room.json naming another room: exit 2, nothing changed', async (t) => {
  const { dir, path, claude } = project(t);
  mkdirSync(join(path, '.claude'));
  const settings = join(path, '.claude', 'settings.json');
  writeFileSync(settings, '{"permissions": ');
  const bad = await dir.run(['init', '--room', 'team', '--dir', path]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /settings\.json is not valid settings JSON .*Nothing changed/);
  assert.equal(existsSync(claude), false);
  assert.equal(existsSync(join(path, '.claude', 'room.json')), false);
  writeFileSync(settings, '{"permissions": {"allow": "Bash(*)"}}');
  assert.match(
    (await dir.run(['init', '--room', 'team', '--dir', path])).stderr,
    /"permissions.allow" has an unexpected shape/,
  );
  writeFileSync(settings, '{}');
  writeFileSync(join(path, '.claude', 'room.json'), '{"room": "other"}');
  const other = await dir.run(['init', '--room', 'team', '--dir', path]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /room\.json names room other, not team/);
  assert.equal(readFileSync(settings, 'utf8'), '{}');
  assert.equal(existsSync(claude), false);
});

test('appending to a CRLF CLAUDE.md keeps CRLF line endings throughout', async (t) => {
  const { dir, path, claude } = project(t);
  writeFileSync(claude, '# Windows project\r\n\r\nBuild with msbuild.\r\n');
  const result = await dir.run(['init', '--room', 'team', '--dir', path]);
  assert.equal(result.code, 0, result.stderr);
  const text = readFileSync(claude, 'utf8');
  assert.equal(
    text,
    `# Windows project\r\n\r\nBuild with msbuild.\r\n\r\n${protocolSection('team').replaceAll('\n', '\r\n')}`,
  );
  assert.equal(text.replaceAll('\r\n', '').includes('\n'), false, 'no bare LF');
  assert.equal(findProtocolRoom(text), 'team');
  const again = await dir.run(['init', '--room', 'team', '--dir', path]);
  assert.match(again.stdout, /nothing changed/);
});

test('--agents sets up each agent: its MCP config merged, the protocol in the file it reads; each file reported', async (t) => {
  const { dir, path, claude } = project(t);
  writeFileSync(join(path, 'AGENTS.md'), '# Agents\n');
  mkdirSync(join(path, '.cursor'));
  const other = { command: 'npx', args: ['other'] };
  writeFileSync(join(path, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { other } }));
  const result = await dir.run(['init', '--room', 'team', '--dir', path, '--agents', 'codex,gemini,cursor']);
  assert.equal(result.code, 0, result.stderr);
  const server = { command: 'room', args: ['mcp', '--room', 'team'] };
  assert.deepEqual(JSON.parse(readFileSync(join(path, '.cursor', 'mcp.json'), 'utf8')), {
    mcpServers: { other, room: server },
  });
  assert.deepEqual(JSON.parse(readFileSync(join(path, '.gemini', 'settings.json'), 'utf8')), {
    mcpServers: { room: server },
  });
  assert.match(readFileSync(join(path, '.codex', 'config.toml'), 'utf8'), /^\[mcp_servers\.room\]\ncommand = "room"\n/);
  assert.equal(readFileSync(join(path, 'AGENTS.md'), 'utf8'), `# Agents\n\n${protocolSection('team')}`);
  assert.equal(readFileSync(join(path, 'GEMINI.md'), 'utf8'), protocolSection('team'));
  assert.equal(readFileSync(claude, 'utf8'), protocolSection('team'));
  for (const line of [
    `Created ${claude} (room team)`,
    `Created ${join(path, '.codex', 'config.toml')} (Codex: room mcp --room team).`,
    `Created ${join(path, '.gemini', 'settings.json')} (Gemini CLI: room mcp --room team).`,
    `Added room's MCP server to ${join(path, '.cursor', 'mcp.json')} (Cursor: room mcp --room team).`,
    `Added the room protocol to ${join(path, 'AGENTS.md')} (Codex, Cursor; room team).`,
    `Created ${join(path, 'GEMINI.md')} (Gemini CLI; room team).`,
  ])
    assert.ok(result.stdout.includes(line), `${line}\n---\n${result.stdout}`);
  // Again: everything is there already, and said so.
  const again = await dir.run(['init', '--dir', path, '--agents', 'cursor,codex']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already has the room protocol for room team: nothing changed/);
  assert.match(again.stdout, /mcp\.json already has a room MCP server \(Cursor\): left as it is/);
  assert.match(
    again.stdout,
    /AGENTS\.md already has the room protocol for room team \(Cursor, Codex\): nothing changed/,
  );
});

test('--agents: an unknown agent, a config its tool could not read, or AGENTS.md for another room: exit 2, nothing written', async (t) => {
  const { dir, path, claude } = project(t);
  const unknown = await dir.run(['init', '--room', 'team', '--dir', path, '--agents', 'claude,vim']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown agent vim: use claude, codex, gemini, cursor/);
  mkdirSync(join(path, '.cursor'));
  writeFileSync(join(path, '.cursor', 'mcp.json'), '{"mcpServers": ');
  const broken = await dir.run(['init', '--room', 'team', '--dir', path, '--agents', 'claude,codex,cursor']);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /mcp\.json is not valid JSON .*left it unchanged/);
  assert.equal(readFileSync(join(path, '.cursor', 'mcp.json'), 'utf8'), '{"mcpServers": ');
  writeFileSync(join(path, '.cursor', 'mcp.json'), '{}');
  writeFileSync(join(path, 'AGENTS.md'), protocolSection('other'));
  const otherRoom = await dir.run(['init', '--room', 'team', '--dir', path, '--agents', 'codex']);
  assert.equal(otherRoom.code, 2);
  assert.match(otherRoom.stderr, /AGENTS\.md already has the room protocol for room other; to use room team instead/);
  for (const written of [claude, '.claude', '.mcp.json', '.codex', 'GEMINI.md'])
    assert.equal(existsSync(join(path, written.replace(path, ''))), false, written);
  assert.equal(readFileSync(join(path, '.cursor', 'mcp.json'), 'utf8'), '{}');
  assert.equal(readFileSync(join(path, 'AGENTS.md'), 'utf8'), protocolSection('other'));
});

test('in a terminal it offers the agents it finds in the project', async (t) => {
  const { path } = project(t, 'shop');
  mkdirSync(join(path, '.cursor'));
  writeFileSync(join(path, 'GEMINI.md'), '# Gemini\n');
  const tmux = tmuxBeside(t, path);
  const rc = join(path, '..', 'rc');
  tmux(
    'new-session',
    '-d',
    '-x',
    '120',
    '-y',
    '30',
    '-c',
    path,
    `'${ROOM_BIN}' init --room team; echo $? > '${rc}'; sleep 30`,
  );
  const screen = () => tmux('capture-pane', '-p');
  await waitUntil(() => screen().includes('Also set up room for these agents'), 10_000, 'the offer');
  assert.match(screen(), /found in this project: \.cursor\/mcp\.json/);
  tmux('send-keys', 'Enter');
  await waitUntil(() => existsSync(rc) && readFileSync(rc, 'utf8').trim() !== '', 10_000, 'room init to finish');
  assert.equal(readFileSync(rc, 'utf8').trim(), '0');
  assert.equal(JSON.parse(readFileSync(join(path, '.cursor', 'mcp.json'), 'utf8')).mcpServers.room.command, 'room');
  assert.equal(
    JSON.parse(readFileSync(join(path, '.gemini', 'settings.json'), 'utf8')).mcpServers.room.command,
    'room',
  );
  assert.equal(findProtocolRoom(readFileSync(join(path, 'GEMINI.md'), 'utf8')), 'team');
  assert.equal(existsSync(join(path, '.codex')), false, 'codex was not found, so not picked');
});
