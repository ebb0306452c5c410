// The host's moderation through the real broker and CLI: only the host may
// run /kick, /reauth, /clear-tokens, /exit and /clear; a kick ends the
// user's streams at once, revokes their token and blocks the name until
// /reauth; bad targets are refused with a clear error and change nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOM, TestRoom, fence, type Event } from './commands-room.ts';
import { http } from './helpers.ts';

const ADMIN = [
  '/kick carol',
  '/kick @alice',
  '/reauth carol',
  '/clear-tokens',
  '/exit',
  '/clear',
  '/KICK carol',
  '/Clear',
];

test('admin commands by anyone but the host are refused: exit 7 / 403, and nothing changes', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const carol = await room.stream('carol');
  await room.sent('bob', 'hello');
  const history = room.historyText();
  const state = room.stateText();
  await carol.waitFor((r) => r.events<Event>().some((e) => e.content === 'hello'));
  const seen = carol.messages.length;
  const results = await Promise.all(ADMIN.map((line) => room.send('bob', line)));
  for (const [i, line] of ADMIN.entries()) {
    const result = results[i]!;
    assert.equal(result.code, 7, `${line}: ${result.stderr}`);
    assert.match(result.stderr, /permission denied: admin commands are restricted to the room host/, line);
    assert.equal(result.stdout, '', line);
    const [cmd, ...params] = line.slice(1).split(' ');
    const response = await room.post('carol', { type: 'command', cmd: cmd!, params });
    assert.deepEqual([response.status, response.json().code], [403, 'permission_denied'], line);
  }
  assert.equal(room.historyText(), history, 'history unchanged');
  assert.equal(room.stateText(), state, 'tokens, kicks and host unchanged');
  assert.equal(carol.ended, false, 'no stream was ended');
  assert.equal((await http(room.socket, 'GET', '/health')).status, 200, 'the broker still runs');
  await fence(room, 'carol', [carol], 'fence');
  assert.deepEqual(
    carol.messages.slice(seen).map((m) => JSON.parse(m.data).content),
    ['fence'],
    'the refusals were private',
  );
});

test("/kick ends the user's live stream at once (close: kicked), revokes the token, blocks rejoining, drops them from /who", async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const bob = await room.stream('bob');
  const carol = await room.stream('carol');
  await room.sent('bob', '/set_status', 'about to be kicked');
  const kick = await room.sent('alice', '/kick', '@bob');
  assert.deepEqual([kick.type, kick.user, kick.content], ['system', 'broker', 'alice kicked bob (token invalidated)']);

  await bob.waitFor((r) => r.ended, 3000);
  const close = bob.messages.at(-1)!;
  assert.equal(close.event, 'close');
  assert.deepEqual(JSON.parse(close.data), { reason: 'kicked', message: `you were kicked from ${ROOM} by alice` });
  assert.equal(bob.events<Event>().at(-1)?.id, kick.id, 'the notice arrives before the end');
  await carol.waitFor((r) => r.events<Event>().some((e) => e.type === 'leave' && e.user === 'bob'));
  assert.equal(carol.ended, false, 'other streams go on');

  const users = await room.users('alice');
  assert.equal(
    [...users.online, ...users.recent].some((u) => u.user === 'bob'),
    false,
    'gone from /users',
  );
  assert.doesNotMatch((await room.sent('carol', '/who')).content!, /bob/);

  const old = room.token('bob');
  const send = await room.send('bob', 'still here?');
  assert.equal(send.code, 4);
  assert.match(send.stderr, /invalid or revoked token/);
  assert.equal(
    (await room.dir.run(['poll', '-t', old, ROOM])).code,
    4,
    'poll reads the state file: the token is dead there too',
  );
  assert.equal((await http(room.socket, 'GET', '/events', { token: old })).status, 401);

  const rejoin = await room.dir.run(['join', ROOM, 'bob']);
  assert.equal(rejoin.code, 5);
  assert.match(rejoin.stderr, /bob was kicked from this room; the host can \/reauth bob/);
  assert.equal(rejoin.stdout, '');
  const overHttp = await http(room.socket, 'POST', '/join', { body: { username: 'bob' } });
  assert.deepEqual([overHttp.status, overHttp.json().code], [403, 'user_kicked']);
  assert.deepEqual(
    room.state().users.bob,
    { ...room.state().users.bob, token: null, kicked: true },
    'the name stays reserved, with no token',
  );
});

