// Commands that are not built in, command names in any case, /help and
// /reply prefixes, through the real broker and every entry point (room send,
// HTTP, agent mode).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { AgentProcess } from './agent-process.ts';
import { ROOM, TestRoom, type Event } from './commands-room.ts';

test('any other /name is broadcast as a command event, params split on spaces, from every entry point', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const carol = await room.stream('carol');
  const viaSend = await room.sent('bob', '/claim implement   the auth module');
  assert.deepEqual(
    [viaSend.type, viaSend.user, viaSend.cmd, viaSend.params],
    ['command', 'bob', 'claim', ['implement', 'the', 'auth', 'module']],
  );
  const viaHttp = await room.post('alice', { type: 'command', cmd: 'claim', params: ['the parser'] });
  assert.equal(viaHttp.status, 201);
  assert.deepEqual(viaHttp.json<Event>().params, ['the parser'], 'JSON params are kept as given');
  const bot = AgentProcess.start(room.dir, ROOM, 'bot');
  await bot.live('bot');
  bot.write('/claim the lexer', '/who');
  const own = (e: Event) => e.type === 'command' && e.user === 'bot';
  await bot.waitFor(
    (events) => events.some(own) && events.some((e) => e.seq === undefined),
    'the claim and the /who answer',
  );
  const claim = bot.events().find(own)!;
  assert.deepEqual([claim.user, claim.cmd, claim.params], ['bot', 'claim', ['the', 'lexer']]);
  assert.match(
    bot.events().find((e) => e.seq === undefined)!.content!,
    /^online — bot, carol/,
    '/who answers the agent privately',
  );
  bot.end();
  assert.equal(await bot.exit(), 0, bot.stderr);

  await carol.waitFor((r) => r.events<Event>().some((e) => e.id === claim.id));
  assert.deepEqual(
    carol
      .events<Event>()
      .filter((e) => e.type === 'command')
      .map((e) => e.id),
    [viaSend.id, viaHttp.json<Event>().id, claim.id],
  );
  assert.deepEqual(
    room
      .history()
      .filter((e) => e.type === 'command')
      .map((e) => e.id),
    [viaSend.id, viaHttp.json<Event>().id, claim.id],
  );
});

test('built-in command names match in any case; other names are kept as sent', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  assert.equal((await room.sent('bob', '/Set_Status', 'busy')).content, 'bob set status: busy');
  const who = await room.sent('bob', '/WHO');
  assert.equal(who.seq, undefined, 'private');
  const dm = await room.sent('bob', '/DM', 'alice', 'hi');
  assert.deepEqual([dm.type, dm.to, dm.content], ['dm', 'alice', 'hi']);
  assert.equal((await room.sent('bob', '/Deploy', 'x')).cmd, 'Deploy');
  const kick = await room.send('bob', '/KICK', 'alice');
  assert.equal(kick.code, 7, 'an admin command in capitals is still refused, not broadcast');
  assert.deepEqual(
    room.history().map((e) => e.type),
    ['system', 'dm', 'command'],
  );
});

test('/help answers privately, with the admin commands for the host only', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const forHost = await room.sent('alice', '/help');
  const forGuest = await room.sent('bob', '/help');
  for (const help of [forHost, forGuest]) {
    assert.deepEqual([help.type, help.user, help.seq], ['system', 'broker', undefined]);
    assert.match(help.content!, /^\/who — /m);
    assert.match(help.content!, /^\/set_status \[text…\] — /m);
  }
  assert.match(forHost.content!, /^\/kick <user> — /m);
  assert.doesNotMatch(forGuest.content!, /\/kick|\/reauth|\/clear|\/exit/);
  assert.equal(room.historyText(), '', 'nothing stored');
});

test('/reply takes a unique id prefix (any case); an ambiguous one is refused and writes nothing', async (t) => {
  const room = await TestRoom.create(t);
  // A history with ids chosen to share a prefix; the broker indexes it when it starts.
  const event = (seq: number, id: string, extra: object) =>
    JSON.stringify({
      type: 'message',
      id,
      room: ROOM,
      user: 'old',
      ts: '2025-01-01T00:00:00.000Z',
      seq,
      content: 'x',
      ...extra,
    });
  writeFileSync(
    room.dir.file(`${ROOM}.chat`),
    [
      event(1, 'abcd1111-1111-4111-8111-111111111111', {}),
      event(2, 'abcd2222-2222-4222-8222-222222222222', {}),
      event(3, 'abcd3333-3333-4333-8333-333333333333', { type: 'dm', user: 'x', to: 'y' }),
    ]
      .map((line) => `${line}\n`)
      .join(''),
    { mode: 0o600 },
  );
  await room.join('alice');
  await room.join('bob');
  const before = room.historyText();

  const ambiguous = await room.send('bob', '/reply', 'abcd', 'which one?');
  assert.equal(ambiguous.code, 2);
  assert.match(ambiguous.stderr, /id prefix abcd matches more than one message: give more characters/);
  const hidden = await room.send('bob', '/reply', 'abcd3', 'not yours');
  assert.equal(hidden.code, 2);
  assert.match(hidden.stderr, /no message with id abcd3/, 'a DM between others does not count');
  const tooShort = await room.post('bob', { type: 'reply', reply_to: 'abc', content: 'x' });
  assert.equal(tooShort.status, 400);
  assert.equal(room.historyText(), before, 'nothing written');

  assert.equal(
    (await room.sent('bob', '/reply', 'ABCD2', 'this one')).reply_to,
    'abcd2222-2222-4222-8222-222222222222',
  );
  const hostToDm = await room.send('alice', '/reply', 'abcd3', 'the host sees DMs');
  assert.equal(hostToDm.code, 2);
  assert.match(
    hostToDm.stderr,
    /that message is a direct message: answer it with \/dm x/,
    'the host finds it, but a public reply to a DM is refused',
  );
});
