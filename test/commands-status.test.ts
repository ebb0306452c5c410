// /set_status and /who through the real broker and CLI: the whole text is the
// status, it is announced and stored, it lives until the user's last live
// session ends; /who answers only the asker, lists online users with their
// status and one-shot users with when they were last active.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOM, TestRoom, fence, type Event } from './commands-room.ts';
import { waitUntil } from './helpers.ts';

test('/set_status takes the whole text: a system notice from broker, stored and broadcast, shown by /who', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const carol = await room.stream('carol');
  const notice = await room.sent('bob', '/set_status', 'reviewing', 'PRs  for', 'the auth module');
  assert.deepEqual(
    [notice.type, notice.user, notice.content],
    ['system', 'broker', 'bob set status: reviewing PRs for the auth module'],
  );
  assert.equal(typeof notice.seq, 'number', 'stored');
  assert.equal(room.historyText().trimEnd().split('\n').at(-1), JSON.stringify(notice), 'the echo is the history line');
  await carol.waitFor((r) => r.events<Event>().some((e) => e.id === notice.id));

  // The same command as a JSON command event over HTTP: every param, whitespace (newlines too) collapsed.
  const viaHttp = await room.post('alice', {
    type: 'command',
    cmd: 'set_status',
    params: ['in a meeting\n', 'back  at 3'],
  });
  assert.equal(viaHttp.status, 201, viaHttp.body);
  assert.equal(viaHttp.json<Event>().content, 'alice set status: in a meeting back at 3');

  const users = await room.users('carol');
  const status = (name: string) => [...users.online, ...users.recent].find((u) => u.user === name)?.status;
  assert.equal(status('bob'), 'reviewing PRs for the auth module');
  assert.equal(status('alice'), 'in a meeting back at 3');
  const who = await room.sent('carol', '/who');
  assert.match(who.content!, /bob: reviewing PRs for the auth module/);
  assert.match(who.content!, /alice \(host\): in a meeting back at 3/);
});

test('/set_status with no text clears the status, and the notice says so', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  await room.sent('bob', '/set_status', 'busy');
  const cleared = await room.sent('bob', '/set_status');
  assert.deepEqual([cleared.type, cleared.user, cleared.content], ['system', 'broker', 'bob cleared their status']);
  const blank = await room.post('bob', { type: 'command', cmd: 'set_status', params: ['  '] });
  assert.equal(blank.json<Event>().content, 'bob cleared their status');
  assert.equal((await room.users('alice')).recent.find((u) => u.user === 'bob')?.status, '');
  assert.deepEqual(
    room.history().map((e) => e.content),
    ['bob set status: busy', 'bob cleared their status', 'bob cleared their status'],
  );
});

test("a status lives until the user's last live session ends, not the first", async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const first = await room.stream('bob');
  const second = await room.stream('bob');
  await room.sent('bob', '/set_status', 'pairing', 'with', 'alice');
  assert.deepEqual((await room.users('alice')).online, [{ user: 'bob', status: 'pairing with alice', sessions: 2 }]);

  first.close();
  await room.waitOnline('alice', 'bob', (u) => u.sessions === 1, 'one session of bob left');
  assert.equal((await room.users('alice')).online[0]?.status, 'pairing with alice', 'kept while a session remains');

  second.close();
  const users = await room.waitOnline('alice', 'bob', null, 'bob offline');
  assert.equal(users.recent.find((u) => u.user === 'bob')?.status, '', 'cleared with the last session');
  assert.doesNotMatch((await room.sent('alice', '/who')).content!, /pairing/);

  // A new session starts without the old status, and nothing about it reached the history.
  await room.stream('bob');
  assert.equal((await room.users('alice')).online[0]?.status, '');
  assert.deepEqual(
    room
      .history()
      .filter((e) => e.type === 'system')
      .map((e) => e.content),
    ['bob set status: pairing with alice'],
  );
});

