// Direct messages through the real broker and CLI: seen by their recipient,
// their sender and the host, and by no bystander, on every read path (live
// SSE, SSE replay, GET /messages, poll, watch); stored even when the
// recipient is offline; refused for a name that never joined.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { ROOM, TestRoom, fence, type Event } from './commands-room.ts';
import { http, ndjson, waitUntil, type SseReader } from './helpers.ts';

const PARTIES = ['alice', 'bob', 'carol'] as const; // the host, the sender, the recipient
const EVERYONE = [...PARTIES, 'dave'] as const; // dave is a bystander

const hasDm = (events: readonly Event[], id: string) => events.some((e) => e.id === id);

test('a DM reaches its recipient, its sender and the host, and no bystander, on every read path', async (t) => {
  const room = await TestRoom.create(t, ...EVERYONE);
  const live: Record<string, SseReader> = {};
  for (const user of EVERYONE) live[user] = await room.stream(user);
  await room.sent('carol', 'hello all');
  const dm = await room.sent('bob', '/dm', '@carol', 'the secret plan');
  assert.deepEqual(
    [dm.type, dm.user, dm.to, dm.content],
    ['dm', 'bob', 'carol', 'the secret plan'],
    'the sender gets the echo',
  );
  await fence(room, 'dave', Object.values(live), 'after the dm');
  const sees = (user: string) => PARTIES.includes(user as never);

  for (const user of EVERYONE) assert.equal(hasDm(live[user]!.events(), dm.id), sees(user), `live SSE of ${user}`);

  for (const user of EVERYONE) {
    const replay = await room.stream(user, '/events');
    assert.equal(hasDm(replay.events(), dm.id), sees(user), `SSE replay of ${user}`);
    const resumed = await room.stream(user, '/events', { 'last-event-id': String(dm.seq! - 1) });
    assert.equal(hasDm(resumed.events(), dm.id), sees(user), `SSE resumed by ${user} with Last-Event-ID`);
    // Just enough to reach back to the DM for those who can see it; it does not count for the others.
    const n = room.history().filter((e) => e.seq! >= dm.seq!).length;
    const latest = await room.stream(user, `/events?n=${n}`);
    assert.equal(
      latest.events<Event>()[0]!.seq,
      sees(user) ? dm.seq : dm.seq! - 1,
      `SSE ?n=${n} of ${user} starts at the right event`,
    );
    assert.equal(hasDm(latest.events(), dm.id), sees(user), `SSE ?n=${n} of ${user}`);
    const leaves = () => room.history().filter((e) => e.type === 'leave' && e.user === user).length;
    const left = leaves();
    for (const reader of [replay, resumed, latest]) reader.close();
    await waitUntil(() => leaves() === left + 3, 5000, `the leaves of ${user}`);
  }

  for (const user of EVERYONE) {
    const messages = await http(room.socket, 'GET', '/messages?limit=1000', { token: room.token(user) });
    assert.equal(hasDm(messages.json<Event[]>(), dm.id), sees(user), `GET /messages of ${user}`);
  }

  const polls = await Promise.all(EVERYONE.map((user) => room.dir.run(['poll', '-t', room.token(user), ROOM])));
  EVERYONE.forEach((user, i) => {
    assert.equal(polls[i]!.code, 0, polls[i]!.stderr);
    assert.equal(hasDm(ndjson<Event>(polls[i]!.stdout), dm.id), sees(user), `poll of ${user}`);
  });

  // watch prints what is unseen, except the caller's own events: the sender has the echo instead.
  for (const user of EVERYONE) rmSync(room.dir.file(`room-${ROOM}-${user}.cursor`));
  const watches = await Promise.all(
    EVERYONE.map((user) => room.dir.run(['watch', '-t', room.token(user), ROOM, '--timeout', '10'])),
  );
  EVERYONE.forEach((user, i) => {
    assert.equal(watches[i]!.code, 0, watches[i]!.stderr);
    assert.equal(
      hasDm(ndjson<Event>(watches[i]!.stdout), dm.id),
      user === 'alice' || user === 'carol',
      `watch of ${user}`,
    );
  });
});

test('a DM to an offline recipient is stored; the sender gets the echo and the recipient reads it later', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const viaFlag = await room.sent('bob', '--to', '@carol', 'see this when you are back');
  const viaEnvelope = await room.sent('bob', JSON.stringify({ type: 'dm', to: '@carol', content: 'and this' }));
  for (const dm of [viaFlag, viaEnvelope]) {
    assert.equal(dm.type, 'dm');
    assert.equal(dm.to, 'carol', 'a leading @ names the user');
  }
  assert.deepEqual(
    room.history().map((e) => e.id),
    [viaFlag.id, viaEnvelope.id],
    'written to history at once',
  );
  const carol = await room.stream('carol', '/events');
  assert.deepEqual(
    carol
      .events<Event>()
      .filter((e) => e.type === 'dm')
      .map((e) => e.content),
    ['see this when you are back', 'and this'],
  );
  const poll = await room.dir.run(['poll', '-t', room.token('carol'), ROOM]);
  assert.deepEqual(
    ndjson<Event>(poll.stdout)
      .filter((e) => e.type === 'dm')
      .map((e) => e.id),
    [viaFlag.id, viaEnvelope.id],
  );
});

