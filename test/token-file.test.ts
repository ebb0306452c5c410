// --token-file: send, poll and watch read the token from a file named on the
// command line (the record `room join` wrote, or a file with only the token),
// so an agent never has to print its token or put it in argv.
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { RoomDir, ndjson } from './helpers.ts';

test('send, poll and watch take the token from the record room join wrote', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  await dir.join('r', 'bob');
  const alice = dir.file('room-r-alice.token');
  const bob = dir.file('room-r-bob.token');

  const sent = await dir.run(['send', 'r', '--token-file', alice, 'hello', 'bob']);
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(JSON.parse(sent.stdout).user, 'alice');

  const polled = await dir.run(['poll', '--token-file', bob, 'r']);
  assert.equal(polled.code, 0, polled.stderr);
  assert.deepEqual(
    ndjson(polled.stdout).map((e) => e.content),
    ['hello bob'],
  );

  const watcher = dir.run(['watch', 'r', '--token-file', bob, '--timeout', '10']);
  await dir.run(['send', '--token-file', alice, 'r', 'again']);
  const watched = await watcher;
  assert.equal(watched.code, 0, watched.stderr);
  assert.deepEqual(
    ndjson(watched.stdout).map((e) => e.content),
    ['again'],
  );
  assert.doesNotMatch(
    sent.stdout + polled.stdout + watched.stdout,
    new RegExp(JSON.parse(readFileSync(bob, 'utf8')).token),
  );
});

test('a file holding only the token works; --token-file wins over ROOM_TOKEN', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  await dir.join('r', 'bob');
  const plain = dir.file('plain-token');
  writeFileSync(plain, `${token}\n`, { mode: 0o600 });
  const bobToken = JSON.parse(readFileSync(dir.file('room-r-bob.token'), 'utf8')).token as string;
  const sent = await dir.run(['send', 'r', '--token-file', plain, 'hi'], { env: { ROOM_TOKEN: bobToken } });
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(JSON.parse(sent.stdout).user, 'alice');
});

test('bad token files are refused with a clear error and change nothing', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const record = dir.file('room-r-alice.token');
  const chat = () => readFileSync(dir.file('r.chat'), 'utf8');
  const before = chat();

  const missing = await dir.run(['send', 'r', '--token-file', dir.file('nope'), 'x']);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /no token file .*nope/);
  const fromEnv = await dir.run(['send', 'r', 'x'], { env: { ROOM_TOKEN_FILE: dir.file('nope') } });
  assert.equal(fromEnv.code, 4);
  assert.match(fromEnv.stderr, /^room: ROOM_TOKEN_FILE: no token file .*nope /);

  const broken = dir.file('broken');
  writeFileSync(broken, '{"type":"token"', { mode: 0o600 });
  const unreadable = await dir.run(['poll', 'r', '--token-file', broken]);
  assert.equal(unreadable.code, 4);
  assert.match(unreadable.stderr, /no token in .*broken/);

  const empty = dir.file('empty');
  writeFileSync(empty, '\n', { mode: 0o600 });
  assert.equal((await dir.run(['watch', 'r', '--token-file', empty, '--timeout', '1'])).code, 4);

  const both = await dir.run(['send', 'r', '-t', 'x', '--token-file', record, 'x']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give -t or --token-file, not both/);
  assert.equal((await dir.run(['poll', 'r', '--token-file'])).code, 2, 'the flag needs a value');

  const link = dir.file('link');
  symlinkSync(record, link);
  const linked = await dir.run(['poll', 'r', '--token-file', link]);
  assert.equal(linked.code, 1);
  assert.match(linked.stderr, /symbolic link/);

  assert.equal(chat(), before, 'nothing was sent');
});
