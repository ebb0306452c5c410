// A room shared between two machines through NATS JetStream (issue 16): two
// ROOM_DIRs, each with its own broker started through the real CLI, on one
// real nats-server. Events from either side reach everyone on both in one
// order with the same seqs; each side's history is the same file; DMs keep
// their rule; /clear clears both; bad settings change nothing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { streamName } from '../server/nats/event-stream.ts';
import { ndjson, pipelinedPosts, RoomDir, SseReader, stopProcess, waitUntil } from './helpers.ts';
import { Machine, seqsOf, type Line } from './nats-machines.ts';
import { freePort, NatsServer } from './nats-server.ts';

test('sends from both machines reach every subscriber on both in one order, with the same seqs and the same history', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'shared', nats.url);
  const b = new Machine(t, 'shared', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  const onA = new SseReader(a.socket, '/events', alice);
  const onB = new SseReader(b.socket, '/events', bob);
  t.after(() => {
    onA.close();
    onB.close();
  });

  // Both sides at once: a pipelined burst on each (one turn each), and one-shot sends.
  const fromA = Array.from({ length: 15 }, (_, i) => `a${i}`);
  const fromB = Array.from({ length: 15 }, (_, i) => `b${i}`);
  const [answersA, answersB, oneA, oneB] = await Promise.all([
    pipelinedPosts(a.socket, alice, fromA),
    pipelinedPosts(b.socket, bob, fromB),
    a.send(alice, 'one-shot from a'),
    b.send(bob, 'one-shot from b'),
  ]);
  assert.deepEqual(
    [...answersA, ...answersB].map((r) => r.status).filter((s) => s !== 201),
    [],
  );
  assert.equal(oneA.code, 0, oneA.stderr);
  assert.equal(oneB.code, 0, oneB.stderr);

  // Each echo is the stored line: same bytes on both machines' histories.
  const echoes = [...answersA, ...answersB].map((r) => r.body.trimEnd());
  const messages = (lines: readonly string[]) => lines.filter((l) => (JSON.parse(l) as Line).type === 'message');
  const total = 32;
  const read = (reader: SseReader) => reader.messages.filter((m) => m.event === undefined).map((m) => m.data);
  await onA.waitFor((r) => messages(read(r)).length >= total, 15_000);
  await onB.waitFor((r) => messages(read(r)).length >= total, 15_000);
  const historyA = a.history();
  const historyB = b.history();
  assert.deepEqual(historyA, historyB, 'both mirrors hold the same lines');
  const seqs = seqsOf(historyA);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
    'seqs 1, 2, 3… with no gap or duplicate',
  );
  for (const echo of echoes) assert.ok(historyA.includes(echo), `echo ${echo} is a history line`);
  // The order each side's burst was sent in is kept.
  const order = messages(historyA).map((l) => (JSON.parse(l) as Line).content);
  assert.deepEqual(
    order.filter((c) => c?.startsWith('a')),
    fromA,
  );
  assert.deepEqual(
    order.filter((c) => c?.startsWith('b')),
    fromB,
  );

  // Every subscriber saw the same events in the same order: each stream is the history (up to where it is).
  await onA.waitFor((r) => read(r).length >= historyA.length, 10_000);
  await onB.waitFor((r) => read(r).length >= historyA.length, 10_000);
  assert.deepEqual(read(onA).slice(0, historyA.length), historyA);
  assert.deepEqual(read(onB).slice(0, historyA.length), historyA);

  // Poll on each side prints the same events.
  const pollA = await a.poll(alice);
  const pollB = await b.poll(bob);
  assert.equal(pollA.code, 0, pollA.stderr);
  assert.equal(pollB.code, 0, pollB.stderr);
  assert.deepEqual(
    ndjson<Line>(pollA.stdout).filter((e) => e.type === 'message'),
    ndjson<Line>(pollB.stdout).filter((e) => e.type === 'message'),
  );
  assert.equal(ndjson(pollA.stdout).filter((e) => e.type === 'message').length, total);
  assert.match(readFileSync(a.dir.file('room-shared.state'), 'utf8'), /"nats": "nats:\/\/127\.0\.0\.1:\d+"/);
});

