// Claims as leases, through the real broker and the real CLI: overlap rules
// (path, parent folder, glob, topic), the refusal, --force and host takeover,
// release, /claims and /who, GET /claims, the lease ending after its holder's
// session is SIGKILLed or after a TTL of inactivity (each announced once),
// kick, and a broker restart keeping the table.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { AgentProcess } from './agent-process.ts';
import { ROOM, TestRoom, fence, type Event } from './commands-room.ts';
import { RoomDir, http, isAlive, waitUntil } from './helpers.ts';

type Claim = { what: string; kind: 'path' | 'topic'; user: string; since: string; text: string };

/** A room whose broker starts with `env` (the lease settings are read when it starts). */
async function roomWith(t: TestContext, env: Record<string, string>, ...names: string[]): Promise<TestRoom> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await TestRoom.create(t, ...names);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function claims(room: TestRoom, user: string, path?: string): Promise<Claim[]> {
  const query = path === undefined ? '' : `?path=${encodeURIComponent(path)}`;
  const response = await http(room.socket, 'GET', `/claims${query}`, { token: room.token(user) });
  assert.equal(response.status, 200, response.body);
  return response.json<{ claims: Claim[] }>().claims;
}

const holders = (list: Claim[]) => list.map((c) => [c.what, c.user]);

test('a claim is broadcast as before and recorded; overlapping claims of others are refused with holder, time and text', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const claim = await room.sent('bob', '/claim src/parser.ts fixing CRLF');
  assert.deepEqual([claim.type, claim.cmd, claim.params], ['command', 'claim', ['src/parser.ts', 'fixing', 'CRLF']]);
  const [held] = await claims(room, 'carol');
  assert.deepEqual(
    { ...held, since: undefined },
    { what: 'src/parser.ts', kind: 'path', user: 'bob', since: undefined, text: 'src/parser.ts fixing CRLF' },
  );
  assert.ok(Math.abs(Date.parse(held!.since) - Date.now()) < 60_000);

  const before = room.historyText();
  for (const what of ['src/parser.ts', './src/parser.ts', 'src/', 'src/*.ts', 'src/**', '.']) {
    const refused = await room.send('carol', `/claim ${what}`);
    assert.equal(refused.code, 7, `${what}: ${refused.stderr}`);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^room: src\/parser\.ts is claimed by bob since \d\d:\d\d:\d\d UTC \(\d+s ago\): "src\/parser\.ts fixing CRLF"; ask bob to release it, or take it over with \/claim .* --force\n$/,
    );
  }
  const response = await room.post('carol', { type: 'command', cmd: 'claim', params: ['src/parser.ts'] });
  assert.equal(response.status, 409);
  assert.equal(response.json().code, 'claim_conflict');
  assert.equal(room.historyText(), before, 'a refused claim changes nothing');
  assert.deepEqual(holders(await claims(room, 'carol')), [['src/parser.ts', 'bob']]);

  // Beside it, anything else is free; a glob held covers what it matches.
  await room.sent('carol', '/claim src/lexer.ts docs/**');
  assert.equal((await room.send('bob', '/claim docs/guide/intro.md')).code, 7);
  assert.equal((await room.send('bob', '/claim src/lexer.ts')).code, 7);
  // Topics: the same words, whatever the case and spacing.
  await room.sent('bob', '/claim the Auth module');
  const topic = await room.send('carol', '/claim  the auth   MODULE ');
  assert.equal(topic.code, 7);
  assert.match(topic.stderr, /the auth module is claimed by bob .*"the Auth module"/);
  await room.sent('carol', '/claim the auth tests');
  // Claiming again what you hold refreshes it; your own claims never conflict.
  await room.sent('bob', '/claim src/parser.ts now also LF');
  assert.deepEqual(holders(await claims(room, 'alice')), [
    ['src/lexer.ts', 'carol'],
    ['docs/**', 'carol'],
    ['the auth module', 'bob'],
    ['the auth tests', 'carol'],
    ['src/parser.ts', 'bob'],
  ]);
  assert.deepEqual(holders(await claims(room, 'alice', 'docs/a/b.md')), [['docs/**', 'carol']]);
  assert.deepEqual(holders(await claims(room, 'alice', 'README.md')), []);
  assert.equal((await room.send('carol', '/claim')).code, 2, 'nothing to claim is a usage error');
});

