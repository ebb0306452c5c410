// Group commit (server/room.ts): what arrives in one event-loop turn is
// appended with one write (one fsync under ROOM_FSYNC=always), written to
// each subscriber once, then answered. Checked through the real broker:
// requests pipelined on one connection arrive in one turn.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { eventIdFor } from '../shared/keyed-event-id.ts';
import { RoomDir, SseReader, http, pipelinedPosts, pipelinedRequests, rawRequest } from './helpers.ts';

test('sends that arrive together: one fsync for the batch, in order; the echo, the stream and the history line are the same bytes', async (t) => {
  const dir = RoomDir.create(t);
  const env = { ROOM_FSYNC: 'always', ROOM_DEBUG_FSYNC: '1' };
  const joined = await dir.run(['join', 'r', 'alice'], { env });
  assert.equal(joined.code, 0, joined.stderr);
  const token = (JSON.parse(joined.stdout) as { token: string }).token;
  const socket = dir.socket('r');
  const stream = new SseReader(socket, '/events', token);
  t.after(() => stream.close());
  const first = await http(socket, 'POST', '/messages', { token, body: 'before the burst' });
  assert.equal(first.status, 201, first.body);
  await stream.waitFor((r) => r.events().some((e) => e.content === 'before the burst'));

  const contents = Array.from({ length: 20 }, (_, i) => `burst ${i} ünïcödé ${'x'.repeat(i * 10)}`);
  const answers = await pipelinedPosts(socket, token, contents);
  assert.deepEqual(
    answers.map((a) => a.status),
    contents.map(() => 201),
  );
  const echoed = answers.map((a) => JSON.parse(a.body) as { seq: number; content: string });
  assert.deepEqual(
    echoed.map((e) => e.content),
    contents,
    'stored in the order they arrived',
  );
  const firstSeq = (first.json() as { seq: number }).seq;
  assert.deepEqual(
    echoed.map((e) => e.seq),
    contents.map((_, i) => firstSeq + 1 + i),
  );

  const history = readFileSync(dir.file('r.chat'), 'utf8').split('\n').slice(-21, -1);
  assert.deepEqual(
    answers.map((a) => a.body),
    history.map((line) => `${line}\n`),
    'each echo is its history line',
  );
  await stream.waitFor((r) => r.events().filter((e) => e.type === 'message').length >= 21);
  const frames = stream.messages.filter((m) => m.event === undefined).slice(-20);
  assert.deepEqual(
    frames.map((m) => m.data),
    history,
    'the stream carries the history lines',
  );

  const log = readFileSync(dir.file('room-r.log'), 'utf8');
  const syncs = [...log.matchAll(/fsync through seq (\d+)\n/g)].map((m) => Number(m[1]));
  const lastSeq = firstSeq + 20;
  assert.ok(syncs.includes(lastSeq), 'the burst was fsynced before it was answered');
  const burstSyncs = syncs.filter((seq) => seq > firstSeq && seq <= lastSeq);
  assert.ok(burstSyncs.length < 20, `fewer fsyncs than events: ${burstSyncs.length} for 20`);
});

test('a read pipelined right behind a send on one connection sees that send (a page, and the event by its id)', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const socket = dir.socket('r');
  const [sent, page, latest] = await pipelinedRequests(socket, [
    rawRequest('POST', '/messages', token, 'read me back'),
    rawRequest('GET', '/messages?limit=1', token),
    rawRequest('GET', '/messages?type=message&limit=5', token),
  ]);
  assert.equal(sent!.status, 201, sent!.body);
  const event = JSON.parse(sent!.body) as { id: string; content: string; seq: number };
  assert.deepEqual(
    (JSON.parse(page!.body) as Array<{ id: string }>).map((e) => e.id),
    [event.id],
    'the page read in the same turn has the send',
  );
  assert.deepEqual(
    (JSON.parse(latest!.body) as Array<{ content: string }>).map((e) => e.content),
    ['read me back'],
  );
  // A keyed send's id is known before it is sent (shared/keyed-event-id.ts).
  const [again, one] = await pipelinedRequests(socket, [
    rawRequest('POST', '/messages', token, 'and me', { 'idempotency-key': 'pipelined' }),
    rawRequest('GET', `/messages/${eventIdFor('alice', 'pipelined')}`, token),
  ]);
  assert.equal(again!.status, 201);
  assert.equal((JSON.parse(one!.body) as { content: string }).content, 'and me', 'GET /messages/{id} too');
});
