// The shared state's key-value modules (server/nats/) on a real
// `nats-server -js`, in process: two Brokers, each with its own state files
// and its own NATS connection, stand in for two machines, attached with
// shareRoomState as the broker process attaches them. Races here are many
// writers at once, so the compare-and-set retries run; the presence TTL is
// short and waited on through the SharedPresence `change` event. A three-node
// cluster with replicas 3 keeps the state writable with one node killed.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { RoomError } from '../shared/errors.ts';
import { emptyState, type RoomState } from '../shared/room-state.ts';
import { Broker } from '../server/broker.ts';
import { MemoryLog } from '../server/log/memory-log.ts';
import { Registry } from '../server/registry.ts';
import { type SharedState, shareRoomState } from '../server/nats/shared-state.ts';
import { waitUntil } from './helpers.ts';
import { NatsServer } from './nats-server.ts';

const ROOM = 'kv.room';
const TTL_MS = 400;

interface Machine {
  readonly broker: Broker;
  readonly shared: SharedState;
  readonly stateFile: string;
  /** The system notices this broker stored (claims ending, kicks). */
  notices(): string[];
  /** The machine dies: its NATS connection drops, nothing is cleaned up. */
  die(): Promise<void>;
}

interface MachineOptions {
  readonly state?: RoomState;
  readonly claimTtlMs?: number;
  readonly startWaitMs?: number;
  readonly nc?: NatsConnection;
  readonly replicas?: number;
}

async function machine(
  t: TestContext,
  server: NatsServer | readonly NatsServer[],
  name: string,
  options: MachineOptions = {},
): Promise<Machine> {
  const servers = Array.isArray(server) ? server.map((s: NatsServer) => s.url) : (server as NatsServer).url;
  const dir = mkdtempSync(join(tmpdir(), `room-kv-${name}-`));
  const stateFile = join(dir, 'state');
  const log = new MemoryLog();
  const broker = new Broker({
    id: ROOM,
    log,
    registry: new Registry(options.state ?? emptyState(ROOM, join(dir, 'chat')), (state) =>
      writeFileSync(stateFile, JSON.stringify(state)),
    ),
    heartbeatMs: 60_000,
    maxBuffer: 1 << 20,
    stallMs: 30_000,
    polledAt: () => new Map(),
    requestExit: () => {},
    claims: { file: join(dir, 'claims'), graceMs: options.claimTtlMs ?? 60_000, ttlMs: options.claimTtlMs ?? 60_000 },
  });
  const nc = options.nc ?? (await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100 }));
  const shared = await shareRoomState(nc, ROOM, broker, {
    presenceTtlMs: TTL_MS,
    brokerId: name,
    startWaitMs: options.startWaitMs,
    replicas: options.replicas,
  });
  let dead = false;
  t.after(async () => {
    if (!dead) await shared.close();
    broker.hub.stop();
    broker.claims.stop();
    if (!nc.isClosed()) await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    broker,
    shared,
    stateFile,
    notices: () =>
      log
        .readLines(0, Number.POSITIVE_INFINITY)
        .map((line) => JSON.parse(line) as { type: string; content?: string })
        .filter((event) => event.type === 'system')
        .map((event) => event.content ?? ''),
    async die() {
      dead = true;
      await nc.close();
      await shared.close(); // timers only: with the connection gone its key stays in NATS until the TTL drops it
    },
  };
}

/** Settles every promise; the fulfilled values and the rejections. */
async function settle<T>(promises: ReadonlyArray<Promise<T>>): Promise<{ ok: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])),
  };
}

const codeOf = (error: unknown) => (error instanceof RoomError ? error.code : String(error));

