// The long-lived clients' posts (client/live/broker-client.ts post, through
// client/live/post-channel.ts): over the broker's publish channel, one
// connection for every send; over POST /messages when the broker is an
// older build without one.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { test } from 'node:test';
import { BrokerClient } from '../client/live/broker-client.ts';
import { RoomDir } from './helpers.ts';

/** A relay in front of a socket that notes what each connection asked first, and whether a POST went through it. */
function watchingRelay(t: Parameters<typeof RoomDir.create>[0], dir: RoomDir, target: string) {
  const path = dir.file('watch.sock');
  const firstLines: string[] = [];
  let posts = 0;
  const server = createServer((client) => {
    const broker = connect({ path: target });
    let first = true;
    client.on('error', () => {});
    broker.on('error', () => {});
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (first) firstLines.push(text.slice(0, text.indexOf('\r\n')));
      first = false;
      posts += text.split('POST /messages ').length - 1;
      broker.write(chunk);
    });
    broker.on('data', (chunk) => client.write(chunk));
    client.on('close', () => broker.destroy());
    broker.on('close', () => client.destroy());
  });
  server.listen(path);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { path, firstLines, posts: () => posts };
}

test('posts, notices and refusals all go over one channel connection, answered as POST would answer them', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const relay = watchingRelay(t, dir, dir.socket('r'));
  const client = new BrokerClient(relay.path);
  t.after(() => client.close());

  const one = await client.post(alice, { type: 'message', content: 'one' });
  const [two, three] = await Promise.all([
    client.post(alice, { type: 'message', content: 'two' }),
    client.post(alice, { type: 'message', content: 'three' }),
  ]);
  const who = await client.post(alice, { type: 'command', cmd: 'who', params: [] });
  await assert.rejects(client.post(alice, { type: 'dm', to: 'nobody', content: 'x' }), { code: 'unknown_user' });
  await assert.rejects(client.post('not-a-token', { type: 'message', content: 'x' }), { code: 'invalid_token' });

  assert.ok(one.stored && two.stored && three.stored);
  assert.deepEqual(
    [one, two, three].map((answer) =>
      answer.stored ? [(answer.event as { content?: string }).content, answer.event.seq] : [],
    ),
    [
      ['one', one.event.seq],
      ['two', one.event.seq + 1],
      ['three', one.event.seq + 2],
    ],
  );
  assert.equal(who.stored, false);
  assert.match(who.stored ? '' : who.notice.content, /alice/);
  assert.equal(relay.posts(), 0, 'no POST /messages');
  assert.deepEqual(relay.firstLines, ['GET /channel HTTP/1.1', 'GET /channel HTTP/1.1'], 'one channel per token');
});

test('a long answer whose characters arrive split between reads comes back whole', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const client = new BrokerClient(dir.socket('r'));
  t.after(() => client.close());
  const content = '😀'.repeat(16_000); // 64,000 bytes: many reads, 4 bytes a character
  const answers = await Promise.all(Array.from({ length: 8 }, () => client.post(alice, { type: 'message', content })));
  for (const answer of answers) assert.equal(answer.stored && (answer.event as { content?: string }).content, content);
});

test('a broker without the channel (an older build) gets the posts as POST /messages, keyed, and is not asked again', async (t) => {
  const dir = RoomDir.create(t);
  const socket = dir.file('older.sock');
  const asked: string[] = [];
  // What a broker from before GET /channel answers: a 404 for the path, a 201 for a post.
  const older = createHttpServer((request, response) => {
    asked.push(`${request.method} ${request.url} ${request.headers['idempotency-key'] ?? ''}`.trim());
    if (request.url === '/messages' && request.method === 'POST') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk));
      request.on('end', () => {
        const { content } = JSON.parse(body) as { content: string };
        const event = {
          type: 'message',
          id: crypto.randomUUID(),
          room: 'r',
          user: 'alice',
          ts: new Date().toISOString(),
          seq: asked.length,
          content,
        };
        response.writeHead(201, { 'content-type': 'application/json' }).end(`${JSON.stringify(event)}\n`);
      });
      return;
    }
    const body = JSON.stringify({ code: 'not_found', message: `no route ${request.method} ${request.url}` });
    response.writeHead(404, { 'content-type': 'application/json' }).end(`${body}\n`);
  });
  await new Promise<void>((resolve) => older.listen(socket, resolve));
  t.after(() => new Promise<void>((resolve) => older.close(() => resolve())));
  const client = new BrokerClient(socket);
  t.after(() => client.close());

  const first = await client.post('token', { type: 'message', content: 'first' }, 'key-1');
  const second = await client.post('token', { type: 'message', content: 'second' }, 'key-2');
  assert.ok(first.stored && second.stored);
  assert.deepEqual(
    [first, second].map((answer) => (answer.stored ? (answer.event as { content?: string }).content : '')),
    ['first', 'second'],
  );
  assert.deepEqual(asked, ['GET /channel', 'POST /messages key-1', 'POST /messages key-2']);
});

test('closing a client whose broker hangs ends at once: the unanswered post is not tried again', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const [pid] = dir.brokerPids();
  const client = new BrokerClient(dir.socket('r'));
  await client.post(alice, { type: 'message', content: 'the channel is open' });
  process.kill(pid!, 'SIGSTOP');
  t.after(() => process.kill(pid!, 'SIGCONT'));
  const hung = client.post(alice, { type: 'message', content: 'into a hung broker' });
  const outcome = hung.then(
    () => 'answered',
    (error: { code?: string }) => error.code,
  );
  // Another client whose channel the hung broker never opened (its upgrade is unanswered).
  const late = new BrokerClient(dir.socket('r'));
  const unopened = late.post(alice, { type: 'message', content: 'before any channel' }).then(
    () => 'answered',
    (error: { code?: string }) => error.code,
  );
  await client.close();
  assert.equal(await outcome, 'broker_unreachable', 'given up, not tried again on a new connection');
  await late.close();
  assert.equal(await unopened, 'broker_unreachable', 'the unanswered upgrade given up');
});
