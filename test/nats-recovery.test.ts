// A shared room through faults (issue 16): a broker killed with SIGKILL and
// started again resumes from the stream with no gap or duplicate; NATS
// killed and restarted during a burst loses no acknowledged message (writes
// are refused meanwhile, reads go on from the mirror); a three-node cluster
// with one node killed keeps the room writable (replicas 3).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { http, isAlive, ndjson, stopProcess, waitUntil } from './helpers.ts';
import { Machine, seqsOf, type Line } from './nats-machines.ts';
import { NatsServer } from './nats-server.ts';

/**
 * Sends `text` with an Idempotency-Key, trying again (same key) until the
 * broker acknowledges it or `ms` pass: a send refused or lost in a fault is
 * retried, never doubled. The stored event, or null if never acknowledged.
 */
async function sendUntilStored(machine: Machine, token: string, text: string, ms: number): Promise<Line | null> {
  const key = randomUUID();
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await http(machine.socket, 'POST', '/messages', {
      token,
      body: text,
      headers: { 'idempotency-key': key },
    }).catch(() => null);
    if (answer?.status === 201) return answer.json() as Line;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Both mirrors are the same lines, with seqs rising by one from the first (nothing lost or repeated). */
async function assertSameHistories(machines: readonly Machine[], acknowledged: readonly Line[]): Promise<void> {
  const last = Math.max(...acknowledged.map((l) => l.seq));
  for (const machine of machines)
    await waitUntil(
      () => seqsOf(machine.history()).at(-1)! >= last,
      15_000,
      `${machine.dir.path} to reach seq ${last}`,
    );
  const first = machines[0]!.history();
  for (const machine of machines.slice(1)) assert.deepEqual(machine.history(), first, 'the mirrors are the same');
  const seqs = seqsOf(first);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => seqs[0]! + i),
    'no gap, no duplicate',
  );
  const ids = new Set(first.map((l) => (JSON.parse(l) as Line).id));
  for (const line of acknowledged)
    assert.ok(ids.has(line.id), `acknowledged ${line.content} (seq ${line.seq}) is kept`);
}

test('a broker killed with SIGKILL and started again catches up from the stream: no gap, no duplicate', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'kill', nats.url);
  const b = new Machine(t, 'kill', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  const acknowledged: Line[] = [];
  const burst = (async () => {
    for (let i = 0; i < 40; i++) {
      const line = await sendUntilStored(b, bob, `b${i}`, 10_000);
      assert.ok(line !== null, `b${i} was acknowledged`);
      acknowledged.push(line);
    }
  })();
  await waitUntil(() => acknowledged.length >= 10, 15_000, 'ten sends');
  const pid = a.brokerPid();
  process.kill(pid, 'SIGKILL');
  await waitUntil(() => !isAlive(pid), 5000, 'the broker to die');
  await waitUntil(() => acknowledged.length >= 20, 15_000, 'ten more sends while a is down');
  await a.join('carol'); // starts a's broker again
  await burst;
  const mine = await sendUntilStored(a, alice, 'a after the restart', 10_000);
  assert.ok(mine !== null);
  await assertSameHistories([a, b], [...acknowledged, mine]);
  assert.match(a.log(), /history mirrors the stream of room kill on .*, through seq \d+/);
});