test('a DM is seen on both machines by its sender, its recipient and the host only', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'dms', nats.url);
  const b = new Machine(t, 'dms', nats.url);
  // The room's state is shared: a name joined on either machine holds, with one token, on both.
  const tokens = new Map<string, string>();
  tokens.set('alice', await a.join('alice')); // the host
  tokens.set('bob', await a.joinQuickly('bob'));
  tokens.set('carol', await b.join('carol'));
  tokens.set('dave', await b.joinQuickly('dave'));
  // Each machine's state file mirrors the shared users (poll reads it): wait until both have all four.
  for (const machine of [a, b]) {
    await waitUntil(
      () =>
        [...tokens.values()].every((token) => readFileSync(machine.dir.file('room-dms.state'), 'utf8').includes(token)),
      10_000,
      'both state files to hold every token',
    );
  }
  const tokensA = tokens;
  const tokensB = tokens;
  const daveOnB = new SseReader(b.socket, '/events', tokensB.get('dave')!);
  const carolOnB = new SseReader(b.socket, '/events', tokensB.get('carol')!);
  t.after(() => {
    daveOnB.close();
    carolOnB.close();
  });
  const dm = await a.send(tokensA.get('bob')!, '/dm carol the secret plan');
  assert.equal(dm.code, 0, dm.stderr);
  const marker = await a.send(tokensA.get('bob')!, 'a public marker');
  assert.equal(marker.code, 0, marker.stderr);
  const sawMarker = (r: SseReader) => r.events<Line>().some((e) => e.content === 'a public marker');
  await daveOnB.waitFor(sawMarker, 10_000);
  await carolOnB.waitFor(sawMarker, 10_000);
  assert.ok(carolOnB.events<Line>().some((e) => e.type === 'dm' && e.content === 'the secret plan'));
  assert.ok(!daveOnB.events<Line>().some((e) => e.type === 'dm'), 'dave is not told');
  for (const [machine, tokens] of [
    [a, tokensA],
    [b, tokensB],
  ] as const) {
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      const polled = await machine.poll(tokens.get(user)!);
      assert.equal(polled.code, 0, polled.stderr);
      const sees = ndjson<Line>(polled.stdout).some((e) => e.type === 'dm');
      assert.equal(
        sees,
        user !== 'dave',
        `${user} on ${machine === a ? 'a' : 'b'} ${sees ? 'sees' : 'does not see'} the DM`,
      );
    }
  }
});

test('/clear on one machine clears the history on both; seqs go on', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'clr', nats.url);
  const b = new Machine(t, 'clr', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  for (const text of ['one', 'two', 'three']) assert.equal((await b.send(bob, text)).code, 0);
  const onB = new SseReader(b.socket, '/events', bob);
  t.after(() => onB.close());
  await onB.waitFor((r) => r.events<Line>().some((e) => e.content === 'three'), 10_000);
  const cleared = await a.send(alice, '/clear');
  assert.equal(cleared.code, 0, cleared.stderr);
  const notice = JSON.parse(cleared.stdout) as Line;
  await onB.waitFor((r) => r.events<Line>().some((e) => e.id === notice.id), 10_000);
  assert.ok(
    onB.messages.some((m) => m.event === 'clear'),
    "b's open stream is told the history was cleared",
  );
  const after = await b.send(bob, 'after the clear');
  assert.equal(after.code, 0, after.stderr);
  const afterSeq = (JSON.parse(after.stdout) as Line).seq;
  assert.ok(afterSeq > notice.seq && notice.seq > 3, `seqs go on: ${notice.seq}, ${afterSeq}`);
  await onB.waitFor((r) => r.events<Line>().some((e) => e.content === 'after the clear'), 10_000);
  for (const machine of [a, b]) {
    const contents = machine.history().map((l) => (JSON.parse(l) as Line).content);
    assert.deepEqual(contents, ['alice cleared chat history', 'after the clear']);
  }
  assert.match(a.log(), /purged \d+ events below seq/);
});

