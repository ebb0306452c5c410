// Refusals that need more than a word: a stopped room says how to bring it
// back, a token record passed as a token (to send or a live session) says
// how to pass it, and a /reply id that cannot be one says what an id looks like.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RoomDir, isAlive, ndjson, sleep, type RunResult } from './helpers.ts';

function refused(result: RunResult, code: number, message: string): void {
  assert.equal(result.code, code, result.stderr);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `room: ${message}\n`);
}

test('after /exit, send says the host shut the room down and how to start it (exit 3)', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('x', 'alice');
  const [pid] = dir.brokerPids();
  assert.equal((await dir.run(['send', '-t', alice, 'x', '/exit'])).code, 0);
  while (isAlive(pid!)) await sleep(20);
  const before = readFileSync(dir.file('x.chat'), 'utf8');
  refused(
    await dir.run(['send', '-t', alice, 'x', 'anyone?']),
    3,
    'room x was shut down by its host (/exit), and room send does not start it again: open the room (room x <name>) to start it',
  );
  // A room that never ran says so plainly.
  refused(
    await dir.run(['send', '-t', alice, 'y', 'anyone?']),
    3,
    'no broker is running for room y (it was stopped, or never started): open the room (room y <name>) or run room join y <name> to start it',
  );
  assert.equal(readFileSync(dir.file('x.chat'), 'utf8'), before);
});

test("a token record's JSON given as the token is refused with how to pass it (exit 4)", async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('myroom', 'bot');
  const record = readFileSync(dir.file('room-myroom-bot.token'), 'utf8').trim();
  const message =
    'the token looks like the JSON of a token record: pass the file with --token-file PATH, or its "token" field';
  refused(await dir.run(['send', 'myroom', 'hi'], { env: { ROOM_TOKEN: record } }), 4, message);
  refused(await dir.run(['send', '-t', record, 'myroom', 'hi']), 4, message);
  assert.equal(ndjson(readFileSync(dir.file('myroom.chat'), 'utf8')).filter((e) => e.type === 'message').length, 0);
});

test('/reply with an id that is not a hex prefix gets the usage, not a schema error (exit 2)', async (t) => {
  const dir = RoomDir.create(t);
  const bot = await dir.join('myroom', 'bot');
  const usage =
    "usage: /reply <id-prefix> <message>: the id is the event's id or at least its first 4 characters (0-9, a-f)";
  refused(await dir.run(['send', '-t', bot, 'myroom', '/reply zzzz ok']), 2, usage);
  refused(await dir.run(['send', '-t', bot, 'myroom', '/reply', 'abc', 'ok']), 2, usage);
  assert.equal(ndjson(readFileSync(dir.file('myroom.chat'), 'utf8')).filter((e) => e.type === 'reply').length, 0);
});

test("a live session given a token record's JSON as its token is refused before it starts a broker (exit 4)", async (t) => {
  const dir = RoomDir.create(t);
  const record = JSON.stringify({ type: 'token', token: '00000000-0000-4000-8000-000000000000', username: 'bot' });
  const message =
    'the token looks like the JSON of a token record: pass its "token" field, or no token at all (a taken name\'s record is then read by the session)';
  refused(await dir.run(['myroom', 'bot', '--agent'], { env: { ROOM_TOKEN: record } }), 4, message);
  refused(await dir.run(['myroom', 'bot', '--agent', '-t', record]), 4, message);
  assert.deepEqual(readdirSync(dir.path), [], 'no broker was started');
});