test('NATS killed and restarted during a burst: writes refused meanwhile, reads served, nothing acknowledged lost', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'outage', nats.url);
  const b = new Machine(t, 'outage', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  const acknowledged: Line[] = [];
  let sending = true;
  const senders = [
    [a, alice],
    [b, bob],
  ].map(async ([machine, token], side) => {
    for (let i = 0; sending; i++) {
      const line = await sendUntilStored(machine as Machine, token as string, `${side}-${i}`, 0);
      if (line !== null) acknowledged.push(line);
    }
  });
  await waitUntil(() => acknowledged.length >= 20, 20_000, 'twenty sends');
  await nats.stop('SIGKILL');
  // While NATS is down: a one-shot send fails with exit 3 and nothing stored; poll reads the mirror.
  await waitUntil(
    async () => {
      const refused = await a.send(alice, 'during the outage');
      return refused.code === 3 && /NATS server of this room/.test(refused.stderr);
    },
    10_000,
    'a send refused with exit 3',
  );
  const polled = await a.poll(alice);
  assert.equal(polled.code, 0, polled.stderr);
  const before = acknowledged.length;
  await nats.restart();
  await waitUntil(() => acknowledged.length >= before + 20, 30_000, 'twenty sends after NATS came back');
  sending = false;
  await Promise.all(senders);
  await assertSameHistories([a, b], acknowledged);
  assert.ok(
    !a.history().some((l) => (JSON.parse(l) as Line).content === 'during the outage'),
    'the refused send was not stored',
  );
  assert.match(a.log(), /NATS connection lost/);
  assert.match(a.log(), /NATS connection back/);
});

test('a broker started while NATS is down serves reads, refuses writes, and joins in once NATS is back', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'away', nats.url);
  const b = new Machine(t, 'away', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  const before = await sendUntilStored(b, bob, 'before the outage', 10_000);
  assert.ok(before !== null);
  await waitUntil(() => a.history().length >= 1, 10_000, 'a to have it');
  await nats.stop('SIGKILL');
  await stopProcess(a.brokerPid());
  // A's broker starts again (poll starts a shared room's broker), while NATS is still down: it serves reads.
  const polled = await a.poll(alice);
  assert.equal(polled.code, 0, polled.stderr);
  assert.ok(ndjson<Line>(polled.stdout).some((e) => e.content === 'before the outage'));
  assert.match(a.log(), /serving reads from the history, refusing writes/);
  // It says the copy may be behind, and so does GET /health.
  assert.match(polled.stderr, /cannot reach its NATS server: reading this machine's copy, which may be behind/);
  const health = await http(a.socket, 'GET', '/health');
  assert.equal(health.json<{ nats: string }>().nats, 'unreachable');
  // Writes are refused: a message, and a join (the users are shared state, kept in NATS).
  const refused = await a.send(alice, 'while away');
  assert.equal(refused.code, 3, refused.stderr);
  const joined = await a.dir.run(['join', 'away', 'carol']);
  assert.equal(joined.code, 3, joined.stderr);
  assert.match(joined.stderr, /NATS server of this shared room cannot be reached/);
  await nats.restart();
  const after = await sendUntilStored(a, alice, 'after the outage', 20_000);
  assert.ok(after !== null, 'writable once NATS is back');
  assert.equal((await http(a.socket, 'GET', '/health')).json<{ nats: string }>().nats, 'connected');
  const caughtUp = await a.poll(alice);
  assert.equal(caughtUp.code, 0, caughtUp.stderr);
  assert.equal(caughtUp.stderr, '', 'nothing to say once NATS is back');
  await assertSameHistories([a, b], [before, after]);
});