test('--force and the host take a claim over, with a notice naming the holder', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  await room.sent('bob', '/claim src/a.ts src/b.ts refactor');
  const forced = await room.sent('carol', '/claim src/ --force');
  assert.deepEqual(forced.params, ['src/'], 'the flag is not part of the claim');
  const notice = room.history().at(-1)!;
  assert.equal(notice.type, 'system');
  assert.match(
    notice.content!,
    /^carol took over src\/a\.ts, src\/b\.ts from @bob \(--force\); bob's claim since .*: "src\/a\.ts src\/b\.ts refactor"$/,
  );
  assert.deepEqual(holders(await claims(room, 'bob')), [['src', 'carol']]);

  await room.sent('alice', '/claim src/a.ts');
  assert.match(room.history().at(-1)!.content!, /^alice took over src from @carol \(host\)/);
  assert.deepEqual(holders(await claims(room, 'bob')), [['src/a.ts', 'alice']]);
});

test('/release ends your claims (by path, folder, glob or all), is broadcast, and refuses what you do not hold', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  await room.sent('bob', '/claim src/a.ts src/b.ts lib/c.ts');
  await room.sent('bob', '/claim the parser');
  await room.sent('carol', '/claim docs/');

  const none = await room.send('bob', '/release docs');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /you hold no claim on docs \(yours: src\/a\.ts, src\/b\.ts, lib\/c\.ts, the parser\)/);
  assert.equal(
    (await room.post('bob', { type: 'command', cmd: 'release', params: ['x.ts'] })).json().code,
    'claim_not_found',
  );

  const released = await room.sent('bob', '/release src');
  assert.deepEqual([released.type, released.cmd, released.params], ['command', 'release', ['src']]);
  assert.deepEqual(holders(await claims(room, 'bob')), [
    ['lib/c.ts', 'bob'],
    ['the parser', 'bob'],
    ['docs', 'carol'],
  ]);
  await room.sent('carol', '/claim src/a.ts');

  const who = await room.post('alice', { type: 'command', cmd: 'who' });
  assert.match(who.json().content, /\nclaims — bob: lib\/c\.ts, the parser; carol: docs, src\/a\.ts$/);
  const list = await room.post('alice', { type: 'command', cmd: 'claims' });
  assert.equal(list.status, 200, 'a private answer');
  assert.match(
    list.json().content,
    /^open claims:\nlib\/c\.ts — bob since .* \(\d+s ago\): "src\/a\.ts src\/b\.ts lib\/c\.ts"\n/,
  );

  await room.sent('bob', '/release');
  assert.deepEqual(holders(await claims(room, 'bob')), [
    ['docs', 'carol'],
    ['src/a.ts', 'carol'],
  ]);
  assert.match((await room.send('bob', '/release')).stderr, /you hold no claim \(you hold none\)/);
  assert.equal((await http(room.socket, 'GET', '/claims')).status, 401);
});

