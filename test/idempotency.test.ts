// Idempotency-Key on POST /messages: a retry returns the original answer and
// writes nothing, across a lost answer and across a broker killed with -9
// between the write and the answer; a reused key with another body is a 422.
// The clients use it: room send --retry, and the live clients' post.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { test } from 'node:test';
import { BrokerClient } from '../client/live/broker-client.ts';
import { IdempotencyCache } from '../server/idempotency.ts';
import { eventIdFor } from '../shared/keyed-event-id.ts';
import { RoomDir, http, waitUntil } from './helpers.ts';

async function setup(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const socket = dir.socket('r');
  const lines = () =>
    readFileSync(dir.file('r.chat'), 'utf8')
      .split('\n')
      .filter((line) => line !== '');
  return { dir, alice, socket, lines };
}

/** Sends a keyed POST and hangs up without reading the answer, once the event is in the history. */
async function postAndDropAnswer(socket: string, token: string, key: string, content: string, stored: () => boolean) {
  const body = JSON.stringify({ type: 'message', content });
  const conn = connect({ path: socket });
  conn.on('error', () => {});
  conn.write(
    `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${token}\r\nIdempotency-Key: ${key}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  await waitUntil(stored, 5000, 'the event in the history');
  conn.destroy();
}

test('a retry with the same key answers the original record, byte for byte, and writes nothing', async (t) => {
  const { socket, alice, lines } = await setup(t);
  const key = 'k-1';
  await postAndDropAnswer(socket, alice, key, 'only once', () => lines().length === 1);
  const retry = await http(socket, 'POST', '/messages', {
    token: alice,
    body: { type: 'message', content: 'only once' },
    headers: { 'idempotency-key': key },
  });
  assert.equal(retry.status, 201);
  assert.equal(retry.body, `${lines()[0]}\n`, 'the original history line');
  const again = await http(socket, 'POST', '/messages', {
    token: alice,
    body: 'only once',
    headers: { 'idempotency-key': key },
  });
  assert.equal(again.body, retry.body, 'a text/plain body with the same message is the same request');
  const reordered = await http(socket, 'POST', '/messages', {
    token: alice,
    body: '{"content":"only once","type":"message"}',
    contentType: 'application/json',
    headers: { 'idempotency-key': key },
  });
  assert.equal(reordered.body, retry.body, 'the same fields in another order are the same request');
  assert.equal(lines().length, 1);

  const other = await http(socket, 'POST', '/messages', {
    token: alice,
    body: { type: 'message', content: 'something else' },
    headers: { 'idempotency-key': key },
  });
  assert.equal(other.status, 422);
  assert.equal(other.json().code, 'idempotency_key_reused');
  assert.equal(lines().length, 1, 'a refused reuse writes nothing');

  const fresh = await http(socket, 'POST', '/messages', {
    token: alice,
    body: 'only once',
    headers: { 'idempotency-key': 'k-2' },
  });
  assert.equal(fresh.status, 201, 'another key is another message');
  assert.equal(lines().length, 2);
});

test('keys are per user; a private answer (/who) is replayed too; a bad key is a 400', async (t) => {
  const { dir, socket, alice, lines } = await setup(t);
  const bob = await dir.join('r', 'bob');
  const post = (token: string, body: object) =>
    http(socket, 'POST', '/messages', { token, body, headers: { 'idempotency-key': 'same' } });
  const fromAlice = await post(alice, { type: 'message', content: 'hi' });
  const fromBob = await post(bob, { type: 'message', content: 'hi' });
  assert.equal(fromAlice.status, 201);
  assert.equal(fromBob.status, 201);
  assert.notEqual(fromAlice.json().id, fromBob.json().id);
  assert.equal(lines().length, 2);

  const who = { type: 'command', cmd: 'who', params: [] };
  const first = await http(socket, 'POST', '/messages', {
    token: alice,
    body: who,
    headers: { 'idempotency-key': 'w' },
  });
  const second = await http(socket, 'POST', '/messages', {
    token: alice,
    body: who,
    headers: { 'idempotency-key': 'w' },
  });
  assert.equal(first.status, 200);
  assert.equal(second.body, first.body);

  const bad = await http(socket, 'POST', '/messages', {
    token: alice,
    body: 'x',
    headers: { 'idempotency-key': 'has space' },
  });
  assert.equal(bad.status, 400);
  assert.equal(lines().length, 2);
});

test('a broker killed with -9 after the write but before the answer: the retry after its restart writes nothing', async (t) => {
  const { dir, socket, alice, lines } = await setup(t);
  const key = '6d0f2a4e-1111-4222-8333-444455556666';
  await postAndDropAnswer(socket, alice, key, 'survives a crash', () => lines().length === 1);
  for (const pid of dir.brokerPids()) process.kill(pid, 'SIGKILL');
  await waitUntil(async () => (await http(socket, 'GET', '/health').catch(() => ({ status: 0 }))).status === 0);
  await dir.join('r', 'bob'); // starts the broker again
  const retry = await http(socket, 'POST', '/messages', {
    token: alice,
    body: { type: 'message', content: 'survives a crash' },
    headers: { 'idempotency-key': key },
  });
  assert.equal(retry.status, 201);
  assert.equal(retry.json().id, eventIdFor('alice', key));
  assert.equal(retry.body, `${lines()[0]}\n`);
  assert.equal(lines().length, 1, 'one event in the file');
  const reused = await http(socket, 'POST', '/messages', {
    token: alice,
    body: 'another text',
    headers: { 'idempotency-key': key },
  });
  assert.equal(reused.status, 422, 'the history remembers the key after the restart');
});

test('room send --retry waits for the broker and sends once', async (t) => {
  const { dir, alice, socket, lines } = await setup(t);
  // After the host's /exit a plain send does not start the broker again (a crashed or idle one it
  // would restart at once), so --retry has to wait until someone brings the room back.
  const exit = await dir.run(['send', 'r', '/exit'], { env: { ROOM_TOKEN: alice } });
  assert.equal(exit.code, 0, exit.stderr);
  await waitUntil(async () => (await http(socket, 'GET', '/health').catch(() => ({ status: 0 }))).status === 0);
  const send = dir.spawn(['send', '--retry', 'r', 'patient'], { env: { ROOM_TOKEN: alice } });
  let stderr = '';
  let stdout = '';
  send.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  send.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  send.stdin?.end();
  const exited = new Promise<number | null>((resolve) => send.on('close', resolve));
  await waitUntil(() => /trying again/.test(stderr), 5000, 'a retry');
  await dir.join('r', 'bob');
  assert.equal(await exited, 0, stderr);
  assert.equal(JSON.parse(stdout).content, 'patient');
  assert.equal(stdout.split('\n').filter(Boolean).length, 1, 'one NDJSON line');
  assert.equal(lines().filter((line) => line.includes('patient')).length, 1);
});

/**
 * A Unix-socket relay in front of the broker that loses the first answer
 * naming `marker` (the stored event: the broker has answered the send, over
 * the publish channel or HTTP): it cuts the client's connection instead of
 * passing that answer on. Everything else is relayed as it is.
 */
function answerLosingRelay(
  t: Parameters<typeof RoomDir.create>[0],
  dir: RoomDir,
  target: string,
  marker: string,
): { path: string; lost: () => boolean } {
  const path = dir.file('relay.sock');
  let lost = false;
  const server = createServer((client) => {
    const broker = connect({ path: target });
    client.on('error', () => {});
    broker.on('error', () => {});
    client.on('data', (chunk) => broker.write(chunk));
    broker.on('data', (chunk: Buffer) => {
      if (!lost && chunk.includes(marker)) {
        lost = true;
        client.destroy();
        broker.destroy();
      } else {
        client.write(chunk);
      }
    });
    client.on('close', () => broker.destroy());
    broker.on('close', () => client.destroy());
  });
  server.listen(path);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { path, lost: () => lost };
}

test('a live client whose answer is lost retries with the same key and gets the stored record', async (t) => {
  const { dir, socket, alice, lines } = await setup(t);
  const relay = answerLosingRelay(t, dir, socket, 'lost answer');
  const client = new BrokerClient(relay.path);
  t.after(() => client.close());
  const answer = await client.post(alice, { type: 'message', content: 'lost answer' });
  assert.ok(relay.lost(), 'the first answer was lost');
  assert.equal(answer.stored, true);
  assert.equal(lines().length, 1, 'stored once');
  assert.equal(answer.stored && JSON.stringify(answer.event), lines()[0]);
});

test('the cache is bounded: count, bytes and time; a failed post is forgotten', async () => {
  let now = 0;
  const cache = new IdempotencyCache({ maxKeys: 3, maxBytes: 1000, ttlMs: 100 }, () => now);
  const answer = (body: string) => () => ({ status: 201, body });
  for (const key of ['a', 'b', 'c', 'd']) await cache.run('u', key, 'f', answer(key));
  assert.equal(cache.size('u'), 3, 'the oldest key was dropped');
  assert.equal((await cache.run('u', 'd', 'f', answer('new'))).body, 'd', 'a known key replays');
  await assert.rejects(cache.run('u', 'd', 'other', answer('x')), { code: 'idempotency_key_reused' });
  assert.equal((await cache.run('u', 'a', 'f', answer('again'))).body, 'again', 'a dropped key is new again');
  await cache.run('u', 'big', 'f', answer('x'.repeat(2000)));
  assert.equal(cache.size('u'), 0, 'an answer over the byte bound is not kept, nor are older ones');
  await cache.run('u', 'e', 'f', answer('e'));
  now = 200;
  assert.equal((await cache.run('u', 'e', 'f', answer('later'))).body, 'later', 'expired after ttl');
  await assert.rejects(
    cache.run('u', 'boom', 'f', () => {
      throw new Error('refused');
    }),
  );
  assert.equal((await cache.run('u', 'boom', 'f', answer('ok'))).body, 'ok', 'a failed post can be retried');
  let calls = 0;
  const slow = () =>
    new Promise<{ status: number; body: string }>((resolve) => {
      calls++;
      setImmediate(() => resolve({ status: 201, body: 'once' }));
    });
  const [one, two] = await Promise.all([cache.run('v', 'k', 'f', slow), cache.run('v', 'k', 'f', slow)]);
  assert.deepEqual([one.body, two.body, calls], ['once', 'once', 1], 'a racing retry waits for the original');
});
