// room watch: blocks until something is for the caller, shares poll's cursor.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Users } from '../shared/api.ts';
import { http, RoomDir, ndjson, sleep, waitUntil, type RunResult } from './helpers.ts';

type Event = { id: string; type: string; user: string; content?: string };

async function setup(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const carol = await dir.join('r', 'carol');
  const send = async (token: string, ...args: string[]) => {
    const result = await dir.run(['send', '-t', token, 'r', ...args]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Event;
  };
  /** Starts a watch; resolves with its result and when it finished. */
  const watch = (token: string, ...args: string[]) => {
    const started = Date.now();
    return dir
      .run(['watch', '-t', token, 'r', ...args])
      .then((result) => ({ ...result, ms: Date.now() - started, at: Date.now() }));
  };
  return { dir, alice, bob, carol, send, watch };
}

const contents = (result: RunResult) => ndjson<Event>(result.stdout).map((e) => e.content ?? e.type);

test("watch wakes within a fraction of a second of another user's message (not the fallback interval)", async (t) => {
  const { alice, bob, send, watch } = await setup(t);
  const watching = watch(bob, '--interval', '30', '--timeout', '10');
  await sleep(500); // let it settle on the file
  const sentAt = Date.now();
  await send(alice, 'wake up');
  const result = await watching;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(contents(result), ['wake up']);
  // It woke with the message, before its 10 s timeout and so long before the 30 s fallback check:
  // the file notification did it. How fast is a figure (bench/watch-latency.ts), not asserted here.
  t.diagnostic(`woke ${result.at - sentAt} ms after the send`);
});

test('own messages, joins and system notices do not wake it; they are consumed, own ones not printed', async (t) => {
  const { alice, bob, send, watch } = await setup(t);
  await send(bob, 'my own note');
  await send(bob, '/set_status', 'busy');
  const watching = watch(bob, '--interval', '0.2', '--timeout', '10');
  await sleep(700);
  await send(bob, 'another own note');
  await sleep(300);
  await send(alice, 'for you');
  const result = await watching;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    contents(result),
    ['bob set status: busy', 'for you'],
    "every unseen visible event except the caller's own",
  );
});

test('a DM to the caller wakes it; a DM between others is neither printed nor waking', async (t) => {
  const { alice, bob, carol, send, watch } = await setup(t);
  const watching = watch(bob, '--timeout', '10');
  await sleep(300);
  await send(alice, '--to', 'carol', 'not for bob');
  await sleep(300);
  await send(carol, '--to', 'bob', 'for bob only');
  const result = await watching;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(contents(result), ['for bob only']);
});

test('watch and poll share the cursor: nothing is printed twice, nothing skipped unseen', async (t) => {
  const { dir, alice, bob, send, watch } = await setup(t);
  await send(alice, 'one');
  const first = await watch(bob, '--timeout', '5');
  assert.deepEqual(contents(first), ['one'], 'an unseen message wakes it at once');
  const poll = await dir.run(['poll', '-t', bob, 'r']);
  assert.equal(poll.stdout, '', 'poll after watch prints nothing new');
  await send(alice, 'two');
  assert.deepEqual(contents(await dir.run(['poll', '-t', bob, 'r'])), ['two']);
  const timedOut = await watch(bob, '--timeout', '0.5');
  assert.equal(timedOut.code, 6, 'nothing new after poll consumed it');
});

test('--timeout ends it with exit 6, no output, and the cursor unchanged', async (t) => {
  const { dir, alice, bob, send, watch } = await setup(t);
  await send(bob, 'own');
  const result = await watch(bob, '--timeout', '0.5', '--interval', '0.1');
  assert.equal(result.code, 6);
  assert.equal(result.stdout, '');
  assert.equal(existsSync(dir.file('room-r-bob.cursor')), false, 'the cursor was not written');
  assert.ok(result.ms < 3000, `took ${result.ms} ms`);
  await send(alice, 'later');
  assert.deepEqual(
    contents(await dir.run(['poll', '-t', bob, 'r'])),
    ['own', 'later'],
    'what watch saw is still unseen for poll',
  );
  assert.ok(readFileSync(dir.file('room-r-bob.cursor'), 'utf8').length > 0);
});

