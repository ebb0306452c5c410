// A shared room's state across machines (issue 16), end to end: two room
// directories stand in for two machines, each with its own broker started by
// the real CLI with ROOM_NATS_URL naming one real `nats-server -js`. Users,
// the host, kicks, tokens and claims are one set on both; who is present on
// either shows on both and leaves within the presence TTL when a machine
// dies; with NATS gone, changes are refused (exit 3) and reads still answer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { RoomDir, SseReader, http, stopProcess, waitUntil, type RunResult } from './helpers.ts';
import { NatsServer } from './nats-server.ts';

// A dot in the id: bucket names escape it (server/nats/kv-names.ts).
const ROOM = 'team.room';

type Users = {
  host: string | null;
  online: Array<{ user: string; status: string; sessions: number }>;
  recent: Array<{ user: string }>;
};

/** One "machine": its own ROOM_DIR and broker, sharing the room through `server`. */
class Machine {
  readonly dir: RoomDir;
  readonly #env: NodeJS.ProcessEnv;

  constructor(t: TestContext, server: NatsServer, env: NodeJS.ProcessEnv = {}) {
    this.dir = RoomDir.create(t);
    this.#env = { ROOM_NATS_URL: server.url, ROOM_NATS_PRESENCE_TTL_MS: '1000', ...env };
  }

  get socket(): string {
    return this.dir.socket(ROOM);
  }