test('twenty joins of one name on two machines at once: one token, and both registries hold it', async (t) => {
  const server = await NatsServer.start(t);
  const [a, b] = [await machine(t, server, 'a'), await machine(t, server, 'b')];
  const joins = Array.from({ length: 20 }, (_, i) =>
    Promise.resolve((i % 2 === 0 ? a : b).broker.join(i % 3 === 0 ? 'Alice' : 'alice')),
  );
  const { ok, errors } = await settle(joins);
  assert.equal(ok.length, 1, `one winner; errors: ${errors.map(codeOf).join(', ')}`);
  assert.deepEqual(new Set(errors.map(codeOf)), new Set(['name_taken']));
  const { token, username } = ok[0]!;
  await waitUntil(() => a.broker.registry.userFor(token) !== null && b.broker.registry.userFor(token) !== null);
  assert.equal(a.broker.registry.userFor(token), username);
  assert.equal(b.broker.registry.userFor(token), username);
  assert.equal(a.broker.host, username);
  assert.equal(b.broker.host, username);
  const mirror = JSON.parse(readFileSync(b.stateFile, 'utf8')) as RoomState;
  assert.equal(mirror.users[username]?.token, token, "b's state file mirrors the token issued on a or b");
});

test('a room that was local until now seeds NATS with its users and host; the other machine adopts them', async (t) => {
  const server = await NatsServer.start(t);
  const local = emptyState(ROOM, '/nonexistent/chat');
  local.host = 'Host';
  local.users.Host = { token: 'host-token', kicked: false, joined: '2026-01-01T00:00:00.000Z' };
  local.users.eve = { token: null, kicked: true, joined: '2026-01-01T00:00:00.000Z' };
  const a = await machine(t, server, 'a', { state: local });
  const b = await machine(t, server, 'b');
  assert.equal(b.broker.host, 'Host', 'the host, loaded before shareRoomState resolved');
  assert.equal(b.broker.registry.userFor('host-token'), 'Host');
  assert.equal(b.broker.registry.isKicked('eve'), true);
  const joined = await b.broker.join('bob');
  assert.equal(a.broker.host, 'Host', 'a later join does not take the host');
  await waitUntil(() => a.broker.registry.userFor(joined.token) === 'bob');
});

test('a kick and /clear-tokens made on one machine revoke the tokens on the other', async (t) => {
  const server = await NatsServer.start(t);
  const [a, b] = [await machine(t, server, 'a'), await machine(t, server, 'b')];
  const alice = await a.broker.join('alice');
  const bob = await b.broker.join('bob');
  const carol = await b.broker.join('carol');
  await waitUntil(() => a.broker.registry.userFor(carol.token) === 'carol');
  await a.broker.send('alice', { type: 'command', cmd: 'kick', params: ['bob'] });
  await waitUntil(() => b.broker.registry.userFor(bob.token) === null, 5000, 'the kick to reach b');
  assert.equal(b.broker.registry.isKicked('bob'), true);
  await assert.rejects(Promise.resolve(b.broker.join('bob')), { code: 'user_kicked' });
  await a.broker.send('alice', { type: 'command', cmd: 'clear-tokens', params: [] });
  await waitUntil(() => b.broker.registry.userFor(carol.token) === null, 5000, '/clear-tokens to reach b');
  assert.equal(b.broker.registry.userFor(alice.token), null);
  assert.equal(b.broker.host, 'alice', 'the host stays host by name');
  assert.deepEqual(a.notices().filter((n) => /kicked|cleared/.test(n)).length, 2, 'a announced both');
  assert.deepEqual(
    b.notices().filter((n) => /kicked|cleared/.test(n)),
    [],
    'b announced neither (the machine that made the change does)',
  );
});

