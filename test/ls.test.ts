// room ls: the rooms under ROOM_DIR, running or not, with users and last activity.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { RoomDir, ndjson } from './helpers.ts';

test('lists running and stopped rooms with host, users, kicked users and last activity', async (t) => {
  const dir = RoomDir.create(t);
  const empty = await dir.run(['ls']);
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, '');
  assert.match(empty.stderr, /no rooms in /);
  assert.equal((await dir.run(['ls', '--json'])).stdout, '');

  const alice = await dir.join('alpha', 'alice');
  await dir.join('alpha', 'bob');
  await dir.join('alpha', 'mallory');
  const sent = JSON.parse((await dir.run(['send', '-t', alice, 'alpha', 'hello'])).stdout) as { ts: string };
  const kick = JSON.parse((await dir.run(['send', '-t', alice, 'alpha', '/kick mallory'])).stdout) as { ts: string };
  assert.ok(kick.ts >= sent.ts);
  await dir.join('beta', 'carol');
  assert.equal((await dir.run(['stop', 'beta'])).code, 0);

  const json = await dir.run(['ls', '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(ndjson(json.stdout), [
    {
      room: 'alpha',
      running: true,
      host: 'alice',
      users: ['alice', 'bob'],
      kicked: ['mallory'],
      last_activity: kick.ts,
      history: dir.file('alpha.chat'),
    },
    {
      room: 'beta',
      running: false,
      host: 'carol',
      users: ['carol'],
      kicked: [],
      last_activity: ndjson(
        (await dir.run(['log', 'beta', '--token-file', dir.file('room-beta-carol.token')])).stdout,
      ).at(-1)?.ts,
      history: dir.file('beta.chat'),
    },
  ]);

  const text = await dir.run(['ls'], { env: { TZ: 'UTC' } });
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^ROOM +STATE +USERS +LAST ACTIVITY$/);
  assert.match(lines[1]!, /^alpha +running +alice \(host\), bob, mallory \(kicked\) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.ok(lines[1]!.endsWith(kick.ts.slice(0, 19).replace('T', ' ')));
  assert.match(lines[2]!, /^beta +stopped +carol \(host\) +\d{4}-/);
});

test('a room id or an unknown option is a usage error', async (t) => {
  const dir = RoomDir.create(t);
  for (const args of [
    ['ls', 'alpha'],
    ['ls', '--all'],
  ]) {
    const result = await dir.run(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /Usage: room ls/);
  }
});

test('a room whose state file cannot be read is listed with the reason', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('good', 'alice');
  writeFileSync(dir.file('room-broken.state'), '{ not json', { mode: 0o600 });
  const json = await dir.run(['ls', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const [broken, good] = ndjson(json.stdout);
  assert.equal(broken?.room, 'broken');
  assert.match(String(broken?.error), /corrupt room state file/);
  assert.equal(good?.room, 'good');
  const text = await dir.run(['ls']);
  assert.match(text.stdout, /^broken +unreadable +corrupt room state file/m);
});
