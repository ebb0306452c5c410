// Another local user gets nothing: planted FIFOs and sockets, an unsafe
// ROOM_DIR, file names shared by two rooms, a kicked user's running watch.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { AgentProcess } from './agent-process.ts';
import { ndjson, RoomDir, stopProcess, waitUntil } from './helpers.ts';
import { otherUser } from './other-user.ts';

const mkfifo = (path: string) => execFileSync('mkfifo', ['-m', '600', path]);

test('a FIFO planted at any of room’s paths is refused at once, never waited on', async (t) => {
  const dir = RoomDir.create(t);
  // No room yet: the state file and the log are FIFOs.
  mkfifo(dir.file('room-s.state'));
  const start = await dir.run(['join', 's', 'alice'], { timeoutMs: 10_000 });
  assert.equal(start.code, 1, start.stderr);
  assert.match(start.stderr, new RegExp(`refusing ${dir.file('room-s.state')}: it is not a regular file`));
  for (const args of [
    ['poll', 's'],
    ['watch', 's', '--timeout', '1'],
  ]) {
    const result = await dir.run(args, { env: { ROOM_TOKEN: 'x' }, timeoutMs: 10_000 });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    assert.match(result.stderr, /it is not a regular file/);
  }
  mkfifo(dir.file('room-l.log'));
  const log = await dir.run(['join', 'l', 'alice'], { timeoutMs: 10_000 });
  assert.equal(log.code, 1, log.stderr);
  assert.match(log.stderr, new RegExp(`refusing ${dir.file('room-l.log')}: it is not a regular file`));
  rmSync(dir.file('room-l.log')); // the helpers read every log to find brokers

  // A room that runs: its cursor is a FIFO.
  const token = await dir.join('r', 'alice');
  mkfifo(dir.file('room-r-alice.cursor'));
  for (const args of [
    ['poll', 'r'],
    ['watch', 'r', '--timeout', '1'],
  ]) {
    const result = await dir.run(args, { env: { ROOM_TOKEN: token }, timeoutMs: 10_000 });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    assert.match(result.stderr, /room-r-alice\.cursor: it is not a regular file/);
  }
});

test('a world-writable ROOM_DIR without the sticky bit is refused and nothing is written; a sticky one is fine', async (t) => {
  const dir = RoomDir.create(t);
  chmodSync(dir.path, 0o777);
  const result = await dir.run(['join', 'r', 'alice']);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(
    result.stderr,
    `room: refusing ROOM_DIR ${dir.path}: every user can write to it and it is not sticky, so others could delete or replace room's files; use a private folder, or chmod +t ${dir.path}\n`,
  );
  const poll = await dir.run(['poll', 'r'], { env: { ROOM_TOKEN: 'x' } });
  assert.equal(poll.code, 1, poll.stderr);
  assert.deepEqual(readdirSync(dir.path), []);
  chmodSync(dir.path, 0o1777);
  const sticky = await dir.run(['join', 'r', 'alice']);
  assert.equal(sticky.code, 0, sticky.stderr);
});

test('room a user b-c and room a-b user c never share a token record or a cursor', async (t) => {
  const dir = RoomDir.create(t);
  const first = await dir.run(['join', 'a', 'b-c']);
  const second = await dir.run(['join', 'a-b', 'c']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(
    first.stderr,
    `Token written to ${dir.file('room-a-b-c.token')}\n`,
    'the seed’s name in the common case',
  );
  assert.equal(second.stderr, `Token written to ${dir.file('room-a-b+c.token')}\n`);
  const tokenA = JSON.parse(first.stdout).token as string;
  const tokenAB = JSON.parse(second.stdout).token as string;
  assert.equal(JSON.parse(readFileSync(dir.file('room-a-b-c.token'), 'utf8')).token, tokenA);
  assert.equal(JSON.parse(readFileSync(dir.file('room-a-b+c.token'), 'utf8')).token, tokenAB);

  const send = async (room: string, token: string, text: string) =>
    assert.equal((await dir.run(['send', room, text], { env: { ROOM_TOKEN: token } })).code, 0);
  const poll = async (room: string, token: string) => {
    const result = await dir.run(['poll', room], { env: { ROOM_TOKEN: token } });
    assert.equal(result.code, 0, result.stderr);
    return ndjson<{ content?: string }>(result.stdout).map((e) => e.content);
  };
  await send('a', tokenA, 'in a');
  await send('a-b', tokenAB, 'in a-b');
  assert.deepEqual(await poll('a', tokenA), ['in a']);
  assert.deepEqual(await poll('a-b', tokenAB), ['in a-b']);
  // Each poll kept its own cursor: nothing is printed twice.
  assert.deepEqual(await poll('a', tokenA), []);
  assert.deepEqual(await poll('a-b', tokenAB), []);
  await send('a', tokenA, 'again');
  assert.deepEqual(await poll('a', tokenA), ['again']);
  assert.deepEqual(await poll('a-b', tokenAB), []);
  assert.ok(existsSync(dir.file('room-a-b-c.cursor')) && existsSync(dir.file('room-a-b+c.cursor')));
});

test('__proto__, constructor and toString are usernames like any other, across a restart', async (t) => {
  const dir = RoomDir.create(t);
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  const tokens = new Map<string, string>();
  for (const name of names) tokens.set(name, await dir.join('p', name));
  const who = await dir.run(['send', 'p', '/who'], { env: { ROOM_TOKEN: tokens.get('constructor')! } });
  assert.equal(who.code, 0, who.stderr);
  const kick = await dir.run(['send', 'p', '/kick toString'], { env: { ROOM_TOKEN: tokens.get('__proto__')! } });
  assert.equal(kick.code, 0, `__proto__ is the host: ${kick.stderr}`);
  await stopProcess(dir.brokerPids()[0]!);
  await dir.join('p', 'restarter'); // a new broker, loading the state file
  for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
    const sent = await dir.run(['send', 'p', `from ${name}`], { env: { ROOM_TOKEN: tokens.get(name)! } });
    assert.equal(sent.code, 0, `${name}: ${sent.stderr}`);
    assert.equal(JSON.parse(sent.stdout).user, name);
  }
  const kicked = await dir.run(['join', 'p', 'toString']);
  assert.equal(kicked.code, 5, kicked.stderr);
  const state = JSON.parse(readFileSync(dir.file('room-p.state'), 'utf8'));
  assert.equal(state.host, '__proto__');
  assert.deepEqual(Object.keys(state.users), [...names, 'restarter']);
});

