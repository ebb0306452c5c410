// Who a live session speaks as, and a second join (issue 17): agent mode
// takes --token-file; a ROOM_TOKEN exported for another name does not block
// opening a session as someone else; `room join` of a name whose valid token
// record exists says how to use it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { RoomDir, ndjson } from './helpers.ts';

/** The events agent mode printed, and the user its message was sent as. */
function spoke(stdout: string, content: string): string | undefined {
  return ndjson<{ type: string; user: string; content?: string }>(stdout).find(
    (e) => e.type === 'message' && e.content === content,
  )?.user;
}

test('agent mode takes --token-file; a token of another name given that way is refused (exit 4)', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  await dir.join('r', 'bot');
  const record = dir.file('room-r-bot.token');
  const result = await dir.run(['r', 'bot', '--agent', '--token-file', record], { input: 'hello from the file\n' });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(spoke(result.stdout, 'hello from the file'), 'bot');

  const wrong = await dir.run(['r', 'alice', '--agent', '--token-file', record], { input: 'nope\n' });
  assert.equal(wrong.code, 4, wrong.stderr);
  assert.match(wrong.stderr, /belongs to bot, not alice/);
  const both = await dir.run(['r', 'bot', '--agent', '--token-file', record, '-t', 'x'], { input: '' });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give -t or --token-file, not both/);
});

test('a ROOM_TOKEN of another name is set aside with a line on stderr; the session joins as the name asked', async (t) => {
  const dir = RoomDir.create(t);
  const bot = await dir.join('r', 'bot'); // export ROOM_TOKEN=$(room join r bot | jq -r .token)
  const result = await dir.run(['r', 'alice', '--agent'], { env: { ROOM_TOKEN: bot }, input: 'hi, alice here\n' });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(spoke(result.stdout, 'hi, alice here'), 'alice');
  assert.match(result.stderr, /^room: ROOM_TOKEN is bot's token, not alice's: ignoring it; opening as alice/m);
  // Again, now that alice's name is taken: her own token record is used.
  const again = await dir.run(['r', 'alice', '--agent'], { env: { ROOM_TOKEN: bot }, input: 'alice again\n' });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(spoke(again.stdout, 'alice again'), 'alice');
  // A token from nowhere (another room) is set aside too; the token's own name still uses it, silently.
  const stray = await dir.run(['r', 'carol', '--agent'], { env: { ROOM_TOKEN: 'not-a-token' }, input: 'c\n' });
  assert.equal(stray.code, 0, stray.stderr);
  assert.match(stray.stderr, /ROOM_TOKEN is not a valid token of room r: ignoring it; opening as carol/);
  const own = await dir.run(['r', 'bot', '--agent'], { env: { ROOM_TOKEN: bot }, input: 'bot here\n' });
  assert.equal(own.code, 0, own.stderr);
  assert.equal(own.stderr, '');
  assert.equal(spoke(own.stdout, 'bot here'), 'bot');
});

test('joining a taken name whose token record is valid names the record and how to use it (exit 5)', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'bot');
  const record = dir.file('room-r-bot.token');
  const again = await dir.run(['join', 'r', 'bot']);
  assert.equal(again.code, 5);
  assert.equal(again.stdout, '');
  assert.ok(
    again.stderr.endsWith(
      `; if it is yours, its token record ${record} is still valid: pass --token-file ${record} to send, poll and watch, or run: export ROOM_TOKEN=$(jq -r .token ${record})\n`,
    ),
    again.stderr,
  );
  assert.match(again.stderr, /^room: .*bot.* taken/);
  // A record that no longer holds the name's token is not offered.
  const text = readFileSync(record, 'utf8');
  writeFileSync(record, text.replace(/"token":"[^"]+"/, '"token":"00000000-0000-4000-8000-000000000000"'));
  const stale = await dir.run(['join', 'r', 'bot']);
  assert.equal(stale.code, 5);
  assert.match(stale.stderr, /^room: .*bot.* taken/);
  assert.doesNotMatch(stale.stderr, /token record/);
});

test('a name typed in another case is the user who joined: their record, their token, their spelling', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const bot = await dir.join('r', 'bot');
  // No token: BOT's name is taken (by bot), and bot's record is the one to reuse.
  const record = await dir.run(['r', 'BOT', '--agent', '-n', '0'], { input: 'via the record\n' });
  assert.equal(record.code, 0, record.stderr);
  assert.equal(spoke(record.stdout, 'via the record'), 'bot');
  // bot's token, from ROOM_TOKEN (used silently) or --token-file, opens Bot as bot.
  const env = await dir.run(['r', 'Bot', '--agent', '-n', '0'], { env: { ROOM_TOKEN: bot }, input: 'via env\n' });
  assert.equal(env.code, 0, env.stderr);
  assert.equal(env.stderr, '');
  assert.equal(spoke(env.stdout, 'via env'), 'bot');
  const file = dir.file('room-r-bot.token');
  const given = await dir.run(['r', 'bOt', '--agent', '-n', '0', '--token-file', file], { input: 'via file\n' });
  assert.equal(given.code, 0, given.stderr);
  assert.equal(spoke(given.stdout, 'via file'), 'bot');
  // A second join in another case names bot's record.
  const again = await dir.run(['join', 'r', 'Bot']);
  assert.equal(again.code, 5);
  assert.match(again.stderr, new RegExp(`its token record ${file.replaceAll('.', '\\.')} is still valid`));
  assert.ok(!existsSync(dir.file('room-r-Bot.token')) && !existsSync(dir.file('room-r-BOT.token')));
});

test('a token given for a room nobody joined is refused before anything starts (exit 4)', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'bot');
  const record = dir.file('room-r-bot.token');
  for (const args of [
    ['nosuch', 'bot', '--agent', '--token-file', record],
    ['nosuch', 'bot', '--agent', '-t', '00000000-0000-4000-8000-000000000000'],
  ]) {
    const result = await dir.run(args, { input: 'hi\n' });
    assert.equal(result.code, 4, result.stderr);
    assert.match(
      result.stderr,
      /^room: room nosuch has no state in .*: nobody has joined it yet, so no token is valid there/,
    );
    assert.equal(result.stdout, '');
  }
  assert.deepEqual(
    readdirSync(dir.path).filter((name) => name.includes('nosuch')),
    [],
    'no broker, history or state for the room',
  );
});