test('bad options are usage errors (exit 2)', async (t) => {
  const { bob, dir } = await setup(t);
  for (const args of [['--interval', '0'], ['--interval', 'soon'], ['--timeout', '-1'], ['--nope']]) {
    const result = await dir.run(['watch', '-t', bob, 'r', ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
  }
  const dashed = await dir.run(['watch', '-t', bob, 'r', '--interval', '-1']);
  assert.equal(dashed.code, 2);
  assert.match(
    dashed.stderr,
    /^room: option --interval needs a value \(one that starts with '-' is written --interval=-…\)\n/,
  );
  const unknown = await dir.run(['watch', '-t', bob, 'r', '--nope']);
  assert.match(unknown.stderr, /^room: unknown option --nope /);
});

test('a /clear while watch waits: the new history is printed from its start, even once it has regrown past the old offset', async (t) => {
  // alice joined first: she is the host.
  const { dir, alice, bob, carol, send } = await setup(t);
  await send(carol, 'first');
  assert.equal((await dir.run(['poll', '-t', bob, 'r'])).code, 0);
  const child = dir.spawn(['watch', '-t', bob, 'r', '--interval', '0.2', '--timeout', '15']);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await sleep(700); // it has read up to its cursor and waits
  // Stopped, it cannot read between the truncation and the regrowth: when it
  // resumes, the file is larger than its old offset and holds only new events.
  child.kill('SIGSTOP');
  try {
    await send(alice, '/clear');
    await send(carol, `long ${'x'.repeat(8000)}`);
    await send(carol, 'after clear');
  } finally {
    child.kill('SIGCONT');
  }
  assert.equal(await exited, 0);
  assert.deepEqual(
    ndjson<Event>(stdout).map((e) => (e.content!.length > 100 ? 'long' : e.content)),
    ['alice cleared chat history', 'long', 'after clear'],
  );
  const cursor = JSON.parse(readFileSync(dir.file('room-r-bob.cursor'), 'utf8')) as { id: string };
  assert.equal(cursor.id, ndjson<Event>(stdout).at(-1)!.id, 'the cursor is at the last event printed');
  assert.equal((await dir.run(['poll', '-t', bob, 'r'])).stdout, '', 'nothing left unseen');
});

test('watch --mentions sleeps through messages for the room, wakes on a mention, prints everything unseen', async (t) => {
  const { dir, alice, bob, send, watch } = await setup(t);
  const watching = watch(bob, '--mentions', '--timeout', '20');
  await waitUntil(async () => (await usersAs(dir, bob)).listening?.some((u) => u.user === 'bob') === true);
  await send(alice, 'for the room');
  await send(alice, '/set_status', 'busy');
  await send(alice, 'over to you @Bob');
  const result = await watching;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    ndjson<Event>(result.stdout)
      .filter((e) => e.type === 'message')
      .map((e) => e.content),
    ['for the room', 'over to you @Bob'],
  );
});

test('a waiting watch is listed as listening; once it has printed, it is not', async (t) => {
  const { dir, alice, bob, send, watch } = await setup(t);
  const watching = watch(bob, '--timeout', '20');
  await waitUntil(async () => (await usersAs(dir, alice)).listening?.some((u) => u.user === 'bob') === true);
  await send(alice, 'done waiting?');
  assert.equal((await watching).code, 0);
  await waitUntil(async () => (await usersAs(dir, alice)).listening?.length === 0);
});

async function usersAs(dir: RoomDir, token: string): Promise<Users> {
  return (await http(dir.socket('r'), 'GET', '/users', { token })).json<Users>();
}
