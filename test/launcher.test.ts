// bin/room, the POSIX sh launcher: which Node runs room, and an old Node
// stopped with one line before anything else (fake `node` scripts stand in
// for old and new Nodes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOM_BIN, ROOT, RoomDir } from './helpers.ts';

const PINNED = join(ROOT, 'node_modules', 'node', 'bin', 'node');

/** A `node` that says it is `version` and logs each --version; any other call runs the real Node. */
function fakeNode(dir: RoomDir, name: string, version: string): string {
  const folder = dir.file(name);
  mkdirSync(folder);
  const path = join(folder, 'node');
  writeFileSync(
    path,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo asked >> "${folder}/asked"; echo ${version}; exit 0; fi\nexec "${PINNED}" "$@"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** A copy of the package with no node_modules: the launcher falls back to the node on PATH. */
function bareCopy(dir: RoomDir): string {
  const root = dir.file('pkg');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(ROOM_BIN, join(root, 'bin', 'room'));
  symlinkSync(join(ROOT, 'dist'), join(root, 'dist'));
  return join(root, 'bin', 'room');
}

test('the floor in bin/room is package.json engines', () => {
  const launcher = readFileSync(ROOM_BIN, 'utf8');
  const major = /^FLOOR_MAJOR=(\d+)$/m.exec(launcher)?.[1];
  const minor = /^FLOOR_MINOR=(\d+)$/m.exec(launcher)?.[1];
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
    .engines;
  assert.equal(engines.node, `>=${major}.${minor}`);
});

test('ROOM_NODE older than the floor: one line naming the Node needed and ROOM_NODE, exit 1', async (t) => {
  const dir = RoomDir.create(t);
  for (const version of ['v20.11.0', 'v22.18.9', 'garbage']) {
    const fake = fakeNode(dir, `old-${version}`, version);
    const result = await dir.run(['send', 'r', 'hi'], { env: { ROOM_NODE: fake, XDG_CACHE_HOME: dir.file('cache') } });
    assert.equal(result.code, 1, version);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `room: needs Node.js 22.19 or newer, but ${fake} is ${version}: set ROOM_NODE=/path/to/a/newer/node\n`,
    );
  }
});

test('a ROOM_NODE that does not run is named as such (exit 1)', async (t) => {
  const dir = RoomDir.create(t);
  const missing = dir.file('no-such-node');
  const result = await dir.run(['--version'], { env: { ROOM_NODE: missing, XDG_CACHE_HOME: dir.file('cache') } });
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `room: needs Node.js 22.19 or newer, but ${missing} is not a working node: set ROOM_NODE=/path/to/a/newer/node\n`,
  );
});

test('without the pinned Node, the node on PATH is checked; a good one is checked once', (t) => {
  const dir = RoomDir.create(t);
  const launcher = bareCopy(dir);
  const cache = dir.file('cache');
  const old = fakeNode(dir, 'old', 'v20.19.5');
  const run = (fake: string) =>
    spawnSync(launcher, ['--version'], {
      env: { ...dir.env, PATH: `${join(fake, '..')}:/usr/bin:/bin`, XDG_CACHE_HOME: cache },
      encoding: 'utf8',
    });
  const refused = run(old);
  assert.equal(refused.status, 1);
  assert.match(
    refused.stderr,
    /^room: needs Node\.js 22\.19 or newer, but .*\/old\/node is v20\.19\.5: set ROOM_NODE=/,
  );

  const good = fakeNode(dir, 'good', 'v22.19.0');
  for (let i = 0; i < 3; i++) {
    const ok = run(good);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^\d+\.\d+\.\d+\n$/);
  }
  assert.equal(readFileSync(join(good, '..', 'asked'), 'utf8'), 'asked\n', 'checked once, then remembered');
});

test('the pinned Node is not checked (no extra process); ROOM_NODE wins over it', async (t) => {
  const dir = RoomDir.create(t);
  const good = fakeNode(dir, 'good', 'v24.21.0');
  const cache = dir.file('cache');
  const pinned = await dir.run(['--version'], { env: { XDG_CACHE_HOME: cache } });
  assert.equal(pinned.code, 0, pinned.stderr);
  const chosen = await dir.run(['--version'], { env: { ROOM_NODE: good, XDG_CACHE_HOME: cache } });
  assert.equal(chosen.code, 0, chosen.stderr);
  assert.equal(readFileSync(join(good, '..', 'asked'), 'utf8'), 'asked\n');
});

test('a live session runs with a capped young generation and one malloc arena, commands with the defaults', async (t) => {
  const dir = RoomDir.create(t);
  // A node that says it is new enough and records the arguments it was started with.
  const folder = dir.file('recording');
  mkdirSync(folder);
  const recorder = join(folder, 'node');
  writeFileSync(
    recorder,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo v24.21.0; exit 0; fi\necho "arenas=$MALLOC_ARENA_MAX $@" >> "${folder}/args"\n`,
  );
  chmodSync(recorder, 0o755);
  const env = { ROOM_NODE: recorder, XDG_CACHE_HOME: dir.file('cache') };
  for (const args of [['demo', 'alice'], ['send', 'demo', 'hi'], ['--help']]) {
    const result = await dir.run(args, { env });
    assert.equal(result.code, 0, result.stderr);
  }
  const cli = `${join(ROOT, 'bin')}/../dist/cli.js`; // as the launcher spells it
  assert.deepEqual(readFileSync(join(folder, 'args'), 'utf8').trim().split('\n'), [
    `arenas=1 --max-semi-space-size=4 ${cli} demo alice`,
    `arenas= ${cli} send demo hi`,
    `arenas= ${cli} --help`,
  ]);
});

test("the launcher's list of commands is client/main.ts's", () => {
  const launcher = readFileSync(ROOM_BIN, 'utf8');
  const listed = /^ {2}([a-z| -]+) \| -\*\) v8_flags= ;;$/m.exec(launcher)?.[1]?.split(' | ');
  const main = readFileSync(join(ROOT, 'client', 'main.ts'), 'utf8');
  const table = main.slice(main.indexOf('const COMMANDS'), main.indexOf('};', main.indexOf('const COMMANDS')));
  const commands = [...table.matchAll(/^ {2}'?([a-z-]+)'?: \(\) =>/gm)].map((m) => m[1]);
  assert.ok(commands.length > 10, `${commands.length} commands found in client/main.ts`);
  assert.deepEqual([...(listed ?? [])].sort(), commands.sort());
});
