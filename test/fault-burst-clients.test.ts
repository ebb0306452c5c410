// kill -9 of the broker in the middle of a burst of sends, with a follower
// attached: every acknowledged message is in the history once, and the
// follower prints each one exactly once, across the crash and the restart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { http, isAlive, ndjson, RoomDir, waitUntil } from './helpers.ts';

test('kill -9 mid-burst with a follower attached: every acknowledged send is stored and followed once', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('b', 'alice');
  const bob = await dir.join('b', 'bob');
  const socket = dir.socket('b');
  const follower = dir.spawn(['follow', 'b', '--json'], { env: { ROOM_TOKEN: bob } });
  let out = '';
  follower.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await waitUntil(
    async () => {
      const users = await http(socket, 'GET', '/users', { token: bob }).catch(() => null);
      return users?.status === 200 && users.json().listening?.some((u: { user: string }) => u.user === 'bob');
    },
    10_000,
    'the follower listening',
  );

  const TOTAL = 120;
  const acked = new Map<string, string>(); // content → id
  /** One keyed send; undefined when the broker was not there to answer. */
  const send = async (i: number): Promise<void> => {
    const answer = await http(socket, 'POST', '/messages', {
      token: alice,
      body: `burst ${i}`,
      headers: { 'idempotency-key': `burst-${i}` },
    }).catch(() => null);
    if (answer?.status === 201) acked.set(`burst ${i}`, answer.json().id);
  };
  const [first] = dir.brokerPids();
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      if (i === TOTAL / 2) process.kill(first!, 'SIGKILL');
      await send(i);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  t.diagnostic(`${acked.size} of ${TOTAL} acknowledged before the restart`);
  assert.ok(acked.size < TOTAL, 'the kill cut some sends');
  await waitUntil(() => !isAlive(first!), 5000, 'the killed broker gone');
  await dir.join('b', 'carol'); // a new broker
  // The sends the crash cut are retried with their keys: none is written twice.
  for (let i = 0; i < TOTAL; i++) if (!acked.has(`burst ${i}`)) await send(i);
  for (let i = 0; i < TOTAL / 2 - 10; i++) await send(i); // and a retry of something acknowledged changes nothing
  assert.equal(acked.size, TOTAL);

  const history = ndjson<{ id: string; type: string; content?: string; seq: number }>(
    readFileSync(dir.file('b.chat'), 'utf8'),
  );
  const messages = history.filter((e) => e.type === 'message');
  assert.equal(messages.length, TOTAL, 'each send once in the history');
  for (const [content, id] of acked)
    assert.ok(
      messages.some((e) => e.id === id && e.content === content),
      content,
    );
  const seqs = history.map((e) => e.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
    'seqs increase',
  );
  assert.equal(new Set(seqs).size, seqs.length, 'seqs are unique');

  await waitUntil(
    () => ndjson<{ type: string }>(out).filter((e) => e.type === 'message').length >= TOTAL,
    20_000,
    `the follower printing ${TOTAL} messages`,
  );
  const followed = ndjson<{ type: string; id: string }>(out).filter((e) => e.type === 'message');
  assert.equal(followed.length, TOTAL, 'nothing followed twice');
  assert.deepEqual(new Set(followed.map((e) => e.id)), new Set(acked.values()));
});
