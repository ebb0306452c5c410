// room poll: reads the history file directly, with a cursor shared with watch.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { RoomDir, http, ndjson, stopProcess, type RunResult } from './helpers.ts';

type Event = { id: string; type: string; seq: number; content?: string; user: string };

async function setup(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const send = async (token: string, text: string): Promise<Event> => {
    const result = await dir.run(['send', '-t', token, 'r', text]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Event;
  };
  const poll = (token: string, ...args: string[]): Promise<RunResult> => dir.run(['poll', '-t', token, 'r', ...args]);
  return { dir, alice, bob, send, poll };
}

const contents = (result: RunResult) => ndjson<Event>(result.stdout).map((e) => e.content);

test('poll prints unseen events and advances the cursor; a second poll prints nothing', async (t) => {
  const { dir, alice, bob, send, poll } = await setup(t);
  await send(alice, 'one');
  await send(bob, 'two');
  const first = await poll(bob);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(contents(first), ['one', 'two']);
  assert.equal(first.stdout, readFileSync(dir.file('r.chat'), 'utf8'), 'poll prints the history lines as they are');
  const cursor = dir.file('room-r-bob.cursor');
  assert.equal(statSync(cursor).mode & 0o777, 0o600);
  assert.equal(JSON.parse(readFileSync(cursor, 'utf8')).id, ndjson<Event>(first.stdout)[1]!.id);

  const second = await poll(bob);
  assert.equal(second.code, 0);
  assert.equal(second.stdout, '');
  await send(alice, 'three');
  assert.deepEqual(contents(await poll(bob)), ['three']);
});

test('poll works with no broker running', async (t) => {
  const { dir, alice, bob, send, poll } = await setup(t);
  await send(alice, 'before the broker stopped');
  for (const pid of dir.brokerPids()) await stopProcess(pid);
  const result = await poll(bob);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(contents(result), ['before the broker stopped']);
});

test('--since reads after that id for this call, then the cursor moves to the last event read', async (t) => {
  const { alice, bob, send, poll } = await setup(t);
  const one = await send(alice, 'one');
  await send(alice, 'two');
  await send(alice, 'three');
  assert.deepEqual(contents(await poll(bob)), ['one', 'two', 'three']);
  assert.deepEqual(contents(await poll(bob, '--since', one.id)), ['two', 'three'], '--since overrides the cursor');
  assert.equal((await poll(bob)).stdout, '', 'the cursor moved to the last event read');
  const unknown = await poll(bob, '--since', '00000000-0000-4000-8000-000000000000');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no event with id/);
});

test('--since a DM the caller cannot see is an unknown id, as for GET /messages?since=: exit 2, nothing printed, cursor unchanged', async (t) => {
  const { dir, alice, bob, send, poll } = await setup(t);
  const carol = await dir.join('r', 'carol');
  const dave = await dir.join('r', 'dave'); // a bystander
  await send(alice, 'public');
  const dm = JSON.parse((await dir.run(['send', '-t', bob, 'r', '--to', 'carol', 'private'])).stdout) as Event;
  assert.equal(dm.type, 'dm');
  const cursorFile = dir.file('room-r-dave.cursor');
  const refused = async (why: string) => {
    const cursorBefore = readFileSync(cursorFile, 'utf8');
    const result = await poll(dave, '--since', dm.id);
    assert.deepEqual([result.code, result.stdout], [2, ''], why);
    assert.match(result.stderr, new RegExp(`no event with id ${dm.id}`), why);
    assert.equal(readFileSync(cursorFile, 'utf8'), cursorBefore, `${why}: cursor unchanged`);
  };
  // dave's cursor ends on the DM (read, not printed): --since that id must not find it either.
  assert.deepEqual(contents(await poll(dave)), ['public']);
  assert.equal(JSON.parse(readFileSync(cursorFile, 'utf8')).id, dm.id);
  await refused('the cursor is at the DM');
  await send(alice, 'later');
  await refused('the DM found by scanning');
  const overHttp = await http(dir.socket('r'), 'GET', `/messages?since=${dm.id}`, { token: dave });
  assert.deepEqual([overHttp.status, overHttp.json().code], [404, 'unknown_id'], 'the broker agrees');
  // Those who can see it still read after it (any case, as the broker accepts).
  for (const [token, who] of [
    [carol, 'the recipient'],
    [bob, 'the sender'],
    [alice, 'the host'],
  ] as const) {
    const result = await poll(token, '--since', dm.id.toUpperCase());
    assert.equal(result.code, 0, `${who}: ${result.stderr}`);
    assert.deepEqual(contents(result).at(-1), 'later', who);
  }
});

test('deleting the cursor file resets it; a cursor whose event is gone starts from the beginning', async (t) => {
  const { dir, alice, bob, send, poll } = await setup(t);
  await send(alice, 'one');
  await send(alice, 'two');
  await poll(bob);
  rmSync(dir.file('room-r-bob.cursor'));
  assert.deepEqual(contents(await poll(bob)), ['one', 'two']);
  // A cursor pointing at an event that is not in the history (as after /clear).
  writeFileSync(
    dir.file('room-r-bob.cursor'),
    JSON.stringify({ id: '00000000-0000-4000-8000-000000000000', start: 0, end: 10, room: 'r', user: 'bob' }),
  );
  assert.deepEqual(contents(await poll(bob)), ['one', 'two']);
});

test('a stale byte offset in the cursor is detected and the event is found again', async (t) => {
  const { dir, alice, bob, send, poll } = await setup(t);
  const one = await send(alice, 'one');
  await send(alice, 'two');
  writeFileSync(
    dir.file('room-r-bob.cursor'),
    JSON.stringify({ id: one.id, start: 5, end: 40, room: 'r', user: 'bob' }),
  );
  assert.deepEqual(contents(await poll(bob)), ['two']);
  // A cursor holding just an id (written by hand) works too.
  writeFileSync(dir.file('room-r-bob.cursor'), `${one.id}\n`);
  assert.deepEqual(contents(await poll(bob)), ['two']);
});

test('invalid and torn lines in the history are skipped, never printed', async (t) => {
  const { dir, alice, bob, send, poll } = await setup(t);
  await send(alice, 'good');
  for (const pid of dir.brokerPids()) await stopProcess(pid);
  appendFileSync(dir.file('r.chat'), 'not json\n{"type":"message","id":"x"}\n{"type":"message","id":"4b1e5a3c-');
  const result = await poll(bob);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(contents(result), ['good']);
});

test('poll refuses a bad token (exit 4) and a room nobody joined (exit 4), changing nothing', async (t) => {
  const { dir, poll } = await setup(t);
  const bad = await poll('nope');
  assert.equal(bad.code, 4);
  assert.match(bad.stderr, /invalid or revoked token/);
  const nowhere = await dir.run(['poll', '-t', 'nope', 'other']);
  assert.equal(nowhere.code, 4);
  assert.match(nowhere.stderr, /nobody has joined it yet/);
  const missing = await dir.run(['poll', 'r']);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /no token/);
});

test('the token comes from ROOM_TOKEN when -t is not given', async (t) => {
  const { dir, alice, bob, send } = await setup(t);
  await send(alice, 'hi');
  const result = await dir.run(['poll', 'r'], { env: { ROOM_TOKEN: bob } });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(contents(result), ['hi']);
});
