// A broker that cannot start: the client says why on one line, with the
// documented exit code, prints nothing on stdout and leaves no room behind.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RoomDir, stopProcess, type RunResult } from './helpers.ts';

/** One line on stderr, nothing on stdout, the given exit code. */
function refused(result: RunResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, message);
  assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
}

test('-f in a folder that does not exist is a usage error before any broker starts', async (t) => {
  const dir = RoomDir.create(t);
  const chat = dir.file('sub/f.chat');
  refused(
    await dir.run(['join', 'froom', 'ivan', '-f', chat]),
    2,
    new RegExp(`^room: cannot create the history file ${chat}: no such folder ${dir.file('sub')}\n$`),
  );
  writeFileSync(dir.file('plain'), '');
  const underFile = dir.file('plain/f.chat');
  refused(
    await dir.run(['join', 'froom', 'ivan', '-f', underFile]),
    2,
    new RegExp(`cannot create the history file ${underFile}: ${dir.file('plain')} is not a folder`),
  );
  assert.deepEqual(readdirSync(dir.path), ['plain'], 'no log, state, lock, socket or token record');
});

test('a symlinked history is refused by the broker; the client reports its unsafe_path error (exit 1)', async (t) => {
  const dir = RoomDir.create(t);
  symlinkSync(dir.file('target'), dir.file('evil.chat'));
  const result = await dir.run(['join', 'evil', 'u']);
  refused(result, 1, new RegExp(`^room: refusing ${dir.file('evil.chat')}: it is a symbolic link\n$`));
  assert.doesNotMatch(result.stderr, /\d{4}-\d\d-\d\dT/, 'no log timestamps in the message');
  assert.equal(existsSync(dir.file('target')), false, 'the link is not followed');
  assert.equal(existsSync(dir.file('room-evil.state')), false);
  assert.equal(existsSync(dir.file('room-evil-u.token')), false);
  assert.equal(existsSync(dir.file('room-evil.sock')), false);
});

test('an unexpected broker failure is exit 3 with the error itself, not a line of its stack trace', async (t) => {
  const dir = RoomDir.create(t);
  mkdirSync(dir.file('adir'));
  // A room whose recorded history is a folder (-f <folder> itself is a usage error before any start).
  const state = { version: 1, room: 'r', chat: dir.file('adir'), host: null, users: {} };
  writeFileSync(dir.file('room-r.state'), JSON.stringify(state), { mode: 0o600 });
  const result = await dir.run(['join', 'r', 'a']);
  refused(
    result,
    3,
    new RegExp(
      `^room: the broker for r failed to start: EISDIR: illegal operation on a directory, open '${dir.file('adir')}' \\(log: ${dir.file('room-r.log')}\\)\n$`,
    ),
  );
  assert.equal(existsSync(dir.file('room-r-a.token')), false);
});

test('a ROOM_DIR whose parent is missing is refused (exit 2), not created; a missing leaf is created 0700', async (t) => {
  const dir = RoomDir.create(t);
  const typo = dir.file('nonexistent/x');
  refused(
    await dir.run(['join', 'x', 'y'], { env: { ROOM_DIR: typo } }),
    2,
    new RegExp(`^room: ROOM_DIR ${typo} does not exist \\(its parent ${dir.file('nonexistent')} is missing\\)\n$`),
  );
  assert.equal(existsSync(dir.file('nonexistent')), false);
  const leaf = dir.file('leaf');
  const joined = await dir.run(['join', 'x', 'y'], { env: { ROOM_DIR: leaf } });
  try {
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(statSync(leaf).mode & 0o777, 0o700);
  } finally {
    // This broker's log is not directly in dir.path, so the cleanup would not find it.
    for (const match of readFileSync(join(leaf, 'room-x.log'), 'utf8').matchAll(/\(pid (\d+)/g))
      await stopProcess(Number(match[1]));
  }
});
