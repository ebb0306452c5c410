// Agent mode: how a session starts (identity) and ends (/exit, kick, a
// reader that closes stdout), with the exit codes of each.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AgentProcess, historyLines } from './agent-process.ts';
import { RoomDir, http, isAlive, waitUntil } from './helpers.ts';

const types = (dir: RoomDir, room: string) =>
  historyLines(dir, room).map((line) => {
    const e = JSON.parse(line) as { type: string; user: string };
    return `${e.type}:${e.user}`;
  });

test('/exit by the host ends every agent session: exit 0, the broker is gone', async (t) => {
  const dir = RoomDir.create(t);
  const host = AgentProcess.start(dir, 'r', 'alice');
  await host.live('alice');
  const guest = AgentProcess.start(dir, 'r', 'bob');
  await guest.live('bob');
  const [brokerPid] = dir.brokerPids();
  host.write('/exit');
  assert.equal(await host.exit(), 0, host.stderr);
  assert.equal(await guest.exit(), 0, guest.stderr);
  for (const agent of [host, guest]) {
    assert.match(agent.stderr, /^room: session ended \(exit\): r was shut down by the host\n$/);
    assert.equal(
      agent.events().at(-1)?.content,
      'alice is shutting down the room',
      'the notice is printed before the end',
    );
  }
  await waitUntil(() => !isAlive(brokerPid!), 5000, 'the broker to stop');
});

test('a kicked agent exits 0 with a message on stderr; its token no longer works', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bot = AgentProcess.start(dir, 'r', 'bot');
  await bot.live('bot');
  const kick = await dir.run(['send', '-t', alice, 'r', '/kick bot']);
  assert.equal(kick.code, 0, kick.stderr);
  assert.equal(await bot.exit(), 0, bot.stderr);
  assert.match(bot.stderr, /session ended \(kicked\): you were kicked from r by alice/);
  assert.match(bot.events().at(-1)?.content ?? '', /alice kicked bot/);
  const again = await dir.run(['r', 'bot', '--agent']);
  assert.equal(again.code, 5, 'the name is taken and its recorded token was revoked');
  assert.equal(again.stdout, '');
});

test('revoked tokens (/clear-tokens) end the session: exit 0, with the reason on stderr', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bot = AgentProcess.start(dir, 'r', 'bot');
  await bot.live('bot');
  const clear = await dir.run(['send', '-t', alice, 'r', '/clear-tokens']);
  assert.equal(clear.code, 0, clear.stderr);
  assert.equal(await bot.exit(), 0, bot.stderr);
  assert.match(bot.stderr, /^room: session ended \(revoked\): alice revoked every token in r: run room join again\n$/);
});

test('a reader that closes stdout (EPIPE) ends the agent quietly: exit 0, no stack trace, leave broadcast', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bot = AgentProcess.start(dir, 'r', 'bot');
  await bot.live('bot');
  bot.child.stdout.destroy();
  // The next event makes it write into the closed pipe.
  const sent = await dir.run(['send', '-t', alice, 'r', 'anyone there?']);
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(await bot.exit(), 0, bot.stderr);
  assert.equal(bot.stderr, '');
  await waitUntil(() => types(dir, 'r').at(-1) === 'leave:bot', 5000, 'the leave of bot');
});

test('identity: a taken name reuses its valid token record; -t and ROOM_TOKEN are used as given', async (t) => {
  const dir = RoomDir.create(t);
  const first = await dir.run(['r', 'bot', '--agent', '-n', '0']);
  assert.equal(first.code, 0, first.stderr);
  const record = JSON.parse(readFileSync(dir.file('room-r-bot.token'), 'utf8')) as { token: string; username: string };
  assert.equal(record.username, 'bot');

  // The name is taken now: the record's token is reused (no new join, no error).
  const again = await dir.run(['r', 'bot', '--agent', '-n', '0'], { input: 'back again\n' });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, '');
  assert.deepEqual(
    again.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type),
    ['join', 'message'],
  );
  assert.equal(
    (JSON.parse(readFileSync(dir.file('room-r-bot.token'), 'utf8')) as { token: string }).token,
    record.token,
    'the record is unchanged',
  );

  const viaEnv = await dir.run(['r', 'bot', '--agent', '-n', '0'], {
    env: { ROOM_TOKEN: record.token },
    input: 'from env\n',
  });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.match(viaEnv.stdout, /"content":"from env"/);
  const viaFlag = await dir.run(['r', 'bot', '--agent', '-n', '0', '-t', record.token], { input: 'from flag\n' });
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.match(viaFlag.stdout, /"content":"from flag"/);
});

test('identity failures: a wrong token exits 4, a taken name without a record exits 5; nothing on stdout', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const before = historyLines(dir, 'r').length;

  const wrong = await dir.run(['r', 'bot', '--agent', '-t', '00000000-0000-4000-8000-000000000000']);
  assert.equal(wrong.code, 4);
  assert.match(wrong.stderr, /^room: the token given \(-t or ROOM_TOKEN\) is not valid in room r\n$/);
  assert.equal(wrong.stdout, '');

  const someoneElses = await dir.run(['r', 'bot', '--agent', '-t', alice]);
  assert.equal(someoneElses.code, 4);
  assert.match(someoneElses.stderr, /belongs to alice, not bot/);

  // carol joined over HTTP: no token record to fall back on.
  assert.equal((await http(dir.socket('r'), 'POST', '/join', { body: { username: 'carol' } })).status, 201);
  const taken = await dir.run(['r', 'carol', '--agent']);
  assert.equal(taken.code, 5);
  assert.match(
    taken.stderr,
    /no token record was found for it: pass its token with --token-file or ROOM_TOKEN, or pick another name/,
  );
  assert.equal(taken.stdout, '');

  const badEnv = await dir.run(['r', 'bot', '--agent'], { env: { ROOM_RECONNECT_SECONDS: 'soon' } });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /ROOM_RECONNECT_SECONDS must be a number of seconds/);
  assert.equal(historyLines(dir, 'r').length, before, 'no session was opened');
});