test('claims: many claims of one path from two machines at once have one winner; a lease that runs out is announced once', async (t) => {
  const server = await NatsServer.start(t);
  const [a, b] = [
    await machine(t, server, 'a', { claimTtlMs: 300 }),
    await machine(t, server, 'b', { claimTtlMs: 300 }),
  ];
  for (const name of ['u0', 'u1', 'u2', 'u3', 'u4', 'u5']) await (name < 'u3' ? a : b).broker.join(name);
  await waitUntil(() => a.broker.registry.has('u5') && b.broker.registry.has('u0'));
  const host = a.broker.host;
  const claims = ['u1', 'u2', 'u3', 'u4', 'u5'].map((user, i) =>
    Promise.resolve((i % 2 === 0 ? a : b).broker.send(user, { type: 'command', cmd: 'claim', params: ['src/x.ts'] })),
  );
  const { ok, errors } = await settle(claims);
  assert.equal(ok.length, 1, `one winner among non-hosts (host: ${host}); errors: ${errors.map(codeOf).join(', ')}`);
  assert.deepEqual(new Set(errors.map(codeOf)), new Set(['claim_conflict']));
  await waitUntil(() => a.broker.claims.list().length === 1 && b.broker.claims.list().length === 1);
  assert.deepEqual(a.broker.claims.list(), b.broker.claims.list());

  // Nobody is present or active: both brokers sweep the lease; one write ends it, one notice says so.
  await waitUntil(() => a.broker.claims.list().length === 0 && b.broker.claims.list().length === 0, 5000);
  // Ending them again, on either machine, finds nothing and announces nothing.
  const winner = (ok[0] as { event: { user: string } }).event.user;
  await Promise.all([a, b].map((m) => m.broker.claims.endAllOf(winner, 'again')));
  const ended = [...a.notices(), ...b.notices()].filter((n) => n.includes("'s claims ended"));
  assert.equal(ended.length, 1, ended.join('\n'));
});

test('presence: each machine lists the other one’s users and statuses; a dead machine leaves within the TTL', async (t) => {
  const server = await NatsServer.start(t);
  const [a, b] = [await machine(t, server, 'a'), await machine(t, server, 'b')];
  a.broker.presence.connect('alice');
  b.broker.presence.connect('bob');
  b.broker.presence.listen('carol');
  b.broker.presence.setStatus('bob', 'reviewing');
  const onA = () => a.broker.users('alice');
  while (onA().online.length < 2 || onA().listening?.length !== 1) await once(a.shared.presence, 'change');
  assert.deepEqual(
    onA().online.map((u) => [u.user, u.status, u.sessions]),
    [
      ['alice', '', 1],
      ['bob', 'reviewing', 1],
    ],
  );
  assert.deepEqual(
    onA().listening?.map((u) => u.user),
    ['carol'],
  );
  assert.equal(a.broker.presence.isOnline('bob'), true, 'a holds bob present (his claims keep their lease)');

  // The status a user clears on one machine is cleared on the other.
  b.broker.presence.setStatus('bob', '');
  while (onA().online.find((u) => u.user === 'bob')?.status !== '') await once(a.shared.presence, 'change');

  const died = Date.now();
  await b.die();
  while (onA().online.some((u) => u.user === 'bob')) await once(a.shared.presence, 'change');
  assert.deepEqual(
    onA().online.map((u) => u.user),
    ['alice'],
  );
  assert.equal(onA().listening?.length, 0);
  // Figures are not asserted on time; this only bounds a dead machine's stay far above the TTL (400 ms).
  assert.ok(Date.now() - died < 10 * TTL_MS, `gone after ${Date.now() - died} ms`);
});

