// room stop: the host's /exit without token juggling.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RoomDir, ndjson } from './helpers.ts';

test('stops the broker as the host, with no token given; history and tokens are kept', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  await dir.join('r', 'bob');
  const result = await dir.run(['stop', 'r']);
  assert.equal(result.code, 0, result.stderr);
  const [notice] = ndjson(result.stdout);
  assert.equal(notice?.type, 'system');
  assert.equal(notice?.content, 'alice is shutting down the room');
  assert.ok(!existsSync(dir.socket('r')), 'the broker is gone when stop returns');
  assert.equal(ndjson(readFileSync(dir.file('r.chat'), 'utf8')).at(-1)?.id, notice?.id);
  // Stopping a stopped room is not an error.
  const again = await dir.run(['stop', 'r']);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /^room: room r is not running: nothing to stop\n$/);
  assert.equal(again.stdout, '');
  // The next join starts it again with the same tokens.
  await dir.join('r', 'carol');
  const send = await dir.run(['send', '-t', alice, 'r', 'still host']);
  assert.equal(send.code, 0, send.stderr);
});

test('a token given must be the host: anyone else gets exit 7 and the room keeps running', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  await dir.join('r', 'bob');
  const result = await dir.run(['stop', '--token-file', dir.file('room-r-bob.token'), 'r']);
  assert.equal(result.code, 7, result.stderr);
  assert.match(result.stderr, /permission denied/);
  assert.equal(result.stdout, '');
  assert.ok(existsSync(dir.socket('r')));
  const asHost = await dir.run(['stop', '--token-file', dir.file('room-r-alice.token'), 'r']);
  assert.equal(asHost.code, 0, asHost.stderr);
});

test("a ROOM_TOKEN of someone else (the quick start's bot) is set aside: the room stops, as the host", async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const result = await dir.run(['stop', 'r'], { env: { ROOM_TOKEN: bob } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stderr,
    "room: ROOM_TOKEN is bob's token, not the host's: ignoring it; stopping as the host, alice\n",
  );
  assert.equal(ndjson(result.stdout)[0]?.content, 'alice is shutting down the room');
  assert.ok(!existsSync(dir.socket('r')));
  // The host's own ROOM_TOKEN is used silently; a record named by ROOM_TOKEN_FILE is read the same way.
  await dir.join('r', 'carol');
  const own = await dir.run(['stop', 'r'], { env: { ROOM_TOKEN: alice } });
  assert.deepEqual([own.code, own.stderr], [0, '']);
  await dir.join('r', 'dave');
  const file = await dir.run(['stop', 'r'], { env: { ROOM_TOKEN_FILE: dir.file('room-r-bob.token') } });
  assert.equal(file.code, 0, file.stderr);
  assert.match(file.stderr, /^room: ROOM_TOKEN_FILE is bob's token, not the host's: ignoring it/);
});

test('bad input: usage errors (exit 2), a revoked host token (exit 4)', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  for (const [args, code, message] of [
    [['stop'], 2, /expected <room-id>/],
    [['stop', 'r', 'extra'], 2, /expected <room-id>/],
    [['stop', '../r'], 2, /invalid room id/],
  ] as Array<[string[], number, RegExp]>) {
    const result = await dir.run(args);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  assert.equal((await dir.run(['send', '-t', alice, 'r', '/clear-tokens'])).code, 0);
  const revoked = await dir.run(['stop', 'r']);
  assert.equal(revoked.code, 4, revoked.stderr);
  assert.match(revoked.stderr, /host has no valid token/);
  assert.ok(existsSync(dir.socket('r')));
});
