// room join: tokens, the token record, taken names, bad names, file modes.
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, symlinkSync, existsSync } from 'node:fs';
import { test } from 'node:test';
import { RoomDir, http } from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('join starts the broker, prints the token JSON and writes a 0600 token record', async (t) => {
  const dir = RoomDir.create(t);
  const result = await dir.run(['join', 'r', 'alice']);
  assert.equal(result.code, 0, result.stderr);
  const token = JSON.parse(result.stdout);
  assert.deepEqual(Object.keys(token), ['type', 'token', 'username']);
  assert.equal(token.type, 'token');
  assert.equal(token.username, 'alice');
  assert.match(token.token, UUID);
  const record = dir.file('room-r-alice.token');
  assert.match(result.stderr, new RegExp(`Token written to ${record}`));
  assert.deepEqual(JSON.parse(readFileSync(record, 'utf8')), { ...token, room: 'r' });
  for (const name of ['room-r-alice.token', 'room-r.sock', 'room-r.state', 'r.chat', 'room-r.log', 'room-r.pid']) {
    assert.equal(lstatSync(dir.file(name)).mode & 0o777, 0o600, `${name} is 0600`);
  }
  const health = await http(dir.socket('r'), 'GET', '/health');
  assert.equal(health.status, 200);
  assert.equal(health.json().room, 'r');
});

test('a taken name fails with exit code 5 and changes nothing', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const before = readFileSync(dir.file('room-r-alice.token'), 'utf8');
  const again = await dir.run(['join', 'r', 'alice']);
  assert.equal(again.code, 5);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /alice is already taken/);
  assert.equal(readFileSync(dir.file('room-r-alice.token'), 'utf8'), before);
});

test('bad room ids and usernames are refused with exit 2 before any file is touched', async (t) => {
  const dir = RoomDir.create(t);
  for (const [room, user] of [
    ['../x', 'alice'],
    ['r', '../x'],
    ['.hidden', 'a'],
    ['r', 'a b'],
    ['r', 'x'.repeat(65)],
    ['', 'a'],
    ['r/s', 'a'],
  ]) {
    const result = await dir.run(['join', room!, user!]);
    assert.equal(result.code, 2, `${room} ${user}: ${result.stderr}`);
    assert.match(result.stderr, /invalid (room id|username)/);
  }
  assert.equal(existsSync(dir.file('room-r.sock')), false);
  assert.equal(existsSync(dir.file('room-r.log')), false);
});

test('a symlink planted at the token record is refused, not followed, and the name stays free', async (t) => {
  const dir = RoomDir.create(t);
  symlinkSync(dir.file('elsewhere'), dir.file('room-r-alice.token'));
  const result = await dir.run(['join', 'r', 'alice']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /symbolic link/);
  assert.equal(existsSync(dir.file('elsewhere')), false);
});
