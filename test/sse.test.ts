// GET /events: replay, own join, live fan-out, Last-Event-ID resume,
// heartbeats, leave on close, and disconnecting a reader that does not read.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { RoomDir, SseReader, http, sleep, waitUntil } from './helpers.ts';

type Event = { type: string; seq: number; user: string; content?: string; id: string };

async function setup(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const socket = dir.socket('r');
  const post = async (token: string, content: string): Promise<Event> => {
    const response = await http(socket, 'POST', '/messages', { token, body: { type: 'message', content } });
    assert.equal(response.status, 201, response.body);
    return response.json();
  };
  const stream = (token: string, path = '/events', headers: Record<string, string> = {}) => {
    const reader = new SseReader(socket, path, token, headers);
    t.after(() => reader.close());
    return reader;
  };
  return { dir, alice, bob, socket, post, stream };
}

test('a session gets the visible history, then its own join, then live events, each with id: <seq>', async (t) => {
  const { alice, bob, post, stream } = await setup(t);
  await post(alice, 'one');
  await post(alice, 'two');
  const reader = stream(bob);
  await reader.waitFor((r) => r.events().some((e) => e.type === 'join'));
  await post(alice, 'three');
  await reader.waitFor((r) => r.events().length === 4);
  const events = reader.events<Event>();
  assert.deepEqual(
    events.map((e) => e.content ?? `${e.type}:${e.user}`),
    ['one', 'two', 'join:bob', 'three'],
  );
  assert.deepEqual(
    reader.messages.filter((m) => m.event === undefined).map((m) => Number(m.id)),
    events.map((e) => e.seq),
  );
  assert.deepEqual(
    events.map((e) => e.seq),
    [1, 2, 3, 4],
  );
});

test('?n= limits the replay to the last n visible events', async (t) => {
  const { alice, bob, post, stream } = await setup(t);
  for (const word of ['a', 'b', 'c', 'd']) await post(alice, word);
  const reader = stream(bob, '/events?n=2');
  await reader.waitFor((r) => r.events().some((e) => e.type === 'join'));
  assert.deepEqual(
    reader.events<Event>().map((e) => e.content ?? e.type),
    ['c', 'd', 'join'],
  );
  const none = stream(alice, '/events?n=0');
  await none.waitFor((r) => r.events().length > 0);
  assert.deepEqual(
    none.events<Event>().map((e) => `${e.type}:${e.user}`),
    ['join:alice'],
  );
});

test('Last-Event-ID resumes right after that event: no gap, no duplicate', async (t) => {
  const { alice, bob, post, stream } = await setup(t);
  const first = stream(bob);
  await post(alice, 'one');
  await first.waitFor((r) => r.events().some((e) => e.content === 'one'));
  const lastSeen = Number(first.messages.at(-1)!.id);
  first.close();
  await post(alice, 'two');
  await post(alice, 'three');
  const resumed = stream(bob, '/events', { 'last-event-id': String(lastSeen) });
  await resumed.waitFor((r) => r.events().some((e) => e.content === 'three'));
  const seqs = resumed.events<Event>().map((e) => e.seq);
  assert.equal(seqs[0], lastSeen + 1, 'starts right after the last seen event');
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
  );
  assert.equal(new Set(seqs).size, seqs.length);
  assert.deepEqual(
    resumed
      .events<Event>()
      .map((e) => e.content ?? `${e.type}:${e.user}`)
      .slice(0, 3),
    ['leave:bob', 'two', 'three'],
  );
});

test('closing the stream broadcasts leave; idle streams get heartbeats', async (t) => {
  const { alice, bob, socket, stream } = await setup(t);
  const watcher = stream(alice);
  const raw = await new Promise<string>((resolve) => {
    // Read bob's raw stream for a while to see the heartbeat comments.
    let text = '';
    const conn = connect({ path: socket }, () =>
      conn.write(`GET /events?n=0 HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${bob}\r\n\r\n`),
    );
    conn.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    setTimeout(() => {
      conn.destroy();
      resolve(text);
    }, 1500);
  });
  assert.match(raw, /content-type: text\/event-stream/i);
  assert.match(raw, /\n: ping\n/, 'a heartbeat comment within the heartbeat interval (1 s in tests)');
  await watcher.waitFor((r) => r.events().some((e) => e.type === 'leave' && e.user === 'bob'));
});

test('GET /events needs a valid token; a bad Last-Event-ID is a 400', async (t) => {
  const { socket, bob } = await setup(t);
  assert.equal((await http(socket, 'GET', '/events')).status, 401);
  assert.equal((await http(socket, 'GET', '/events', { token: 'nope' })).json().code, 'invalid_token');
  const bad = await http(socket, 'GET', '/events', { token: bob, headers: { 'last-event-id': 'x' } });
  assert.equal(bad.status, 400);
});

test('a reader that stops reading is disconnected past the buffer cap, and others keep receiving', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const socket = dir.socket('r');
  // A raw connection that never reads: its kernel buffers fill, then the broker's.
  let closed = false;
  const stalled = connect({ path: socket }, () =>
    stalled.write(`GET /events?n=0 HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${bob}\r\n\r\n`),
  );
  stalled.pause();
  stalled.on('close', () => (closed = true));
  stalled.on('error', () => (closed = true));
  t.after(() => stalled.destroy());
  await waitUntil(
    async () =>
      (await http(socket, 'GET', '/users', { token: alice }))
        .json()
        .online.some((u: { user: string }) => u.user === 'bob'),
    5000,
    'bob online',
  );
  const live = new SseReader(socket, '/events?n=0', alice);
  t.after(() => live.close());
  await live.waitFor((r) => r.events().some((e) => e.type === 'join'));
  const big = 'x'.repeat(60 * 1024);
  let sent = 0;
  for (; sent < 200; sent++) {
    const response = await http(socket, 'POST', '/messages', { token: alice, body: { type: 'message', content: big } });
    assert.equal(response.status, 201);
    if (live.events().some((e) => e.type === 'leave' && e.user === 'bob')) break;
  }
  await live.waitFor((r) => r.events().some((e) => e.type === 'leave' && e.user === 'bob'), 10_000);
  assert.ok(sent < 200, 'the stalled reader was dropped');
  stalled.resume(); // read what was buffered: the broker has closed its end
  await waitUntil(() => closed || stalled.destroyed, 5000, 'the stalled connection to be closed');
  const before = live.events().length;
  await http(socket, 'POST', '/messages', { token: alice, body: { type: 'message', content: 'still here' } });
  await live.waitFor((r) => r.events().length > before && r.events().at(-1).content === 'still here');
  await sleep(10);
});
