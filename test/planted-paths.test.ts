// The paths added after issue 9's hardening, attacked the same way: a FIFO,
// a symlink or another user's file planted where room will look (the cursor
// lock of follow and the hooks, the project files the hooks and room mcp look
// for in the folders above a project), and the lock's own races.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withCursorLock } from '../client/cursor-lock.ts';
import { RoomDir, stopProcess } from './helpers.ts';
import { otherUser } from './other-user.ts';

const mkfifo = (path: string) => execFileSync('mkfifo', ['-m', '600', path]);

test('a FIFO planted at the cursor lock is refused by room follow at once (it hung on a blocking read)', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const lock = dir.file('room-r-bob.cursor.lock');
  mkfifo(lock);
  const follow = await dir.run(['follow', 'r'], { env: { ROOM_TOKEN: bob }, timeoutMs: 10_000 });
  assert.equal(follow.code, 1, `exit 1, not a hang: ${follow.stderr}`);
  assert.equal(follow.stdout, '');
  assert.match(follow.stderr, new RegExp(`refusing ${lock}: it is not a regular file`));
});

test('a symlink planted at the cursor lock is refused, and its target is not read or removed', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const target = dir.file('precious');
  writeFileSync(target, 'not a pid');
  const lock = dir.file('room-r-bob.cursor.lock');
  symlinkSync(target, lock);
  const follow = await dir.run(['follow', 'r'], { env: { ROOM_TOKEN: bob }, timeoutMs: 10_000 });
  assert.equal(follow.code, 1, follow.stderr);
  assert.match(follow.stderr, new RegExp(`refusing ${lock}: it is a symbolic link`));
  assert.ok(existsSync(target));
});

test('a cursor lock planted by another user is refused with its name', async (t) => {
  const user = otherUser(t);
  if (user === null) return;
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  chmodSync(dir.path, 0o1777); // like /tmp
  const lock = dir.file('room-r-bob.cursor.lock');
  writeFileSync(lock, '1'); // pid 1 is alive: the lock looks held
  chownSync(lock, user.uid, user.gid);
  const follow = await dir.run(['follow', 'r'], { env: { ROOM_TOKEN: bob }, timeoutMs: 10_000 });
  assert.equal(follow.code, 1, follow.stderr);
  assert.match(follow.stderr, new RegExp(`refusing ${lock}: it belongs to another user`));
});

test('a cursor lock that is empty (being written) is not taken for a stale one; a dead holder’s is', (t) => {
  const dir = RoomDir.create(t);
  const lock = dir.file('x.cursor.lock');
  writeFileSync(lock, '', { mode: 0o600 });
  let ran = false;
  withCursorLock(lock, () => {
    ran = true;
  });
  assert.ok(ran, 'the work runs after the bounded wait');
  assert.ok(existsSync(lock), 'the empty lock was left to whoever is writing it');

  writeFileSync(lock, '999999999', { mode: 0o600 }); // no such process
  let held = false;
  withCursorLock(lock, () => {
    held = existsSync(lock);
  });
  assert.ok(held, 'the stale lock was broken and taken');
  assert.ok(!existsSync(lock), 'and released');
});

const SESSION = '1a2b3c4d-1111-4222-8333-444455556666';

/** A project folder with no room of its own, inside the test's ROOM_DIR: the folders above it are the test's. */
function bareProject(dir: RoomDir): string {
  const folder = dir.file('project');
  mkdirSync(folder);
  return folder;
}

/** The session-start hook and the edit guard in `folder`: what they print, and that they end. */
async function hooksIn(dir: RoomDir, folder: string) {
  const start = await dir.run(['hook', 'session-start'], {
    input: JSON.stringify({ session_id: SESSION, hook_event_name: 'SessionStart', source: 'startup', cwd: folder }),
    env: { CLAUDE_PROJECT_DIR: folder },
    cwd: folder,
    timeoutMs: 10_000,
  });
  const edit = await dir.run(['edit-check'], {
    input: JSON.stringify({
      session_id: SESSION,
      cwd: folder,
      hook_event_name: 'PreToolUse',
      tool_name: 'Edit',
      tool_input: { file_path: join(folder, 'a.ts'), old_string: 'a', new_string: 'b' },
    }),
    cwd: folder,
    timeoutMs: 10_000,
  });
  return { start, edit };
}

