// Shared rooms under attack (issue 16): cases found by trying to break the
// promises of server/nats/, each a test that failed before its fix.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { streamName } from '../server/nats/event-stream.ts';
import { http, stopProcess, waitUntil } from './helpers.ts';
import { Machine, seqsOf, type Line } from './nats-machines.ts';
import { NatsServer } from './nats-server.ts';

test('a history whose stream was made again, and has grown past it, is refused at start, not mixed', async (t) => {
  // The stream a machine's history came from is deleted (or NATS lost its storage), another
  // machine makes the room again and writes more than this machine ever had: the new stream
  // ends past this history, so "ahead of the stream" cannot see it. Its event at this
  // history's last seq is another event.
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'again', nats.url);
  const b = new Machine(t, 'again', nats.url);
  const alice = await a.join('alice');
  assert.equal((await a.send(alice, 'kept here')).code, 0);
  await stopProcess(a.brokerPid());
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.delete(streamName('again'));
  await nc.close();
  const bob = await b.join('bob');
  for (const text of ['new 1', 'new 2', 'new 3']) assert.equal((await b.send(bob, text)).code, 0);

  const restarted = await a.dir.run(['join', 'again', 'carol']);
  assert.equal(restarted.code, 3, restarted.stderr); // the broker failed to start: it says why
  assert.match(
    restarted.stderr,
    /ends with event \S+ at seq 1, but the stream ROOM_again .* holds another event at seq 1/,
  );
  assert.deepEqual(
    a.history().map((l) => (JSON.parse(l) as Line).content),
    ['kept here'],
    'the history is left as it was',
  );
});

test('a NATS server without JetStream: the start fails (exit 3, it says so) and no room is created', async (t) => {
  const plain = await NatsServer.start(t, { jetstream: false });
  const m = new Machine(t, 'plain', plain.url);
  const result = await m.dir.run(['join', 'plain', 'alice', '--nats', plain.url]);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /has no JetStream/);
  assert.ok(!existsSync(m.dir.file('room-plain.state')), 'no room was created');
  assert.ok(!existsSync(m.dir.file('plain.chat')), 'no history was created');
});

test('a 64-character room id of dots, underscores and dashes, created by two machines at the same moment', async (t) => {
  const room = `a${'._-'.repeat(21)}`;
  assert.equal(room.length, 64);
  const nats = await NatsServer.start(t);
  const a = new Machine(t, room, nats.url);
  const b = new Machine(t, room, nats.url);
  const [alice, bob] = await Promise.all([a.join('alice'), b.join('bob')]);
  const [sentA, sentB] = await Promise.all([a.send(alice, 'from a'), b.send(bob, 'from b')]);
  assert.equal(sentA.code, 0, sentA.stderr);
  assert.equal(sentB.code, 0, sentB.stderr);
  for (const m of [a, b]) await waitUntil(() => m.history().length >= 2, 10_000, 'both messages in each history');
  assert.deepEqual(a.history(), b.history());
  assert.deepEqual(seqsOf(a.history()), [1, 2]);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  assert.equal((await jsm.streams.info(streamName(room))).state.messages, 2);
  // One host for both, whichever machine's join won; each state file (the shared state's mirror) names it.
  const hostOf = (m: Machine) =>
    (JSON.parse(readFileSync(m.dir.file(`room-${room}.state`), 'utf8')) as { host: string | null }).host;
  for (const m of [a, b]) await waitUntil(() => hostOf(m) !== null, 10_000, 'a host in each state file');
  assert.equal(hostOf(a), hostOf(b));
  assert.ok(['alice', 'bob'].includes(hostOf(a)!));
});

/** Both mirrors hold the same lines, every one the stream holds, with seqs 1, 2, 3… (waiting for `count` lines). */
async function assertMirrorsAgree(machines: readonly Machine[], count: number): Promise<void> {
  for (const m of machines)
    await waitUntil(() => m.history().length >= count, 15_000, `${m.dir.path} to hold ${count} lines`);
  const first = machines[0]!.history();
  for (const m of machines.slice(1)) assert.deepEqual(m.history(), first, 'the mirrors are the same');
  assert.deepEqual(
    seqsOf(first),
    first.map((_, i) => i + 1),
    'no gap, no duplicate',
  );
}