test('a kicked marker is never usable as a token', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  await room.sent('alice', '/kick', 'bob');
  const markers = ['kicked', 'KICKED', 'Kicked', 'null', 'undefined', 'false', 'true', '0', 'revoked', '""', 'bob'];
  const polls = await Promise.all(markers.map((token) => room.dir.run(['poll', '-t', token, ROOM])));
  for (const [i, token] of markers.entries()) {
    const response = await http(room.socket, 'GET', '/users', { token });
    assert.deepEqual([response.status, response.json().code], [401, 'invalid_token'], token);
    assert.equal(polls[i]!.code, 4, `poll -t ${token}: ${polls[i]!.stderr}`);
  }
  const empty = await http(room.socket, 'GET', '/users', { headers: { authorization: 'Bearer ' } });
  assert.deepEqual([empty.status, empty.json().code], [401, 'missing_token']);
  const emptyEnv = await room.dir.run(['poll', ROOM], { env: { ROOM_TOKEN: '' } });
  assert.equal(emptyEnv.code, 4);
});

test('/kick and /reauth refuse bad targets with a clear error and change nothing', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  await room.sent('alice', '/kick', 'carol');
  const history = room.historyText();
  const state = room.stateText();
  const cases: Array<[string, RegExp]> = [
    ['/kick ghost', /no user ghost has joined this room/],
    ['/kick broker', /no user broker has joined this room/],
    ['/kick alice', /the host cannot be kicked/],
    ['/kick @alice', /the host cannot be kicked/],
    ['/kick', /usage: \/kick <user>/],
    ['/kick bob carol', /usage: \/kick <user>/],
    ['/kick carol', /carol is already kicked \(\/reauth carol lets them join again\)/],
    ['/reauth bob', /bob is not kicked: \/reauth only lets a kicked user join again/],
    ['/reauth ghost', /no user ghost has joined this room/],
    ['/reauth', /usage: \/reauth <user>/],
    ['/clear-tokens bob', /usage: \/clear-tokens$/m],
    ['/clear everything', /usage: \/clear$/m],
    ['/exit now', /usage: \/exit$/m],
  ];
  const results = await Promise.all(cases.map(([line]) => room.send('alice', line)));
  for (const [i, [line, message]] of cases.entries()) {
    const result = results[i]!;
    assert.equal(result.code, 2, `${line}: ${result.stderr}`);
    assert.match(result.stderr, message, line);
    assert.equal(result.stdout, '', line);
  }
  assert.equal(room.historyText(), history, 'history unchanged');
  assert.equal(room.stateText(), state, 'state unchanged');
  assert.equal((await room.users('bob')).you, 'bob', 'bob keeps his token');
});

test('/reauth lets a kicked user join again with a new token; the old one stays dead', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const old = room.token('bob');
  await room.sent('alice', '/kick', 'bob');
  const reauth = await room.sent('alice', '/reauth', '@bob');
  assert.deepEqual(
    [reauth.type, reauth.user, reauth.content],
    ['system', 'broker', 'alice reauthed bob (token cleared, can rejoin)'],
  );
  assert.equal((await http(room.socket, 'GET', '/users', { token: old })).status, 401, 'not revived by /reauth');
  const fresh = await room.join('bob');
  assert.notEqual(fresh, old);
  assert.equal((await room.sent('bob', 'back again')).user, 'bob');
  assert.equal((await http(room.socket, 'GET', '/users', { token: old })).status, 401, 'still dead after the new join');
  assert.deepEqual(room.state().users.bob, { ...room.state().users.bob, token: fresh, kicked: false });
});