test('FIFOs at CLAUDE.md and .claude/room.json above a project, /dev/zero in it: skipped, not read forever', async (t) => {
  const dir = RoomDir.create(t);
  const folder = bareProject(dir);
  mkdirSync(dir.file('.claude'));
  mkfifo(dir.file('.claude/room.json'));
  mkfifo(dir.file('CLAUDE.md'));
  // In the project itself: a device that never ends.
  mkdirSync(join(folder, '.claude'));
  symlinkSync('/dev/zero', join(folder, '.claude', 'room.json'));
  const { start, edit } = await hooksIn(dir, folder);
  assert.deepEqual([start.code, start.stdout, start.stderr], [0, '', ''], 'session start: no room, nothing said');
  assert.deepEqual([edit.code, edit.stdout, edit.stderr], [0, '', ''], 'the edit guard: no room, edit allowed');
});

test('a .claude/room.json that is JSON null is no room, not a crash of the hook', async (t) => {
  const dir = RoomDir.create(t);
  const folder = bareProject(dir);
  mkdirSync(join(folder, '.claude'));
  writeFileSync(join(folder, '.claude', 'room.json'), 'null');
  const { start, edit } = await hooksIn(dir, folder);
  assert.deepEqual([start.code, start.stdout, start.stderr], [0, '', '']);
  assert.deepEqual([edit.code, edit.stdout, edit.stderr], [0, '', '']);
});

test('a room named by another user’s files above a project (as in /tmp) is not joined', async (t) => {
  const user = otherUser(t);
  if (user === null) return;
  const dir = RoomDir.create(t);
  const folder = bareProject(dir);
  mkdirSync(dir.file('.claude'));
  writeFileSync(dir.file('.claude/room.json'), JSON.stringify({ room: 'planted' }));
  writeFileSync(dir.file('CLAUDE.md'), '<!-- room:protocol room=planted (written by room init) -->\n');
  chownSync(dir.file('.claude/room.json'), user.uid, user.gid);
  chownSync(dir.file('CLAUDE.md'), user.uid, user.gid);
  const { start, edit } = await hooksIn(dir, folder);
  assert.deepEqual([start.code, start.stdout, start.stderr], [0, '', '']);
  assert.deepEqual([edit.code, edit.stdout, edit.stderr], [0, '', '']);
  assert.ok(!existsSync(dir.socket('planted')), 'no broker was started for the planted room');
});

test('a claims file with entries that are not claims: they are dropped at start, claims keep working (it was a 500 on every /claim)', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('c', 'alice');
  await stopProcess(dir.brokerPids()[0]!);
  const good = { what: 'src/b.ts', kind: 'path', user: 'alice', since: new Date().toISOString(), text: 'src/b.ts' };
  const bad = [null, 5, { what: 5 }, { ...good, since: 'garbage' }, { ...good, kind: 'file' }];
  writeFileSync(dir.file('room-c.claims'), JSON.stringify({ version: 1, claims: [...bad, good] }), { mode: 0o600 });
  await dir.join('c', 'bob'); // a new broker loads the file
  const env = { ROOM_TOKEN: alice };
  const claim = await dir.run(['send', 'c', '/claim', 'src/a.ts'], { env });
  assert.equal(claim.code, 0, claim.stderr);
  const list = await dir.run(['send', 'c', '/claims'], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /src\/a\.ts/);
  assert.match(list.stdout, /src\/b\.ts/);
  const log = readFileSync(dir.file('room-c.log'), 'utf8');
  assert.match(log, /ignoring 5 malformed entries of the claims file/);
  assert.doesNotMatch(log, /uncaught|internal error/);
  const saved = JSON.parse(readFileSync(dir.file('room-c.claims'), 'utf8')) as { claims: Array<{ what: string }> };
  assert.deepEqual(saved.claims.map((c) => c.what).sort(), ['src/a.ts', 'src/b.ts']);
});