  run(args: readonly string[], token?: string): Promise<RunResult> {
    return this.dir.run(args, { env: { ...this.#env, ...(token === undefined ? {} : { ROOM_TOKEN: token }) } });
  }

  async join(user: string): Promise<string> {
    const result = await this.run(['join', ROOM, user]);
    assert.equal(result.code, 0, `join ${user}: ${result.stderr}`);
    return (JSON.parse(result.stdout) as { token: string }).token;
  }

  send(token: string, ...words: string[]): Promise<RunResult> {
    return this.run(['send', ROOM, ...words], token);
  }

  async users(token: string): Promise<Users> {
    const answer = await http(this.socket, 'GET', '/users', { token });
    assert.equal(answer.status, 200, answer.body);
    return answer.json<Users>();
  }

  stream(token: string): SseReader {
    return new SseReader(this.socket, '/events', token);
  }

  file(kind: 'state' | 'claims'): string {
    return readFileSync(this.dir.file(`room-${ROOM}.${kind}`), 'utf8');
  }
}

async function twoMachines(t: TestContext): Promise<{ server: NatsServer; a: Machine; b: Machine }> {
  const server = await NatsServer.start(t);
  return { server, a: new Machine(t, server), b: new Machine(t, server) };
}

test('a name joins once across machines (a race has one winner), and the first to join is host on both', async (t) => {
  const { a, b } = await twoMachines(t);
  const race = await Promise.all([a.run(['join', ROOM, 'alice']), b.run(['join', ROOM, 'Alice'])]);
  const codes = race.map((r) => r.code).sort();
  assert.deepEqual(codes, [0, 5], race.map((r) => r.stderr).join('\n'));
  const loser = race.find((r) => r.code === 5)!;
  assert.match(loser.stderr, /already taken/);
  const winner = race.find((r) => r.code === 0)!;
  const { token: aliceToken, username: host } = JSON.parse(winner.stdout) as { token: string; username: string };

  const bob = await b.join('bob');
  const carol = await a.join('carol');
  assert.equal((await a.run(['join', ROOM, 'BOB'])).code, 5, 'a name taken on the other machine is taken here');
  assert.equal((await a.users(carol)).host, host);
  assert.equal((await b.users(bob)).host, host);
  // A token from either machine works on both, and each state file mirrors every user (poll reads it).
  assert.equal((await a.send(bob, 'hello from bob, on a')).code, 0);
  assert.equal((await b.send(aliceToken, 'hello from the host, on b')).code, 0);
  for (const machine of [a, b]) {
    const state = JSON.parse(machine.file('state')) as { host: string; users: Record<string, { token: string }> };
    assert.equal(state.host, host);
    assert.deepEqual(Object.keys(state.users).sort(), [host, 'bob', 'carol'].sort());
    const poll = await machine.run(['poll', ROOM], carol);
    assert.equal(poll.code, 0, poll.stderr);
  }
});

test("a kick or /clear-tokens on one machine holds on the other: tokens refused on both, that machine's sessions closed", async (t) => {
  const { a, b } = await twoMachines(t);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  const carol = await b.join('carol');
  const bobStream = b.stream(bob);
  t.after(() => bobStream.close());
  await bobStream.waitFor((r) => r.events().some((e) => e.type === 'join' && e.user === 'bob'));

  const kick = await a.send(alice, '/kick', 'bob');
  assert.equal(kick.code, 0, kick.stderr);
  await bobStream.waitFor((r) => r.ended);
  const close = bobStream.messages.at(-1)!;
  assert.equal(close.event, 'close');
  assert.equal(JSON.parse(close.data).reason, 'kicked');
  const refused = await b.send(bob, 'still here?');
  assert.equal(refused.code, 4, `the kicked token is refused: ${refused.stderr}`);
  assert.equal((await http(a.socket, 'GET', '/users', { token: bob })).status, 401, 'and refused on a');
  const rejoin = await b.run(['join', ROOM, 'bob']);
  assert.equal(rejoin.code, 5);
  assert.match(rejoin.stderr, /kicked/);
  assert.equal((await a.send(alice, '/reauth', 'bob')).code, 0);
  const bobAgain = await b.join('bob');
  assert.equal((await a.send(bobAgain, 'back')).code, 0);

  const carolStream = b.stream(carol);
  t.after(() => carolStream.close());
  await carolStream.waitFor((r) => r.events().some((e) => e.type === 'join' && e.user === 'carol'));
  const clear = await a.send(alice, '/clear-tokens');
  assert.equal(clear.code, 0, clear.stderr);
  await carolStream.waitFor((r) => r.ended);
  assert.equal(JSON.parse(carolStream.messages.at(-1)!.data).reason, 'revoked');
  assert.equal((await b.send(carol, 'x')).code, 4, 'the CLI exits 4');
  for (const machine of [a, b]) {
    for (const token of [alice, bobAgain, carol]) {
      const answer = await http(machine.socket, 'GET', '/users', { token });
      assert.equal(answer.status, 401, 'every token is refused on both machines');
    }
  }
  const state = JSON.parse(b.file('state')) as { users: Record<string, { token: string | null }> };
  assert.deepEqual(
    Object.values(state.users).map((u) => u.token),
    [null, null, null],
    "b's state file has no live token",
  );
});

test('claims conflict across machines, a race for one path has one winner, and both claim files agree', async (t) => {
  const { a, b } = await twoMachines(t);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  const carol = await a.join('carol');
  assert.equal((await a.send(carol, '/claim', 'src/a.ts')).code, 0);
  for (const what of ['src/a.ts', 'src/', 'src/*.ts']) {
    const refused = await b.send(bob, '/claim', what);
    assert.equal(refused.code, 7, `${what}: ${refused.stderr}`);
    assert.match(refused.stderr, /claimed by carol/);
  }
  assert.equal((await b.send(bob, '/claim', 'docs/b.md')).code, 0);
  const listed = await a.send(alice, '/claims');
  assert.match(listed.stdout, /src\/a\.ts — carol/);
  assert.match(listed.stdout, /docs\/b\.md — bob/);
  assert.equal((await a.send(carol, '/release', 'src/a.ts')).code, 0);
  assert.equal((await b.send(bob, '/claim', 'src/a.ts')).code, 0, 'released on a, free on b');

  const race = await Promise.all([a.send(carol, '/claim', 'lib/x.ts'), b.send(bob, '/claim', 'lib/')]);
  assert.deepEqual(race.map((r) => r.code).sort(), [0, 7], race.map((r) => r.stderr).join('\n'));
  type ClaimFile = { claims: Array<{ what: string; user: string }> };
  const table = (m: Machine) => (JSON.parse(m.file('claims')) as ClaimFile).claims.map((c) => `${c.user}:${c.what}`);
  // Each broker mirrors the shared table into its claims file (room edit-check reads it) once it hears of it.
  await waitUntil(() => table(a).length === 3 && table(b).length === 3, 5000, 'both claim files to hold 3 claims');
  assert.deepEqual(table(a).sort(), table(b).sort());
  assert.equal(table(a).filter((c) => c.includes(':lib')).length, 1, 'one winner holds lib');
});

test("presence: /who and GET /users list both machines' users and statuses; a machine that dies leaves within the TTL", async (t) => {
  const { a, b } = await twoMachines(t);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  const aliceStream = a.stream(alice);
  const bobStream = b.stream(bob);
  t.after(() => {
    aliceStream.close();
    bobStream.close();
  });
  assert.equal((await b.send(bob, '/set_status', 'reviewing', 'the parser')).code, 0);
  const online = (users: Users) => users.online.map((u) => `${u.user}:${u.status}`).sort();
  await waitUntil(async () => online(await a.users(alice)).join() === 'alice:,bob:reviewing the parser');
  await waitUntil(async () => online(await b.users(bob)).join() === 'alice:,bob:reviewing the parser');
  const who = await a.send(alice, '/who');
  assert.match(who.stdout, /online — alice \(host\), bob: reviewing the parser/);

  const [brokerB] = b.dir.brokerPids();
  process.kill(brokerB!, 'SIGKILL');
  await waitUntil(async () => online(await a.users(alice)).join() === 'alice:', 5000, 'bob to leave a within the TTL');
  await stopProcess(brokerB!);
});

test('a user of one-shot commands on one machine is listed on the other at once, not at the next refresh', async (t) => {
  const server = await NatsServer.start(t);
  // A long TTL: the periodic refresh (every third of it) does not come within the test.
  const env = { ROOM_NATS_PRESENCE_TTL_MS: '600000' };
  const a = new Machine(t, server, env);
  const b = new Machine(t, server, env);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  assert.equal((await b.send(bob, 'hello from b')).code, 0);
  const recent = async () => (await a.users(alice)).recent.map((u) => u.user);
  await waitUntil(async () => (await recent()).includes('bob'), 5000, 'bob in the recent users of machine a');
  const who = await a.send(alice, '/who');
  assert.match(who.stdout, /recently active — .*bob/);
});

test('with NATS down, changes are refused (exit 3, nats_unreachable) and nothing changes; reads still answer', async (t) => {
  const { server, a, b } = await twoMachines(t);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  assert.equal((await a.send(alice, '/claim', 'src/a.ts')).code, 0);
  const state = a.file('state');
  const claims = a.file('claims');
  await server.stop();

  for (const [what, result] of [
    ['join', await a.run(['join', ROOM, 'dave'])],
    ['kick', await a.send(alice, '/kick', 'bob')],
    ['claim', await b.send(bob, '/claim', 'docs')],
    ['release', await a.send(alice, '/release')],
    ['clear-tokens', await a.send(alice, '/clear-tokens')],
  ] as const) {
    assert.equal(result.code, 3, `${what}: ${result.stderr}`);
    assert.match(result.stderr, /NATS server of this shared room cannot be reached/, what);
  }
  assert.equal(a.file('state'), state, 'users unchanged');
  assert.equal(a.file('claims'), claims, 'claims unchanged');
  // Reads are the broker's own copy: tokens still authenticate, /who, /claims and GET /users answer.
  assert.match((await a.send(alice, '/claims')).stdout, /src\/a\.ts — alice/);
  assert.equal((await b.send(bob, '/who')).code, 0);
  assert.equal((await b.users(bob)).host, 'alice');
  assert.equal((await b.run(['poll', ROOM], bob)).code, 0);

  await server.restart();
  await waitUntil(async () => (await a.run(['join', ROOM, 'dave'])).code === 0, 15_000, 'a join once NATS is back');
  // b reconnects on its own schedule; then its copy has dave too.
  await waitUntil(async () => (await b.run(['join', ROOM, 'dave'])).code === 5, 15_000, 'b to know dave');
});

test('a bad ROOM_NATS_PRESENCE_TTL_MS stops the broker before it touches a file (exit 2)', async (t) => {
  const dir = RoomDir.create(t);
  for (const value of ['abc', '0', '-5', '1.5']) {
    const result = await dir.run(['join', ROOM, 'alice'], { env: { ROOM_NATS_PRESENCE_TTL_MS: value } });
    assert.equal(result.code, 2, `${value}: ${result.stderr}`);
    assert.match(
      result.stderr,
      new RegExp(`ROOM_NATS_PRESENCE_TTL_MS must be a positive whole number of milliseconds, not ${value}`),
    );
    assert.throws(() => readFileSync(dir.file(`room-${ROOM}.state`)), { code: 'ENOENT' }, 'no state file');
  }
});
