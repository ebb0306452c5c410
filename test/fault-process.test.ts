// One broker per room for its whole life: the pid lock (room-<id>.pid), a
// deleted socket recreated, bad lock files broken or refused, idle exit, and
// the detached broker's start (argv, environment, log file).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAlive, ndjson, RoomDir, ROOT, stopProcess, waitUntil } from './helpers.ts';

const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const BROKER = join(ROOT, 'dist', 'broker.js');

/** The seqs in a history file, in order. */
function seqs(dir: RoomDir, room: string): number[] {
  return ndjson<{ seq: number }>(readFileSync(dir.file(`${room}.chat`), 'utf8')).map((e) => e.seq);
}

/** The pid a room's broker recorded in its lock. */
function lockPid(dir: RoomDir, room: string): number {
  return Number(readFileSync(dir.file(`room-${room}.pid`), 'utf8').split(' ')[0]);
}

test('a socket deleted under a running broker is recreated: still one broker, seqs unique, a /kick kept', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  await dir.join('r', 'bob');
  const [pid] = dir.brokerPids();

  rmSync(dir.socket('r'));
  // Clients that find no socket: they must wait for the running broker, not start a second one.
  const joins = await Promise.all(['carol', 'dave', 'erin'].map((name) => dir.run(['join', 'r', name])));
  for (const result of joins) assert.equal(result.code, 0, result.stderr);
  const kick = await dir.run(['send', 'r', '/kick bob'], { env: { ROOM_TOKEN: alice } });
  assert.equal(kick.code, 0, kick.stderr);
  const sends = await Promise.all(
    [1, 2, 3, 4].map((i) => dir.run(['send', 'r', `m${i}`], { env: { ROOM_TOKEN: alice } })),
  );
  for (const result of sends) assert.equal(result.code, 0, result.stderr);

  assert.deepEqual(dir.brokerPids(), [pid], 'no second broker ever listened');
  assert.ok(isAlive(pid!));
  assert.equal(lockPid(dir, 'r'), pid, 'the broker holds the room');
  assert.match(readFileSync(dir.file('room-r.log'), 'utf8'), /socket .* was deleted: recreated it/);
  const all = seqs(dir, 'r');
  assert.deepEqual(
    all,
    all.map((_, i) => i + 1),
    'seqs are 1..n, none duplicated',
  );
  const state = JSON.parse(readFileSync(dir.file('room-r.state'), 'utf8'));
  assert.equal(state.users.bob.kicked, true, 'the kick is in the state file');
  assert.deepEqual(Object.keys(state.users).sort(), ['alice', 'bob', 'carol', 'dave', 'erin']);

  // After a restart, the kick still holds.
  await stopProcess(pid!);
  assert.equal(existsSync(dir.file('room-r.pid')), false, 'a clean stop releases the lock');
  const again = await dir.run(['join', 'r', 'bob']);
  assert.equal(again.code, 5, again.stderr);
  assert.match(again.stderr, /bob was kicked/);
});

test('a second broker for a room refuses to run and changes nothing', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const [pid] = dir.brokerPids();
  const state = readFileSync(dir.file('room-r.state'), 'utf8');
  const second = spawn(NODE, [BROKER, '--', 'r'], { env: dir.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  second.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => second.on('close', resolve));
  assert.equal(code, 3, stderr);
  assert.match(
    stderr,
    new RegExp(`broker failed to start: broker_unreachable: another broker \\(pid ${pid}\\) already runs room r`),
  );
  assert.equal(readFileSync(dir.file('room-r.state'), 'utf8'), state);
  assert.equal(lockPid(dir, 'r'), pid);
  assert.ok(existsSync(dir.socket('r')), 'the running broker keeps its socket');
});

test('a lock naming a dead process, or a live pid with another start time, is broken at once', async (t) => {
  const dir = RoomDir.create(t);
  // A pid that is surely not running (beyond pid_max's default), and this test's own pid with a wrong start time (a reused pid).
  writeFileSync(dir.file('room-r.pid'), '4194303 12345\n', { mode: 0o600 });
  writeFileSync(dir.file('room-r.lock'), `${process.pid} 1\n`, { mode: 0o600 });
  await dir.join('r', 'alice');
  assert.equal(lockPid(dir, 'r'), dir.brokerPids()[0]);
  assert.equal(existsSync(dir.file('room-r.lock')), false, 'the start lock is released');
});

test('an empty or garbage lock file is broken after its grace period', async (t) => {
  const dir = RoomDir.create(t);
  writeFileSync(dir.file('room-r.pid'), '', { mode: 0o600 }); // fresh: waited on, then broken
  writeFileSync(dir.file('room-r.lock'), 'garbage\x00\n', { mode: 0o600 });
  const old = new Date(Date.now() - 60_000);
  utimesSync(dir.file('room-r.lock'), old, old); // old: broken at once
  const result = await dir.run(['join', 'r', 'alice']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(lockPid(dir, 'r'), dir.brokerPids()[0]);
});

test('a lock file of another user is an error naming the file, and is left alone', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to give a file to another user');
    console.log('# skipped: not root, cannot chown a lock file to another user');
    return;
  }
  const dir = RoomDir.create(t);
  for (const name of ['room-r.pid', 'room-q.lock']) {
    writeFileSync(dir.file(name), '1 1\n', { mode: 0o600 });
    chownSync(dir.file(name), 65534, 65534);
  }
  const broker = await dir.run(['join', 'r', 'alice']);
  assert.equal(broker.code, 1, broker.stderr);
  assert.match(broker.stderr, new RegExp(`refusing ${dir.file('room-r.pid')}: it belongs to another user`));
  const start = await dir.run(['join', 'q', 'alice']);
  assert.equal(start.code, 1, start.stderr);
  assert.match(start.stderr, new RegExp(`refusing ${dir.file('room-q.lock')}: it belongs to another user`));
  assert.ok(existsSync(dir.file('room-r.pid')) && existsSync(dir.file('room-q.lock')));
  assert.equal(existsSync(dir.file('room-r.state')), false);
});

