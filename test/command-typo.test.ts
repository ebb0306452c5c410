// Which first words are taken as a typo of a command (unit), and what
// `room sned myroom` does (the real CLI, in and out of a terminal).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { commandTypo } from '../client/command-typo.ts';
import { ROOM_BIN, RoomDir } from './helpers.ts';

test('one edit or swap away from a command is a typo; room ids that are merely short are not', () => {
  const cases: Array<[string, string | undefined]> = [
    ['sned', 'send'],
    ['sendd', 'send'],
    ['Send', 'send'],
    ['jion', 'join'],
    ['pol', 'poll'],
    ['wacth', 'watch'],
    ['stpo', 'stop'],
    ['lgo', 'log'],
    ['myroom', undefined],
    ['sl', undefined],
    ['lab', undefined],
    ['sender', undefined],
    ['send', undefined],
  ];
  for (const [word, expected] of cases) assert.equal(commandTypo(word), expected, word);
});

test('outside a terminal: refused when the second word is not a name, with the hint', async (t) => {
  const dir = RoomDir.create(t);
  const result = await dir.run(['sned', 'myroom', 'hello there']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /did you mean room send\?/);
  const bad = await dir.run(['sned', 'my/room']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^room: invalid username "my\/room".*\n.*did you mean room send\?/);
  assert.ok(!existsSync(dir.file('room-sned.state')), 'no room was created');
});

/** Runs `room <args>` with a terminal on stdin and stdout (script(1) gives it a pty). */
function inTerminal(dir: RoomDir, args: string[]) {
  const command = [ROOM_BIN, ...args].map((a) => `'${a}'`).join(' ');
  return spawnSync('script', ['-qec', command, '/dev/null'], { env: dir.env, encoding: 'utf8', timeout: 15_000 });
}

test('in a terminal: "did you mean" and exit 2, nothing created; not after `--`, nor for a room that exists', async (t) => {
  const dir = RoomDir.create(t);
  const result = inTerminal(dir, ['sned', 'myroom']);
  assert.equal(result.status, 2, result.stdout);
  assert.match(result.stdout, /room: sned is not a command: did you mean room send\?/);
  assert.match(result.stdout, /room -- sned myroom/);
  assert.ok(!existsSync(dir.file('room-sned.state')), 'no room was created');
  assert.ok(!existsSync(dir.socket('sned')));
  // `room -- sned …` means the room: the typo check lets it through (here to the usage error for one name).
  const dashed = inTerminal(dir, ['--', 'sned']);
  assert.equal(dashed.status, 2);
  assert.match(dashed.stdout, /expected <room-id> <username>/);
  assert.doesNotMatch(dashed.stdout, /did you mean/);
  // A room named like a typo that already exists is opened as asked (here: its usage error, no hint).
  await dir.join('sned', 'x');
  const existing = inTerminal(dir, ['sned']);
  assert.equal(existing.status, 2);
  assert.doesNotMatch(existing.stdout, /did you mean/);
});
