// The broker's index file (room-<id>.idx, server/log/index-file.ts) with a
// real broker and the real CLI: a restarted broker reads its index back
// instead of the history, and answers everything about old events as before
// (by id, by prefix, by seq, in pages, a keyed retry); after a kill -9, what
// the index file had not caught up with is read from the history.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import { RoomDir, http, isAlive, stopProcess, waitUntil } from './helpers.ts';

type Event = { type: string; id: string; seq: number; content?: string };

const RECORD_BYTES = 24;
const HEADER_BYTES = 32;

async function room(t: TestContext) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const socket = dir.socket('r');
  const post = (body: object, key?: string) =>
    http(socket, 'POST', '/messages', {
      token: alice,
      body,
      headers: key === undefined ? {} : { 'idempotency-key': key },
    });
  const send = async (content: string, key?: string): Promise<Event> => {
    const response = await post({ type: 'message', content }, key);
    assert.equal(response.status, 201, response.body);
    return response.json();
  };
  const history = (): Event[] =>
    readFileSync(dir.file('r.chat'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Event);
  /** The counts in the last "history …: N events (M from the index file)" line of the broker's log. */
  const loaded = (): { events: number; fromIndexFile: number } => {
    const all = [
      ...readFileSync(dir.file('room-r.log'), 'utf8').matchAll(/: (\d+) events \((\d+) from the index file\)/g),
    ];
    const last = all.at(-1);
    assert.ok(last !== undefined, 'the broker logged what it loaded');
    return { events: Number(last[1]), fromIndexFile: Number(last[2]) };
  };
  return { dir, alice, socket, post, send, history, loaded };
}

test('a restarted broker reads its index file instead of the history, and finds old events by id, prefix, seq and page; a keyed retry from before is answered', async (t) => {
  const r = await room(t);
  const key = randomUUID();
  const keyed = await r.send('sent with a key', key);
  const sent: Event[] = [];
  for (let i = 0; i < 200; i++) sent.push(await r.send(`message ${i}`));
  const [first] = r.dir.brokerPids();
  await stopProcess(first!);
  const events = r.history();
  assert.equal(statSync(r.dir.file('room-r.idx')).size, HEADER_BYTES + events.length * RECORD_BYTES);

  await r.dir.join('r', 'bob'); // starts a broker again, on the same history
  assert.deepEqual(r.loaded(), { events: events.length, fromIndexFile: events.length });
  const old = sent[10]!;
  const byId = await http(r.socket, 'GET', `/messages/${old.id}`, { token: r.alice });
  assert.equal(byId.status, 200, byId.body);
  assert.equal(byId.json().content, 'message 10');
  const reply = await r.post({ type: 'reply', reply_to: old.id.slice(0, 8), content: 'answering by prefix' });
  assert.equal(reply.status, 201, reply.body);
  assert.equal(reply.json().reply_to, old.id);
  const page = await http(r.socket, 'GET', `/messages?after=${old.seq}&limit=3`, { token: r.alice });
  assert.deepEqual(
    page.json().map((e: Event) => e.content),
    ['message 11', 'message 12', 'message 13'],
  );
  const retry = await r.post({ type: 'message', content: 'sent with a key' }, key);
  assert.equal(retry.status, 201, retry.body);
  assert.equal(retry.json().id, keyed.id, 'the retry is answered with the event stored before the restart');
  assert.equal(r.history().filter((e) => e.content === 'sent with a key').length, 1, 'stored once');
  const next = await r.send('after the restart');
  assert.equal(next.seq, Math.max(...r.history().map((e) => e.seq)), 'seqs go on');
});