test('an idle broker exits cleanly (socket and lock removed, a log line); the next client starts it again', async (t) => {
  const dir = RoomDir.create(t);
  const env = { ROOM_IDLE_SECONDS: '0.3' };
  const joined = await dir.run(['join', 'r', 'alice'], { env });
  assert.equal(joined.code, 0, joined.stderr);
  const [first] = dir.brokerPids();
  await waitUntil(() => !isAlive(first!), 10_000, 'the idle broker to exit');
  assert.equal(existsSync(dir.socket('r')), false);
  assert.equal(existsSync(dir.file('room-r.pid')), false);
  const log = readFileSync(dir.file('room-r.log'), 'utf8');
  assert.match(log, /idle for 0\.3 s \(no session, no connection\): stopping/);
  assert.match(log, /stopped\n$/);

  // `room send` starts it again (it does not after the host's /exit: test/send-errors.test.ts).
  const token = JSON.parse(joined.stdout).token as string;
  const sent = await dir.run(['send', 'r', 'after a nap'], { env: { ...env, ROOM_TOKEN: token } });
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(JSON.parse(sent.stdout).content, 'after a nap');
  assert.equal(dir.brokerPids().length, 2);
  assert.equal(seqs(dir, 'r').length, 1, 'sent once');
});

test('a live session keeps an idle broker running', async (t) => {
  const dir = RoomDir.create(t);
  // Idle time long enough for the stream to connect after join, even on a busy machine.
  const env = { ROOM_IDLE_SECONDS: '1.5', ROOM_HEARTBEAT_MS: '100' };
  const token = JSON.parse((await dir.run(['join', 'r', 'alice'], { env })).stdout).token as string;
  const [pid] = dir.brokerPids();
  let pings = 0;
  const stream = request(
    { socketPath: dir.socket('r'), path: '/events', headers: { authorization: `Bearer ${token}` } },
    (res) => res.setEncoding('utf8').on('data', (chunk: string) => (pings += chunk.split(': ping').length - 1)),
  );
  stream.on('error', () => {});
  stream.end();
  t.after(() => stream.destroy());
  // 40 heartbeats at 100 ms: over twice the idle time has passed with the session open.
  await waitUntil(() => pings >= 40, 20_000, 'heartbeats');
  assert.ok(isAlive(pid!), 'still running while a session is open');
  stream.destroy();
  await waitUntil(() => !isAlive(pid!), 10_000, 'the broker to exit once the session ended');
});

test('ROOM_IDLE_SECONDS that is not a number is reported by the broker', async (t) => {
  const dir = RoomDir.create(t);
  const result = await dir.run(['join', 'r', 'alice'], { env: { ROOM_IDLE_SECONDS: 'soon' } });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /ROOM_IDLE_SECONDS must be a number of seconds \(0: never\), not soon/);
  assert.deepEqual(readdirSync(dir.path), [], 'a failed first start leaves no file');
});

test('a room id starting with - starts its broker', async (t) => {
  const dir = RoomDir.create(t);
  const result = await dir.run(['join', '--', '-dash', 'x']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(dir.brokerPids().length, 1);
  assert.ok(existsSync(dir.socket('-dash')));
});

test('-f <a folder> is a usage error before any broker starts, and leaves no file', async (t) => {
  const dir = RoomDir.create(t);
  mkdirSync(dir.file('adir'));
  const result = await dir.run(['join', 'r', 'a', '-f', dir.file('adir')]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr, `room: cannot use ${dir.file('adir')} as the history file: it is a folder\n`);
  assert.deepEqual(readdirSync(dir.path), ['adir']);
});

test("the detached broker's environment carries no ROOM_TOKEN or other secret", async (t) => {
  const dir = RoomDir.create(t);
  const result = await dir.run(['join', 'r', 'alice'], {
    env: { ROOM_TOKEN: 'secret-token-1', OPENAI_API_KEY: 'secret-key-2', ROOM_IDLE_SECONDS: '600' },
  });
  assert.equal(result.code, 0, result.stderr);
  const [pid] = dir.brokerPids();
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  assert.ok(!environ.some((v) => v.includes('secret-')), environ.join('\n'));
  assert.ok(environ.includes(`ROOM_DIR=${dir.path}`));
  assert.ok(environ.includes('ROOM_IDLE_SECONDS=600'), 'room settings are kept');
  assert.ok(environ.includes('MALLOC_ARENA_MAX=1'), 'one malloc arena (client/broker-start.ts)');
  assert.ok(environ.includes('MALLOC_MMAP_THRESHOLD_=131072'), 'a fixed mmap threshold (client/broker-start.ts)');
});