test('names are unique regardless of case, keep their spelling, and are found in any case', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('c', 'Alice');
  const bob = await dir.join('c', 'bob');
  for (const name of ['alice', 'ALICE', 'Broker', 'BROKER']) {
    const result = await dir.run(['join', 'c', name]);
    assert.equal(result.code, 5, `${name}: ${result.stderr}`);
  }
  const dm = await dir.run(['send', 'c', '--to', 'aLiCe', 'hi'], { env: { ROOM_TOKEN: bob } });
  assert.equal(dm.code, 0, dm.stderr);
  assert.equal(JSON.parse(dm.stdout).to, 'Alice', 'the DM goes to the user as they spell their name');
  const polled = await dir.run(['poll', 'c'], { env: { ROOM_TOKEN: alice } });
  assert.ok(
    ndjson<{ type: string; content?: string }>(polled.stdout).some((e) => e.type === 'dm' && e.content === 'hi'),
  );
  const kick = await dir.run(['send', 'c', '/kick @BOB'], { env: { ROOM_TOKEN: alice } });
  assert.equal(kick.code, 0, kick.stderr);
  assert.match(JSON.parse(kick.stdout).content, /Alice kicked bob/);
  const rejoin = await dir.run(['join', 'c', 'Bob']);
  assert.equal(rejoin.code, 5, rejoin.stderr);
  assert.match(rejoin.stderr, /bob was kicked/);
});

test('a running watch of a kicked user stops at the kick: exit 4, a clear line, nothing delivered', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('k', 'alice');
  const bob = await dir.join('k', 'bob');
  const watch = dir.spawn(['watch', 'k', '--interval', '60'], { env: { ROOM_TOKEN: bob } });
  let stdout = '';
  let stderr = '';
  watch.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  watch.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => watch.on('close', resolve));
  // The watch is running once it holds the history open.
  await waitUntil(() => holdsOpen(watch, dir.file('k.chat')), 10_000, 'the watch to open the history');
  const kick = await dir.run(['send', 'k', '/kick bob'], { env: { ROOM_TOKEN: alice } });
  assert.equal(kick.code, 0, kick.stderr);
  await dir.run(['send', 'k', 'after the kick'], { env: { ROOM_TOKEN: alice } });
  assert.equal(await exited, 4, stderr);
  assert.equal(stdout, '');
  assert.equal(stderr, 'room: you were kicked from k: your token is revoked\n');
});

/** Does the process hold `path` open (Linux /proc)? */
function holdsOpen(child: ChildProcess, path: string): boolean {
  try {
    return readdirSync(`/proc/${child.pid}/fd`).some((fd) => {
      try {
        return execFileSync('readlink', [`/proc/${child.pid}/fd/${fd}`], { encoding: 'utf8' }).trim() === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

test('a socket planted by another user receives nothing: one-shots refuse it (exit 1)', async (t) => {
  const user = otherUser(t);
  if (user === null) return;
  const dir = RoomDir.create(t);
  chmodSync(dir.path, 0o1777); // like /tmp: the other user can create files
  const listener = user.plant(dir.socket('r'));
  await waitUntil(listener.ready, 10_000, 'the planted listener');
  for (const args of [
    ['send', 'r', 'secret message'],
    ['join', 'r', 'alice'],
  ]) {
    const result = await dir.run(args, { env: { ROOM_TOKEN: 'the-victims-token' } });
    assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
    assert.equal(result.stderr, `room: refusing ${dir.socket('r')}: it belongs to another user\n`);
  }
  assert.equal(listener.received(), '');
});

test('a socket planted by another user while the broker is away receives nothing from a reconnecting agent', async (t) => {
  const user = otherUser(t);
  if (user === null) return;
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  chmodSync(dir.path, 0o1777);
  const bot = AgentProcess.start(dir, 'r', 'bot', { env: { ROOM_RECONNECT_SECONDS: '20' } });
  await bot.live('bot');
  await stopProcess(dir.brokerPids()[0]!); // a clean stop: the agent waits for someone to start it again
  await bot.waitForStderr(/reconnecting/);
  const listener = user.plant(dir.socket('r'));
  await waitUntil(listener.ready, 10_000, 'the planted listener');
  assert.equal(await bot.exit(), 1, bot.stderr);
  assert.match(bot.stderr, new RegExp(`refusing ${dir.socket('r')}: it belongs to another user`));
  assert.equal(listener.received(), '');
});