test('with NATS down, changes are refused with nats_unreachable and change nothing; reads answer from the copy', async (t) => {
  const server = await NatsServer.start(t);
  const [a, b] = [await machine(t, server, 'a'), await machine(t, server, 'b')];
  const alice = await a.broker.join('alice');
  await b.broker.join('bob');
  await waitUntil(() => a.broker.registry.has('bob'));
  const state = readFileSync(a.stateFile, 'utf8');
  await server.stop();
  const refused = await settle<unknown>([
    Promise.resolve(a.broker.join('dave')),
    Promise.resolve(a.broker.send('alice', { type: 'command', cmd: 'kick', params: ['bob'] })),
    Promise.resolve(a.broker.send('alice', { type: 'command', cmd: 'claim', params: ['src/'] })),
    Promise.resolve(a.broker.send('alice', { type: 'command', cmd: 'clear-tokens', params: [] })),
  ]);
  assert.equal(refused.ok.length, 0);
  assert.deepEqual(refused.errors.map(codeOf), [
    'nats_unreachable',
    'nats_unreachable',
    'nats_unreachable',
    'nats_unreachable',
  ]);
  assert.match((refused.errors[0] as Error).message, /NATS server of this shared room cannot be reached/);
  assert.equal(readFileSync(a.stateFile, 'utf8'), state, 'nothing changed');
  assert.equal(a.broker.authenticate(alice.token), 'alice', 'tokens still authenticate');
  assert.equal(a.broker.registry.has('bob'), true);
  assert.deepEqual(a.broker.claims.list(), []);
  assert.equal(b.broker.host, 'alice');
});

test('a broker that starts while NATS is away serves reads from its files, refuses changes, and attaches once NATS is back', async (t) => {
  const server = await NatsServer.start(t);
  const a = await machine(t, server, 'a');
  const alice = await a.broker.join('alice');
  // b's connection was made before NATS went away (a client cannot connect to a server that is down).
  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const disconnected = (async () => {
    for await (const status of nc.status()) if (status.type === 'disconnect') return;
  })();
  await server.stop();
  await disconnected;
  const before = emptyState(ROOM, '/nonexistent/chat');
  before.host = 'alice';
  before.users.alice = { token: alice.token, kicked: false, joined: '2026-01-01T00:00:00.000Z' };
  const b = await machine(t, server, 'b', { state: before, startWaitMs: 0, nc });
  assert.equal(b.broker.authenticate(alice.token), 'alice', 'its state file answers');
  await assert.rejects(Promise.resolve(b.broker.join('bob')), { code: 'nats_unreachable' });
  await assert.rejects(Promise.resolve(b.broker.send('alice', { type: 'command', cmd: 'claim', params: ['src/'] })), {
    code: 'nats_unreachable',
  });
  await server.restart();
  await b.shared.ready;
  const bob = await b.broker.join('bob');
  await waitUntil(() => a.broker.registry.userFor(bob.token) === 'bob', 15_000, 'a to hear of bob');
});

test('on a three-node cluster with replicas 3, the state stays writable and shared with one node killed', async (t) => {
  const nodes = await NatsServer.cluster(t, 3);
  const [a, b] = [
    await machine(t, [nodes[0]!, nodes[1]!, nodes[2]!], 'a', { replicas: 3 }),
    await machine(t, [nodes[1]!, nodes[2]!, nodes[0]!], 'b', { replicas: 3 }),
  ];
  const alice = await a.broker.join('alice');
  await a.broker.send('alice', { type: 'command', cmd: 'claim', params: ['src/'] });
  await nodes[2]!.stop();
  // A broker connected to the killed node refuses changes until its client has moved to another node.
  let bob: { token: string } | undefined;
  await waitUntil(
    async () => {
      try {
        bob = await b.broker.join('bob');
        return true;
      } catch (error) {
        if (codeOf(error) !== 'nats_unreachable') throw error;
        return false;
      }
    },
    15_000,
    'a join after the node died',
  );
  if (bob === undefined) throw new Error('unreachable');
  await assert.rejects(Promise.resolve(b.broker.send('bob', { type: 'command', cmd: 'claim', params: ['src/a.ts'] })), {
    code: 'claim_conflict',
  });
  await b.broker.send('alice', { type: 'command', cmd: 'kick', params: ['bob'] });
  const kicked = bob.token;
  await waitUntil(() => a.broker.registry.userFor(kicked) === null && b.broker.registry.userFor(kicked) === null);
  assert.equal(b.broker.authenticate(alice.token), 'alice');
});