test('a line appended by hand to a shared history (a seq ahead of the stream): the mirror is written again from the stream, sends go on', async (t) => {
  // Before: the broker took the hand-made seq as its mirror's end, skipped every event the
  // stream gave below it, and each send from this machine failed after 10 s (not mirrored).
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'byhand', nats.url);
  const b = new Machine(t, 'byhand', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  assert.equal((await a.send(alice, 'before')).code, 0);
  await waitUntil(() => b.history().length >= 1, 10_000, 'b to mirror it');
  const last = JSON.parse(a.history().at(-1)!) as Line;
  const forged = { ...last, id: '11111111-2222-3333-4444-555555555555', seq: last.seq + 100, content: 'by hand' };
  appendFileSync(a.dir.file('byhand.chat'), `${JSON.stringify(forged)}\n`);

  const fromB = await b.send(bob, 'after, from b');
  assert.equal(fromB.code, 0, fromB.stderr);
  const fromA = await a.send(alice, 'after, from a');
  assert.equal(fromA.code, 0, fromA.stderr);
  // before, the recovery notice, and the two sends: the same four lines on both, no hand-made line.
  await assertMirrorsAgree([a, b], 4);
  const contents = a.history().map((l) => (JSON.parse(l) as Line).content);
  assert.ok(!contents.includes('by hand'), contents.join(' | '));
  assert.ok(contents.includes('after, from b') && contents.includes('after, from a'), contents.join(' | '));
  assert.match(a.log(), /the history file changed outside the broker: writing it again from ROOM_byhand/);
});

test('a shared history deleted under its broker is written again from the stream: poll on both machines agrees', async (t) => {
  // Before: the new file started at the next event and kept the gap for good (poll on this machine
  // printed 2 events, the other machine's 5), though the stream still held them.
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'deleted', nats.url);
  const b = new Machine(t, 'deleted', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  for (const text of ['m1', 'm2', 'm3']) assert.equal((await a.send(alice, text)).code, 0);
  await waitUntil(() => b.history().length >= 3, 10_000, 'b to mirror them');
  rmSync(a.dir.file('deleted.chat'));
  assert.equal((await b.send(bob, 'after, from b')).code, 0);
  // m1-m3, the send, and a's notice that its file was deleted.
  await assertMirrorsAgree([a, b], 5);
  const pollA = await a.poll(alice);
  const pollB = await b.poll(bob);
  assert.equal(pollA.code, 0, pollA.stderr);
  assert.equal(pollA.stdout, pollB.stdout, 'alice and bob see the same events');
});

test('an Idempotency-Key retried on the other machine (at once, and after) answers the one stored event', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'retry', nats.url);
  const b = new Machine(t, 'retry', nats.url);
  const alice = await a.join('alice');
  await b.join('bob');
  const post = (m: Machine, key: string) =>
    http(m.socket, 'POST', '/messages', { token: alice, body: `keyed ${key}`, headers: { 'idempotency-key': key } });
  // The same keyed send on both machines at the same moment (the answer lost on one, retried on the other).
  const [onA, onB] = await Promise.all([post(a, 'k1'), post(b, 'k1')]);
  assert.equal(onA.status, 201, onA.body);
  assert.equal(onB.status, 201, onB.body);
  assert.equal(onA.body, onB.body, 'one event, the same line');
  // Retried on the other machine once both have it.
  await assertMirrorsAgree([a, b], 1);
  const later = await post(b, 'k1');
  assert.equal(later.status, 201, later.body);
  assert.equal(later.body, onA.body);
  const again = await post(a, 'k2');
  const againOnB = await post(b, 'k2');
  assert.equal(againOnB.body, again.body);
  await assertMirrorsAgree([a, b], 2);
  assert.deepEqual(
    a.history().map((l) => (JSON.parse(l) as Line).content),
    ['keyed k1', 'keyed k2'],
  );
});

test('a NATS server that hangs: the send is refused as unanswered (it may be stored), and a retry with its key stores it once', async (t) => {
  // Before: "did not store the event", though the server stored it once it resumed.
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'hung', nats.url);
  const alice = await a.join('alice');
  const post = () =>
    http(a.socket, 'POST', '/messages', {
      token: alice,
      body: 'while NATS hung',
      headers: { 'idempotency-key': 'h1' },
    });
  nats.pause();
  t.after(() => nats.resume());
  const refused = await post();
  assert.equal(refused.status, 503, refused.body);
  assert.equal((JSON.parse(refused.body) as { code: string }).code, 'nats_unreachable');
  assert.match(refused.body, /did not answer within 5 s: the event may be stored all the same/);
  nats.resume();
  // The server stores what it was sent before it hung; the retry (same key) answers that event.
  await waitUntil(() => a.history().some((l) => l.includes('while NATS hung')), 15_000, 'the event to be stored');
  const retried = await post();
  assert.equal(retried.status, 201, retried.body);
  assert.equal(a.history().filter((l) => l.includes('while NATS hung')).length, 1, 'stored once');
  assert.equal(
    retried.body.trimEnd(),
    a.history().find((l) => l.includes('while NATS hung')),
  );
});
