// GET /messages as a paged, filtered, long-polled query; GET /messages/{id};
// /events?after=<seq>. Real broker, events sent through HTTP.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { RoomDir, SseReader, http, idPrefix } from './helpers.ts';

type Event = { type: string; id: string; seq: number; user: string; content?: string; to?: string };

async function setup(t: TestContext) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const carol = await dir.join('r', 'carol');
  const socket = dir.socket('r');
  const send = async (token: string, body: object): Promise<Event> => {
    const response = await http(socket, 'POST', '/messages', { token, body });
    assert.equal(response.status, 201, response.body);
    return response.json();
  };
  const get = (token: string, path: string) => http(socket, 'GET', path, { token });
  const page = async (token: string, path: string) => {
    const response = await get(token, path);
    assert.equal(response.status, 200, response.body);
    return { events: response.json<Event[]>(), hasMore: response.headers['has-more'], link: response.headers.link };
  };
  return { dir, alice, bob, carol, socket, send, get, page };
}

test('pages both ways by id, id prefix or seq, with Has-More and a Link to the next page; since= still works', async (t) => {
  const { alice, send, page } = await setup(t);
  const sent: Event[] = [];
  for (let i = 1; i <= 7; i++) sent.push(await send(alice, { type: 'message', content: `m${i}` }));
  const words = (events: Event[]) => events.map((e) => e.content);

  const newest = await page(alice, '/messages?limit=3&type=message');
  assert.deepEqual(words(newest.events), ['m5', 'm6', 'm7']);
  assert.equal(newest.hasMore, 'true');
  assert.equal(newest.link, `</messages?limit=3&type=message&before=${sent[4]!.id}>; rel="next"`);
  const older = await page(alice, newest.link!.slice(1, newest.link!.indexOf('>')));
  assert.deepEqual(words(older.events), ['m2', 'm3', 'm4']);
  const oldest = await page(alice, `/messages?limit=3&type=message&before=${idPrefix(sent[1]!.id, 8)}`);
  assert.deepEqual(words(oldest.events), ['m1']);
  assert.equal(oldest.hasMore, 'false');
  assert.equal(oldest.link, undefined);

  const forward = await page(alice, `/messages?limit=2&after=${sent[2]!.seq}`);
  assert.deepEqual(words(forward.events), ['m4', 'm5']);
  assert.equal(forward.link, `</messages?limit=2&after=${sent[4]!.id}>; rel="next"`);
  const between = await page(alice, `/messages?after=${sent[1]!.id}&before=${sent[4]!.seq}`);
  assert.deepEqual(words(between.events), ['m3', 'm4']);
  const since = await page(alice, `/messages?since=${sent[5]!.id}`);
  assert.deepEqual(words(since.events), ['m7']);
  assert.equal(since.hasMore, 'false');
});

test('filters: user, type, mentions=me; a DM between others is never in a page', async (t) => {
  const { alice, bob, carol, send, page } = await setup(t);
  await send(alice, { type: 'message', content: 'hello @bob' });
  await send(alice, { type: 'message', content: 'hello @bobby' });
  await send(carol, { type: 'message', content: 'from carol' });
  const dm = await send(alice, { type: 'dm', to: 'bob', content: 'psst' });
  await send(alice, { type: 'dm', to: 'alice', content: 'note to self' });
  const mine = await page(bob, '/messages?mentions=me');
  assert.deepEqual(
    mine.events.map((e) => e.content),
    ['hello @bob', 'psst'],
  );
  const carols = await page(alice, '/messages?user=carol');
  assert.deepEqual(
    carols.events.map((e) => e.content),
    ['from carol'],
  );
  const dmsSeenByCarol = await page(carol, '/messages?type=dm');
  assert.deepEqual(dmsSeenByCarol.events, []);
  const dmsSeenByBob = await page(bob, '/messages?type=dm');
  assert.deepEqual(
    dmsSeenByBob.events.map((e) => e.id),
    [dm.id],
  );
});

test('long-poll: wait= holds an empty page until a matching event arrives, or answers empty at the deadline', async (t) => {
  const { alice, bob, send, page } = await setup(t);
  const last = await send(alice, { type: 'message', content: 'before' });
  const held = page(bob, `/messages?after=${last.id}&type=message&wait=30`);
  // An event that does not match does not answer it.
  await send(alice, { type: 'command', cmd: 'claim', params: ['x'] });
  const news = await send(alice, { type: 'message', content: 'news' });
  const answered = await held;
  assert.deepEqual(
    answered.events.map((e) => e.id),
    [news.id],
  );
  const empty = await page(bob, `/messages?after=${news.seq}&wait=1`);
  assert.deepEqual(empty.events, []);
});

test('GET /messages/{id}: one visible event by id or prefix; a DM between others is unknown', async (t) => {
  const { alice, bob, carol, send, get } = await setup(t);
  const one = await send(alice, { type: 'message', content: 'one' });
  const byId = await get(bob, `/messages/${one.id}`);
  assert.equal(byId.status, 200);
  assert.deepEqual(byId.json(), one);
  assert.deepEqual((await get(bob, `/messages/${idPrefix(one.id, 6)}`)).json(), one);
  const dm = await send(alice, { type: 'dm', to: 'bob', content: 'psst' });
  assert.equal((await get(bob, `/messages/${dm.id}`)).status, 200);
  const hidden = await get(carol, `/messages/${dm.id}`);
  assert.equal(hidden.status, 404);
  assert.equal(hidden.json().code, 'unknown_id');
});

test('bad queries are 400 with a clear message and change nothing: unknown parameter, short prefix, after with since, bad filter', async (t) => {
  const { alice, get } = await setup(t);
  for (const [path, pattern] of [
    ['/messages?limt=5', /unknown query parameter limt/],
    ['/messages?limt=5&n=2', /unknown query parameters limt, n; known: since, after/],
    ['/messages/abcd?limit=5', /this route takes no query parameters \(given: limit\)/],
    ['/messages?after=ab', /at least 4 characters/],
    ['/messages?after=1&since=abcd', /not both/],
    ['/messages?mentions=you', /mentions/],
    ['/messages?type=shout', /type/],
    ['/messages?wait=600', /wait/],
  ] as const) {
    const response = await get(alice, path);
    assert.equal(response.status, 400, `${path}: ${response.body}`);
    assert.equal(response.json().code, 'usage', path);
    assert.match(response.json().message, pattern, path);
  }
  const missing = await get(alice, '/messages?after=abcdef12');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().code, 'unknown_id');
});

test('/events?after=<seq> resumes like Last-Event-ID, for clients that cannot set the header', async (t) => {
  const { alice, bob, socket, send } = await setup(t);
  await send(alice, { type: 'message', content: 'seen' });
  const unseen = await send(alice, { type: 'message', content: 'unseen' });
  const reader = new SseReader(socket, `/events?after=${unseen.seq - 1}`, bob);
  t.after(() => reader.close());
  await reader.waitFor((r) => r.events().some((e) => e.type === 'join'));
  assert.deepEqual(
    reader.events().map((e) => e.content ?? e.type),
    ['unseen', 'join'],
  );
});
