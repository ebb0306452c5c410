// How the CLI writes its output (client/main.ts): straight to fd 1 until a
// write would block, then through process.stdout, order kept; a reader that
// goes away ends the command quietly. And RoomError across bundle copies
// (each one-shot command is a self-contained file with its own copy).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERRORS, roomError } from '../shared/errors.ts';
import { EXIT, isRoomError } from '../shared/exit.ts';
import { ROOM_BIN, ROOT, RoomDir, ndjson } from './helpers.ts';

const MESSAGES = 1000;
const PADDING = 'x'.repeat(600);

/** A room whose history holds MESSAGES messages of ~700 bytes ("<i> xxx…"); returns the reader's token. */
async function longRoom(dir: RoomDir): Promise<string> {
  const token = await dir.join('r', 'alice');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < MESSAGES; i++) {
      await new Promise<void>((resolve, reject) => {
        const body = JSON.stringify({ type: 'message', content: `${i} ${PADDING}` });
        const req = request(
          {
            socketPath: dir.socket('r'),
            method: 'POST',
            path: '/messages',
            agent,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }
  } finally {
    agent.destroy();
  }
  return token;
}

// Runs argv with stdout on a non-blocking pipe whose reader waits 0.5 s, then
// copies what arrived to its own stdout and exits with the command's code.
// Python, because a libuv parent (Node) makes a child's stdio blocking.
const SLOW_NON_BLOCKING_READER = `
import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(w, False)
child = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.5)
data = b""
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
sys.stdout.buffer.write(data)
sys.exit(child.wait())
`;

test('a long poll reaches a slow reader on a non-blocking pipe whole and in order', async (t) => {
  const dir = RoomDir.create(t);
  const token = await longRoom(dir);
  // ~700 KB to a 64 KiB pipe: the direct write gets EAGAIN and the rest must go through stdout's stream.
  const child = spawn('python3', ['-c', SLOW_NON_BLOCKING_READER, ROOM_BIN, 'poll', 'r'], {
    env: { ...dir.env, ROOM_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
  const events = ndjson<{ content: string }>(stdout);
  assert.equal(events.length, MESSAGES);
  assert.deepEqual(
    events.map((e) => Number(e.content.split(' ')[0])),
    Array.from({ length: MESSAGES }, (_, i) => i),
  );
});

test('a reader that goes away ends poll quietly with exit 0', async (t) => {
  const dir = RoomDir.create(t);
  const token = await longRoom(dir);
  const child = spawn(ROOM_BIN, ['poll', 'r'], {
    env: { ...dir.env, ROOM_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.once('data', () => child.stdout.destroy()); // like `room poll | head -c 1`
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
});

test('instanceof RoomError holds for a RoomError made by another copy of shared/errors.ts', async () => {
  type Errors = typeof import('../shared/errors.ts');
  const one = (await import(new URL('../shared/errors.ts?copy=1', import.meta.url).href)) as Errors;
  const two = (await import(new URL('../shared/errors.ts?copy=2', import.meta.url).href)) as Errors;
  assert.notEqual(one.RoomError, two.RoomError, 'two copies of the module');
  const error = new one.RoomError('invalid_token', 'bad token');
  assert.ok(error instanceof two.RoomError);
  assert.ok(error instanceof Error);
  assert.equal(error.exitCode, 4);
  assert.ok(!(new Error('plain') instanceof two.RoomError));
  assert.ok(!((null as unknown) instanceof two.RoomError));
  assert.ok(!({ code: 'internal' } instanceof two.RoomError));
});

test("the CLI's entry tells a command's RoomError without a copy of the error table of its own", () => {
  const entry = readFileSync(join(ROOT, 'dist', 'cli.js'), 'utf8');
  const send = readFileSync(join(ROOT, 'dist', 'send.js'), 'utf8');
  // A template only the error table holds: the one-shot's file carries it, the entry does not.
  const template = ERRORS.invalid_token.template;
  assert.ok(send.includes(JSON.stringify(template)), 'dist/send.js has its own copy of the error table');
  assert.ok(!entry.includes(JSON.stringify(template)), 'dist/cli.js does not load the error table');
  const made = roomError('invalid_token');
  assert.ok(isRoomError(made));
  assert.equal(made.exitCode, EXIT.auth);
  assert.ok(!isRoomError(new Error('plain')));
  assert.ok(!isRoomError({ message: 'x', exitCode: 4 }));
});