test('bad NATS settings are refused before anything is created', async (t) => {
  const dir = RoomDir.create(t);
  for (const bad of ['http://example.com', 'nats://user:secret@127.0.0.1:4222', 'nats://', 'nats://host/path']) {
    const result = await dir.run(['join', 'r', 'alice', '--nats', bad]);
    assert.equal(result.code, 2, `${bad}: ${result.stderr}`);
    assert.ok(!result.stderr.includes('secret'), 'the password is not echoed');
  }
  const fromEnv = await dir.run(['join', 'r', 'alice'], { env: { ROOM_NATS_URL: 'ftp://x' } });
  assert.equal(fromEnv.code, 2, fromEnv.stderr);
  assert.ok(!existsSync(dir.file('room-r.state')), 'no room was created');

  // Nobody listens there: exit 3, nats_unreachable, and still no room.
  const port = await freePort();
  const unreachable = await dir.run(['join', 'r', 'alice', '--nats', `nats://127.0.0.1:${port}`]);
  assert.equal(unreachable.code, 3, unreachable.stderr);
  assert.match(unreachable.stderr, /NATS server of this room/);
  assert.ok(!existsSync(dir.file('room-r.state')), 'no room was created');

  // A room that exists here without NATS cannot be moved onto it; a shared one keeps its server.
  await dir.join('local', 'alice');
  const moved = await dir.run(['join', 'local', 'bob', '--nats', `nats://127.0.0.1:${port}`]);
  assert.equal(moved.code, 2, moved.stderr);
  assert.match(moved.stderr, /without NATS/);
  const nats = await NatsServer.start(t);
  const m = new Machine(t, 'kept', nats.url);
  await m.join('alice');
  const other = await m.dir.run(['join', 'kept', 'bob', '--nats', `nats://127.0.0.1:${port}`]);
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /is shared through/);
});

test('a first start on a NATS server without JetStream fails (exit 3) and leaves no file behind', async (t) => {
  const nats = await NatsServer.start(t, { jetstream: false });
  const dir = RoomDir.create(t);
  const result = await dir.run(['join', 'r', 'alice', '--nats', nats.url]);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /has no JetStream: .*\(run nats-server -js\)/);
  assert.deepEqual(readdirSync(dir.path), [], 'no history, index or other file of the room is left');
});

test('a history ahead of its stream (the stream was deleted) is refused at start, not mixed', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'gone', nats.url);
  const alice = await a.join('alice');
  assert.equal((await a.send(alice, 'kept here')).code, 0);
  await stopProcess(a.brokerPid());
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.delete(streamName('gone'));
  await nc.close();
  const restarted = await a.dir.run(['join', 'gone', 'bob']);
  assert.equal(restarted.code, 3, restarted.stderr); // the broker failed to start: it says why
  assert.match(restarted.stderr, /reaches seq 1, but the stream ROOM_gone .* ends at 0/);
  assert.deepEqual(
    a.history().map((l) => (JSON.parse(l) as Line).content),
    ['kept here'],
    'the history is left as it was',
  );
});

test('poll on a machine whose broker is stopped starts it, and prints what others sent meanwhile', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'mirror', nats.url);
  const b = new Machine(t, 'mirror', nats.url);
  const alice = await a.join('alice');
  const bob = await b.join('bob');
  assert.doesNotMatch(a.log(), /idle for/);
  await stopProcess(a.brokerPid());
  assert.equal((await b.send(bob, 'sent while a was stopped')).code, 0);
  const polled = await a.poll(alice);
  assert.equal(polled.code, 0, polled.stderr);
  assert.ok(
    ndjson<Line>(polled.stdout).some((e) => e.content === 'sent while a was stopped'),
    polled.stdout,
  );
});
