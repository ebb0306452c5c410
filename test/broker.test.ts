// The broker's life: one broker per room however many clients start at once,
// detached from its starter, stale sockets replaced, torn lines ignored,
// history and tokens kept across restarts, clean SIGTERM.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { RoomDir, SseReader, http, isAlive, ndjson, stopProcess, waitUntil } from './helpers.ts';

type Event = { type: string; seq: number; content?: string; user: string };

test('twenty joins started at once on a fresh room produce exactly one broker, and all succeed', async (t) => {
  const dir = RoomDir.create(t);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => dir.run(['join', 'race', `user${i}`], { timeoutMs: 30_000 })),
  );
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const tokens = new Set(results.map((r) => JSON.parse(r.stdout).token));
  assert.equal(tokens.size, 20);
  assert.equal(dir.brokerPids().length, 1, readFileSync(dir.file('room-race.log'), 'utf8'));
  assert.equal(existsSync(dir.file('room-race.lock')), false, 'the start lock is released');
});

test('the broker runs detached in its own process group and session', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const [pid] = dir.brokerPids();
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  assert.equal(Number(fields[2]), pid, 'process group leader');
  assert.equal(Number(fields[3]), pid, 'session leader (setsid)');
});

test('a socket file with no listener (a crashed broker) is replaced', async (t) => {
  const dir = RoomDir.create(t);
  // A process listening on the room's socket, killed without a chance to clean up.
  const squatter = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(dir.socket('r'))}, () => console.log('up'))`,
  ]);
  await new Promise((resolve) => squatter.stdout.once('data', resolve));
  squatter.kill('SIGKILL');
  await new Promise((resolve) => squatter.once('exit', resolve));
  assert.equal(existsSync(dir.socket('r')), true);
  const result = await dir.run(['join', 'r', 'alice']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(readFileSync(dir.file('room-r.log'), 'utf8'), /removing stale socket/);
  assert.equal((await http(dir.socket('r'), 'GET', '/health')).status, 200);
});

test('SIGTERM stops the broker cleanly: streams get a final close event and the socket is removed', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const reader = new SseReader(dir.socket('r'), '/events', alice);
  t.after(() => reader.close());
  await reader.waitFor((r) => r.events().length > 0);
  const [pid] = dir.brokerPids();
  process.kill(pid!, 'SIGTERM');
  await reader.waitFor((r) => r.ended);
  const close = reader.messages.find((m) => m.event === 'close');
  assert.deepEqual(JSON.parse(close!.data).reason, 'shutdown');
  await waitUntil(() => !isAlive(pid!), 5000, 'the broker to exit');
  assert.equal(existsSync(dir.socket('r')), false);
  assert.match(readFileSync(dir.file('room-r.log'), 'utf8'), /stopped/);
});

test('a restarted broker keeps history, seq, tokens and the host', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const before = JSON.parse((await dir.run(['send', '-t', alice, 'r', 'before'])).stdout) as Event;
  for (const pid of dir.brokerPids()) await stopProcess(pid);
  await dir.join('r', 'bob'); // starts a new broker
  const after = await dir.run(['send', '-t', alice, 'r', 'after']);
  assert.equal(after.code, 0, after.stderr);
  assert.equal(JSON.parse(after.stdout).seq, before.seq + 1);
  const users = await http(dir.socket('r'), 'GET', '/users', { token: alice });
  assert.equal(users.json().host, 'alice');
  assert.deepEqual(
    ndjson<Event>(readFileSync(dir.file('r.chat'), 'utf8')).map((e) => e.content),
    ['before', 'after'],
  );
});

test('a torn last line left by a crash is ignored and the next append starts on a fresh line', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  await dir.run(['send', '-t', alice, 'r', 'whole']);
  for (const pid of dir.brokerPids()) await stopProcess(pid);
  appendFileSync(dir.file('r.chat'), '{"type":"message","id":"6a1c9d52-1f1e-4c55-9d0c-6f2a1f1b2c3d","room":"r","us');
  await dir.join('r', 'bob');
  const next = await dir.run(['send', '-t', alice, 'r', 'next']);
  assert.equal(next.code, 0, next.stderr);
  assert.equal(JSON.parse(next.stdout).seq, 2);
  const lines = readFileSync(dir.file('r.chat'), 'utf8').split('\n');
  assert.equal(lines.length, 4, 'whole, torn, next, and the final newline');
  assert.match(lines[1]!, /"us$/);
  assert.equal(JSON.parse(lines[2]!).content, 'next');
  assert.match(readFileSync(dir.file('room-r.log'), 'utf8'), /torn last line ignored/);
  const poll = await dir.run(['poll', '-t', alice, 'r']);
  assert.deepEqual(
    ndjson<Event>(poll.stdout).map((e) => e.content),
    ['whole', 'next'],
  );
});

test('-f sets the history path when the room is created; later commands and restarts find it', async (t) => {
  const dir = RoomDir.create(t);
  const chat = dir.file('custom-history.ndjson');
  const join = await dir.run(['join', '-f', chat, 'r', 'alice']);
  assert.equal(join.code, 0, join.stderr);
  const alice = JSON.parse(join.stdout).token;
  await dir.run(['send', '-t', alice, 'r', 'kept here']);
  assert.equal(existsSync(dir.file('r.chat')), false);
  for (const pid of dir.brokerPids()) await stopProcess(pid);
  await dir.run(['join', '-f', dir.file('ignored.chat'), 'r', 'bob']);
  await dir.run(['send', '-t', alice, 'r', 'after restart']);
  assert.deepEqual(
    ndjson<Event>(readFileSync(chat, 'utf8')).map((e) => e.content),
    ['kept here', 'after restart'],
  );
  assert.equal(existsSync(dir.file('ignored.chat')), false);
  assert.equal(ndjson((await dir.run(['poll', '-t', alice, 'r'])).stdout).length, 2);
});

test('symlinks planted at the history, state or socket path are refused, never followed', async (t) => {
  for (const name of ['r.chat', 'room-r.state', 'room-r.sock']) {
    const dir = RoomDir.create(t);
    const target = dir.file('target');
    writeFileSync(target, '');
    symlinkSync(target, dir.file(name));
    const result = await dir.run(['join', 'r', 'alice']);
    assert.notEqual(result.code, 0, name);
    assert.match(result.stderr, /symbolic link/, name);
    assert.equal(readFileSync(target, 'utf8'), '', `${name}: nothing written through the link`);
  }
});

test('GET /health needs no token; unknown routes get a not_found error', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const health = await http(dir.socket('r'), 'GET', '/health');
  assert.deepEqual(Object.keys(health.json()), ['ok', 'room', 'version', 'epoch']);
  const missing = await http(dir.socket('r'), 'GET', '/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().code, 'not_found');
});