test('after a kill -9, the next broker reads what its index file lacks from the history; every acknowledged event is found', async (t) => {
  const r = await room(t);
  const acknowledged: Event[] = [];
  for (let i = 0; i < 100; i++) acknowledged.push(await r.send(`before the kill ${i}`));
  const [pid] = r.dir.brokerPids();
  process.kill(pid!, 'SIGKILL'); // at once: the index file may lack the last second's entries
  await waitUntil(() => !isAlive(pid!), 5000, 'the broker to die');

  await r.dir.join('r', 'bob');
  const events = r.history();
  const { events: loaded, fromIndexFile } = r.loaded();
  assert.equal(loaded, events.length, 'every event in the history is indexed');
  assert.ok(fromIndexFile <= loaded);
  for (const event of [acknowledged[0]!, acknowledged[50]!, acknowledged.at(-1)!]) {
    const found = await http(r.socket, 'GET', `/messages/${event.id}`, { token: r.alice });
    assert.equal(found.status, 200, found.body);
    assert.equal(found.json().seq, event.seq);
  }
  const all = await http(r.socket, 'GET', '/messages?after=0&limit=1000', { token: r.alice });
  assert.deepEqual(
    all.json().map((e: Event) => e.seq),
    events.map((e) => e.seq),
  );
  await waitUntil(
    () => statSync(r.dir.file('room-r.idx')).size === HEADER_BYTES + r.history().length * RECORD_BYTES,
    5000,
    'the index file to catch up',
  );
});

test('a symlink planted at the index file is refused, never followed: the broker does not start, and says why', async (t) => {
  const dir = RoomDir.create(t);
  symlinkSync(dir.file('elsewhere'), dir.file('room-r.idx'));
  const result = await dir.run(['join', 'r', 'alice']);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`refusing ${dir.file('room-r.idx')}: it is a symbolic link`));
  assert.equal(existsSync(dir.file('elsewhere')), false, 'the link is not followed');
});

test('a long history with no index file: the broker reads its last 256 KiB, listens, answers the newest at once and the oldest once it has read the rest; then writes the index file', async (t) => {
  const dir = RoomDir.create(t);
  const ts = new Date(0).toISOString();
  const count = 70_000; // ~17 MiB: past the broker's 16 MiB for reading a history tail first
  let text = '';
  for (let seq = 1; seq <= count; seq++)
    text += `${JSON.stringify({ type: 'message', id: randomUUID(), room: 'r', user: 'old', ts, seq, content: `old ${seq} ${'x'.repeat(160)}` })}\n`;
  writeFileSync(dir.file('r.chat'), text, { mode: 0o600 });
  const alice = await dir.join('r', 'alice');
  const socket = dir.socket('r');
  const started = /: (\d+) events in its last 0\.2\d MiB, the ([\d.]+) MiB before them indexed after listening/.exec(
    readFileSync(dir.file('room-r.log'), 'utf8'),
  );
  assert.ok(started !== null, 'the broker read the tail first');
  assert.ok(Number(started[1]) < count);
  const newest = await http(socket, 'GET', '/messages?limit=2', { token: alice });
  assert.deepEqual(
    newest.json().map((e: Event) => e.seq),
    [count - 1, count],
  );
  const sent = await http(socket, 'POST', '/messages', { token: alice, body: { type: 'message', content: 'new' } });
  assert.equal(sent.status, 201, sent.body);
  assert.equal(sent.json().seq, count + 1, 'seqs go on from the tail');
  const oldest = await http(socket, 'GET', '/messages?after=0&limit=2', { token: alice });
  assert.deepEqual(
    oldest.json().map((e: Event) => e.content?.split(' ', 2).join(' ')),
    ['old 1', 'old 2'],
  );
  // Once the head is read, the index file gets every event, in the history's order.
  const lines = () => readFileSync(dir.file('r.chat'), 'utf8').split('\n').length - 1;
  await waitUntil(() => statSync(dir.file('room-r.idx')).size === HEADER_BYTES + lines() * RECORD_BYTES);
  const [pid] = dir.brokerPids();
  await stopProcess(pid!);
  await dir.join('r', 'bob');
  assert.match(
    readFileSync(dir.file('room-r.log'), 'utf8'),
    new RegExp(`: ${lines()} events \\(${lines()} from the index file\\)`),
  );
});