test("room stop stops this machine's broker only, and stops it while NATS is down", async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'halt', nats.url);
  const b = new Machine(t, 'halt', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  // With NATS up: B's broker stops, A's goes on, and the notice in the room says which one stopped.
  const bBroker = b.brokerPid();
  const stopped = await b.dir.run(['stop', 'halt'], { env: { ROOM_TOKEN: bob } });
  assert.equal(stopped.code, 0, stopped.stderr);
  await waitUntil(() => !isAlive(bBroker), 10_000, "B's broker to exit");
  const [notice] = ndjson<Line>(stopped.stdout);
  assert.match(notice!.content!, /shutting down the broker on .*; the room goes on on the other machines/);
  await waitUntil(() => a.history().some((l) => l.includes(notice!.id)), 10_000, 'A to have the notice');
  assert.ok(isAlive(a.brokerPid()), "A's broker goes on");
  // Poll on B does not start it again (it was stopped on purpose), and says its copy may be behind.
  const stale = await b.poll(bob);
  assert.equal(stale.code, 0, stale.stderr);
  assert.match(stale.stderr, /was stopped \(room stop or \/exit\): reading this machine's copy, which may be behind/);
  assert.equal(b.dir.brokerPids().filter(isAlive).length, 0, "B's broker was not started again");
  // Nor does send, and it says that only this machine's broker stopped.
  const unsent = await b.send(bob, 'after the stop');
  assert.equal(unsent.code, 3, unsent.stderr);
  assert.match(
    unsent.stderr,
    /this machine's broker of room halt was stopped .*the room goes on on the other machines/,
  );
  assert.equal(b.dir.brokerPids().filter(isAlive).length, 0, 'send did not start it either');
  assert.ok((await sendUntilStored(a, alice, 'still here', 10_000)) !== null, 'A is still writable');
  // With NATS down: writes are refused, but room stop still stops the broker (its notice only to the caller).
  await nats.stop('SIGKILL');
  await waitUntil(async () => (await a.send(alice, 'refused')).code === 3, 10_000, 'a send refused with exit 3');
  const aBroker = a.brokerPid();
  const halted = await a.dir.run(['stop', 'halt']);
  assert.equal(halted.code, 0, halted.stderr);
  await waitUntil(() => !isAlive(aBroker), 10_000, "A's broker to exit");
  const [unstored] = ndjson<Line & { seq?: number }>(halted.stdout);
  assert.equal(unstored!.seq, undefined, 'the notice was not stored');
  assert.match(unstored!.content!, /not announced in the room: the NATS server of this room .* cannot be reached/);
});

test('a three-node cluster with one node killed keeps the room writable (replicas 3)', async (t) => {
  const nodes = await NatsServer.cluster(t, 3);
  const urls = nodes.map((node) => node.url).join(',');
  const a = new Machine(t, 'cluster', urls);
  const b = new Machine(t, 'cluster', urls);
  const env = { ROOM_NATS_REPLICAS: '3' };
  const alice = await a.join('alice', env);
  const bob = await b.join('bob', env);
  assert.match(a.log(), /created stream ROOM_cluster .*3 replicas/);
  const acknowledged: Line[] = [];
  for (let i = 0; i < 5; i++) {
    for (const [machine, token] of [
      [a, alice],
      [b, bob],
    ] as const) {
      const line = await sendUntilStored(machine, token, `before ${i}`, 10_000);
      assert.ok(line !== null);
      acknowledged.push(line);
    }
  }
  await nodes[0]!.stop('SIGKILL');
  for (let i = 0; i < 5; i++) {
    for (const [machine, token] of [
      [a, alice],
      [b, bob],
    ] as const) {
      const line = await sendUntilStored(machine, token, `after ${i}`, 20_000);
      assert.ok(line !== null, `after ${i} was acknowledged with a node down\n${a.log()}\n${b.log()}`);
      acknowledged.push(line);
    }
  }
  await assertSameHistories([a, b], acknowledged);
});

test('room send --retry rides out a NATS outage: sent once NATS is back, stored once', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'retry', nats.url);
  const b = new Machine(t, 'retry', nats.url);
  const alice = await a.join('alice');
  await b.join('bob');
  await nats.stop('SIGKILL');
  const sender = a.dir.spawn(['send', '--retry', 'retry', 'sent through the outage'], { env: { ROOM_TOKEN: alice } });
  let stdout = '';
  let stderr = '';
  sender.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  sender.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => sender.on('exit', resolve));
  // Its first try is refused (NATS is down): bring NATS back while it waits to try again.
  await waitUntil(() => stderr.includes('trying again'), 10_000, 'the first refused try');
  assert.match(stderr, /NATS server of this room/);
  await nats.restart();
  assert.equal(await exited, 0, stderr);
  const echo = JSON.parse(stdout) as Line;
  assert.equal(echo.content, 'sent through the outage');
  // On both machines, once.
  for (const machine of [a, b]) {
    await waitUntil(() => machine.history().some((line) => line.includes(echo.id)), 10_000, 'the event in the history');
    assert.equal(machine.history().filter((line) => line.includes('sent through the outage')).length, 1);
  }
});