test("/who answers only the asker: not stored, and a third party's stream sees nothing of it", async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const carol = await room.stream('carol');
  await room.stream('bob');
  await room.sent('bob', '/set_status', 'on call');
  await carol.waitFor((r) => r.events<Event>().some((e) => e.content === 'bob set status: on call'));
  const before = room.historyText();
  const seen = carol.messages.length;

  const who = await room.send('alice', '/who');
  assert.equal(who.code, 0, who.stderr);
  const notice = JSON.parse(who.stdout) as Event;
  assert.deepEqual([notice.type, notice.user, notice.seq], ['system', 'broker', undefined], 'a notice: no seq');
  assert.equal(notice.content, `online — bob: on call, carol\nrecently active — alice (host) (0s ago)`);
  const viaHttp = await room.post('carol', { type: 'command', cmd: 'who' });
  assert.equal(viaHttp.status, 200, 'a private answer is 200, not 201');
  assert.match(viaHttp.json<Event>().content!, /^online — bob: on call, carol/);
  assert.equal(
    (await room.post('carol', { type: 'command', cmd: 'WHO' })).status,
    200,
    'built-in names match in any case',
  );

  assert.equal(room.historyText(), before, 'nothing written');
  await fence(room, 'alice', [carol], 'after who');
  assert.deepEqual(
    carol.messages.slice(seen).map((m) => JSON.parse(m.data).content),
    ['after who'],
    'carol received nothing but the fence',
  );
});

test('/who lists one-shot users apart from online ones, with when they were last active', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol', 'dave');
  await room.stream('alice');
  await room.sent('bob', 'a message from a script');
  const poll = await room.dir.run(['poll', '-t', room.token('carol'), ROOM]);
  assert.equal(poll.code, 0, poll.stderr);
  // dave only joined; bob sent; carol only polled (the broker sees that through her cursor file).
  const users = await room.users('alice');
  assert.deepEqual(
    users.online.map((u) => u.user),
    ['alice'],
  );
  assert.deepEqual(users.recent.map((u) => u.user).sort(), ['bob', 'carol', 'dave']);
  for (const u of users.recent)
    assert.ok(Math.abs(Date.now() - Date.parse(u.last_active)) < 30_000, `${u.user}: ${u.last_active}`);
  const lines = (await room.sent('alice', '/who')).content!.split('\n');
  assert.equal(lines[0], 'online — alice (host)');
  assert.match(lines[1]!, /^recently active — (\w+ \(\d+s ago\)(, |$)){3}/);
  for (const name of ['bob', 'carol', 'dave']) assert.match(lines[1]!, new RegExp(`\\b${name} \\(\\d+s ago\\)`));
});

test('a status over 1024 bytes is refused and changes nothing; 1024 are accepted', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  await room.sent('bob', '/set_status', 'short');
  const before = room.historyText();
  const tooLong = await room.send('bob', '/set_status', 'é'.repeat(513));
  assert.equal(tooLong.code, 2);
  assert.match(tooLong.stderr, /a status is at most 1024 bytes of UTF-8; this one has 1026/);
  assert.equal(tooLong.stdout, '');
  const overHttp = await room.post('bob', { type: 'command', cmd: 'set_status', params: ['x'.repeat(1100)] });
  assert.deepEqual([overHttp.status, overHttp.json().code], [413, 'content_too_large']);
  assert.equal(room.historyText(), before, 'nothing written');
  assert.equal((await room.users('alice')).recent.find((u) => u.user === 'bob')?.status, 'short', 'status unchanged');

  const atLimit = await room.sent('bob', '/set_status', '🙂'.repeat(256));
  assert.equal(atLimit.content, `bob set status: ${'🙂'.repeat(256)}`);
  await waitUntil(
    async () => (await room.users('alice')).recent.some((u) => u.status === '🙂'.repeat(256)),
    2000,
    'the long status',
  );
});