test('a DM to a name that never joined is refused with a clear error, and nothing is written', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  await room.sent('bob', 'before');
  const before = room.historyText();
  for (const words of [
    ['/dm', 'ghost', 'hi'],
    ['/dm', '@ghost', 'hi'],
    ['--to', 'ghost', 'hi'],
    ['/dm', 'broker', 'hi'],
  ]) {
    const result = await room.send('bob', ...words);
    assert.equal(result.code, 2, words.join(' '));
    assert.match(result.stderr, /no user (ghost|broker) has joined this room/, words.join(' '));
    assert.equal(result.stdout, '');
  }
  const overHttp = await room.post('bob', { type: 'dm', to: 'ghost', content: 'hi' });
  assert.deepEqual([overHttp.status, overHttp.json().code], [404, 'unknown_user']);
  const asCommand = await room.post('bob', { type: 'command', cmd: 'dm', params: ['ghost', 'hi'] });
  assert.deepEqual([asCommand.status, asCommand.json().code], [404, 'unknown_user']);
  const badName = await room.post('bob', { type: 'dm', to: '../etc', content: 'hi' });
  assert.deepEqual([badName.status, badName.json().code], [400, 'invalid_event']);
  const noText = await room.send('bob', '/dm', 'alice');
  assert.equal(noText.code, 2);
  assert.match(noText.stderr, /usage: \/dm <user> <message>/);
  assert.equal(room.historyText(), before);
});

test('a DM to yourself is seen by you and the host only', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const note = await room.sent('bob', '/dm', 'bob', 'remember the milk');
  assert.equal(note.to, 'bob');
  const read = async (user: string) =>
    (await http(room.socket, 'GET', '/messages', { token: room.token(user) })).json<Event[]>();
  assert.equal(hasDm(await read('bob'), note.id), true);
  assert.equal(hasDm(await read('alice'), note.id), true, 'the host');
  assert.equal(hasDm(await read('carol'), note.id), false);
});

test('a bystander cannot find a DM by id: replies and GET /messages?since= treat it as unknown', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol', 'dave');
  const dm = await room.sent('bob', '--to', 'carol', 'private');
  const before = room.historyText();
  for (const ref of [dm.id, dm.id.slice(0, 8)]) {
    const reply = await room.send('dave', '/reply', ref, 'gotcha');
    assert.equal(reply.code, 2, ref);
    assert.match(reply.stderr, /no message with id/);
  }
  assert.equal(room.historyText(), before, 'nothing written');
  const since = (user: string) => http(room.socket, 'GET', `/messages?since=${dm.id}`, { token: room.token(user) });
  assert.deepEqual([(await since('dave')).status, (await since('dave')).json().code], [404, 'unknown_id']);
  assert.equal((await since('carol')).status, 200);
});

test('a reply to a DM is refused even for those who can see it (a reply is public): nothing is written', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol', 'dave');
  const dm = await room.sent('bob', '--to', 'carol', 'private');
  const before = room.historyText();
  // The recipient, the sender and the host can see the DM; each is told to answer privately.
  for (const [user, other] of [
    ['carol', 'bob'],
    ['bob', 'carol'],
    ['alice', 'bob'],
  ] as const) {
    const viaCli = await room.send(user, '/reply', dm.id.slice(0, 6), 'thanks');
    assert.equal(viaCli.code, 2, `${user}: ${viaCli.stderr}`);
    assert.equal(viaCli.stdout, '');
    assert.match(
      viaCli.stderr,
      new RegExp(`that message is a direct message: answer it with /dm ${other} .*so it stays private`),
    );
    for (const body of [
      { type: 'reply', reply_to: dm.id, content: 'thanks' },
      { type: 'command', cmd: 'reply', params: [dm.id.slice(0, 8), 'thanks'] },
    ]) {
      const overHttp = await room.post(user, body);
      assert.deepEqual([overHttp.status, overHttp.json().code], [400, 'invalid_event'], `${user} ${body.type}`);
      assert.match(overHttp.json().message, /direct message/);
    }
  }
  assert.equal(room.historyText(), before, 'nothing written');
  const message = await room.sent('carol', 'public');
  const answer = await room.sent('bob', '/reply', message.id.slice(0, 6), 'still fine');
  assert.equal(answer.reply_to, message.id, 'a reply to a public message still works');
});