test("a lease ends once, announced, a grace period after the holder's session is killed", async (t) => {
  const room = await roomWith(t, { ROOM_CLAIM_GRACE_MS: '300' }, 'alice', 'bob');
  const watcher = await room.stream('alice');
  const agent = AgentProcess.start(room.dir, ROOM, 'bob', { args: ['-n', '0'] });
  await room.waitOnline('alice', 'bob', () => true, 'bob online');
  await room.sent('bob', '/claim src/a.ts');
  agent.child.kill('SIGKILL');
  const ended = (e: Event) => e.type === 'system' && /^bob's claims ended/.test(e.content ?? '');
  await watcher.waitFor((r) => r.events<Event>().some(ended), 15_000);
  const notice = watcher.events<Event>().find(ended)!;
  assert.match(notice.content!, /^bob's claims ended \(bob left \d+s ago and did not come back\): src\/a\.ts$/);
  const seen = watcher.events<Event>();
  const leave = seen.findIndex((e) => e.type === 'leave' && e.user === 'bob');
  assert.ok(leave !== -1 && leave < seen.findIndex(ended), 'after the leave');
  assert.deepEqual(await claims(room, 'alice'), []);
  await fence(room, 'alice', [watcher]);
  assert.equal(watcher.events<Event>().filter(ended).length, 1, 'announced once');
});

test('a holder who comes back within the grace period keeps the claim', async (t) => {
  // Long enough for a new agent process to start and reconnect on a busy machine.
  const room = await roomWith(t, { ROOM_CLAIM_GRACE_MS: '3000' }, 'alice', 'bob', 'carol');
  const watcher = await room.stream('alice');
  const first = AgentProcess.start(room.dir, ROOM, 'bob', { args: ['-n', '0'] });
  const other = AgentProcess.start(room.dir, ROOM, 'carol', { args: ['-n', '0'] });
  await room.waitOnline('alice', 'bob', () => true, 'bob online');
  await room.waitOnline('alice', 'carol', () => true, 'carol online');
  await room.sent('bob', '/claim src/a.ts');
  await room.sent('carol', '/claim src/b.ts');
  first.child.kill('SIGKILL');
  await room.waitOnline('alice', 'bob', null, 'bob gone');
  AgentProcess.start(room.dir, ROOM, 'bob', { args: ['-n', '0'] });
  await room.waitOnline('alice', 'bob', () => true, 'bob back');
  // carol leaves after bob did: once her lease has ended, bob's would have too.
  other.child.kill('SIGKILL');
  const ended = (e: Event) => e.type === 'system' && / claims ended/.test(e.content ?? '');
  await watcher.waitFor((r) => r.events<Event>().some(ended), 15_000);
  assert.deepEqual(
    watcher
      .events<Event>()
      .filter(ended)
      .map((e) => e.content!.split(' ')[0]),
    ["carol's"],
  );
  assert.deepEqual(holders(await claims(room, 'alice')), [['src/a.ts', 'bob']]);
});

test('without a live session, a claim ends after the TTL of inactivity, announced once', async (t) => {
  const room = await roomWith(t, { ROOM_CLAIM_TTL_MS: '400' }, 'alice', 'bob');
  const watcher = await room.stream('alice');
  await room.sent('bob', '/claim the release notes');
  const ended = (e: Event) => e.type === 'system' && /^bob's claims ended/.test(e.content ?? '');
  await watcher.waitFor((r) => r.events<Event>().some(ended), 15_000);
  assert.match(
    watcher.events<Event>().find(ended)!.content!,
    /^bob's claims ended \(no activity from bob since \d\d:\d\d:\d\d UTC\): the release notes$/,
  );
  assert.deepEqual(await claims(room, 'alice'), []);
  await fence(room, 'alice', [watcher]);
  assert.equal(watcher.events<Event>().filter(ended).length, 1, 'announced once');
});

test("a kick ends the user's claims, announced", async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  await room.sent('bob', '/claim src/a.ts the docs');
  await room.sent('alice', '/kick bob');
  assert.deepEqual(
    room
      .history()
      .slice(-2)
      .map((e) => e.content),
    ['alice kicked bob (token invalidated)', "bob's claims ended (bob was kicked): src/a.ts"],
  );
  assert.deepEqual(await claims(room, 'carol'), []);
  await room.sent('carol', '/claim src/a.ts');
});

test('claims survive a broker restart, in their own 0600 file', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  await room.sent('bob', '/claim src/a.ts fixing');
  const file = room.dir.file(`room-${ROOM}.claims`);
  assert.deepEqual(
    (JSON.parse(readFileSync(file, 'utf8')) as { claims: Claim[] }).claims.map((c) => c.what),
    ['src/a.ts'],
  );
  const [pid] = room.dir.brokerPids();
  await room.sent('alice', '/exit');
  await waitUntil(() => !isAlive(pid!), 5000, 'the broker to stop');
  await room.join('dave');
  const refused = await room.send('carol', '/claim src/a.ts');
  assert.equal(refused.code, 7);
  assert.match(refused.stderr, /claimed by bob .*"src\/a\.ts fixing"/);
  assert.deepEqual(holders(await claims(room, 'carol')), [['src/a.ts', 'bob']]);
});

test('a bad lease setting stops the broker from starting, with a clear error, before it touches the room', async (t) => {
  const dir = RoomDir.create(t);
  for (const [name, value] of [
    ['ROOM_CLAIM_GRACE_MS', 'soon'],
    ['ROOM_CLAIM_TTL_MS', '0'],
  ] as const) {
    const result = await dir.run(['join', ROOM, 'alice'], { env: { [name]: value } });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`^room: ${name} must be a positive whole number of milliseconds, not ${value}\\n$`),
    );
    assert.equal(existsSync(dir.file(`${ROOM}.chat`)), false);
    assert.equal(existsSync(dir.file(`room-${ROOM}.state`)), false);
  }
});
