// The publish channel (server/channel.ts): GET /channel upgraded to JSON
// lines. Checked through the real broker: each line is answered as POST
// /messages would answer its body, in order, once its event is on disk; bad
// lines change nothing; the token is checked on every line; the channel ends
// cleanly when the client or the broker is done.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ChannelClient, type HttpResult, isAlive, RoomDir, SseReader, http, waitUntil } from './helpers.ts';

const historyLines = (dir: RoomDir) =>
  readFileSync(dir.file('r.chat'), 'utf8')
    .split('\n')
    .filter((line) => line !== '');

async function openChannel(dir: RoomDir, token: string): Promise<ChannelClient> {
  const channel = await ChannelClient.open(dir.socket('r'), token);
  assert.ok(channel instanceof ChannelClient, `no channel: ${(channel as HttpResult).body}`);
  dir.beforeCleanup(() => channel.close());
  return channel;
}

test('lines in, answers out in order: each answer is the history line, on disk before it arrives, and the stream carries the same bytes', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const stream = new SseReader(dir.socket('r'), '/events', token);
  t.after(() => stream.close());
  const channel = await openChannel(dir, token);

  const contents = Array.from({ length: 30 }, (_, i) => `line ${i} ünïcödé ${'x'.repeat(i * 7)}`);
  channel.send(...contents.map((content) => ({ type: 'message', content })));
  const onDisk: boolean[] = [];
  // Each answer, as it arrives, must already be in the history file.
  for (let i = 0; i < contents.length; i++) {
    const [answer] = (await channel.waitForAnswers(i + 1)).slice(i);
    onDisk.push(historyLines(dir).includes(answer!.trimEnd()));
  }
  assert.deepEqual(
    onDisk,
    contents.map(() => true),
  );
  const answers = channel.answers.map((a) => JSON.parse(a) as { content: string; seq: number; user: string });
  assert.deepEqual(
    answers.map((a) => a.content),
    contents,
    'answered and stored in the order sent',
  );
  assert.ok(answers.every((a, i) => i === 0 || a.seq === answers[i - 1]!.seq + 1));
  assert.ok(answers.every((a) => a.user === 'alice'));
  assert.deepEqual(
    channel.answers,
    historyLines(dir)
      .slice(-30)
      .map((line) => `${line}\n`),
  );

  await stream.waitFor((r) => r.events().filter((e) => e.type === 'message').length >= 30);
  const frames = stream.messages.filter((m) => m.event === undefined).slice(-30);
  assert.deepEqual(
    frames.map((m) => `${m.data}\n`),
    channel.answers,
    'the stream carries the answered lines',
  );
});

test('a refused line gets, word for word, the error POST /messages gives its body, stores nothing, and the channel goes on', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const channel = await openChannel(dir, token);
  const bad = [
    'nope',
    '{"type":"message","content":""}',
    '{"type":"message","content":"hi","to":"bob"}',
    '{"type":"message","contnet":"hi"}',
    '{"type":"reply","content":"hi"}',
    '{"type":"shout","content":"hi"}',
    '{"content":"hi"}',
    '[1]',
    '"just a string"',
    '{"type":"message","content":"hi","__proto__":{"x":1}}',
    '{"type":"reply","reply_to":"abcd","content":"hi"}',
    '{"type":"reply","reply_to":"not hex","content":"hi"}',
    '{"type":"dm","to":"nobody","content":"hi"}',
    JSON.stringify({ type: 'message', content: 'é'.repeat(40_000) }),
  ];
  const before = historyLines(dir);
  channel.send(...bad);
  const answers = await channel.waitForAnswers(bad.length);
  for (const [i, body] of bad.entries()) {
    const posted = await http(dir.socket('r'), 'POST', '/messages', { token, body, contentType: 'application/json' });
    assert.ok(posted.status >= 400, `${body}: POST answered ${posted.status}`);
    assert.equal(answers[i], posted.body, `line ${i}: ${body.slice(0, 60)}`);
  }
  assert.deepEqual(historyLines(dir), before, 'nothing stored');

  channel.send('', '   ', { type: 'message', content: 'still open' });
  const [after] = (await channel.waitForAnswers(bad.length + 1)).slice(bad.length);
  assert.equal(JSON.parse(after!).content, 'still open', 'blank lines are skipped, the next line is sent');
  assert.equal(channel.answers.length, bad.length + 1);
});

test('a private answer comes back as POST gives it (a notice, 200), in its place among the answers', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const channel = await openChannel(dir, token);
  channel.send(
    { type: 'message', content: 'one' },
    { type: 'command', cmd: 'who' },
    { type: 'message', content: 'two' },
  );
  const [one, who, two] = (await channel.waitForAnswers(3)).map((a) => JSON.parse(a));
  assert.equal(one.content, 'one');
  assert.equal(who.type, 'system');
  assert.equal(who.seq, undefined, 'a notice has no seq');
  assert.match(who.content, /alice/);
  assert.equal(two.content, 'two');
  assert.equal(two.seq, one.seq + 1);
  assert.ok(!historyLines(dir).some((line) => line.includes(who.id)), 'a notice is not stored');
});

test('idempotency_key: a retry on the channel or as a POST with that Idempotency-Key answers the original; the key with another event is refused', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const channel = await openChannel(dir, token);
  const line = { type: 'message', content: 'once', idempotency_key: 'key-1' };
  channel.send(line, line, { ...line, content: 'other' }, { type: 'message', content: 'x', idempotency_key: 7 });
  const [first, again, other, badKey] = await channel.waitForAnswers(4);
  assert.equal(JSON.parse(first!).content, 'once');
  assert.equal(again, first, 'the retry answers the original, byte for byte');
  assert.equal(JSON.parse(other!).code, 'idempotency_key_reused');
  assert.equal(JSON.parse(badKey!).code, 'invalid_event');
  assert.match(JSON.parse(badKey!).message, /idempotency_key must be a string/);

  const posted = await http(dir.socket('r'), 'POST', '/messages', {
    token,
    body: { type: 'message', content: 'once' },
    headers: { 'idempotency-key': 'key-1' },
  });
  assert.equal(posted.status, 201);
  assert.equal(posted.body, first, 'the header and the field are one key');
  assert.equal(historyLines(dir).filter((l) => l.includes('"once"')).length, 1, 'stored once');
});

test('the upgrade needs a valid token; a token revoked mid-channel gets invalid_token and the channel closes', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const socket = dir.socket('r');

  const none = (await ChannelClient.open(socket, undefined)) as HttpResult;
  assert.equal(none.status, 401);
  assert.equal(none.json().code, 'missing_token');
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="room"');
  const wrong = (await ChannelClient.open(socket, 'not-a-token')) as HttpResult;
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json().code, 'invalid_token');

  const channel = await openChannel(dir, bob);
  channel.send({ type: 'message', content: 'before the kick' });
  await channel.waitForAnswers(1);
  const kick = await http(socket, 'POST', '/messages', {
    token: alice,
    body: { type: 'command', cmd: 'kick', params: ['bob'] },
  });
  assert.ok(kick.status < 300, kick.body);
  channel.send({ type: 'message', content: 'after the kick' });
  const [, refused] = await channel.waitForAnswers(2);
  assert.equal(JSON.parse(refused!).code, 'invalid_token');
  await channel.waitForEnd();
  assert.ok(!historyLines(dir).some((line) => line.includes('after the kick')));
});

test('GET /channel without the upgrade is a 426 naming it; other upgrades are served as plain HTTP; a query is refused', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const socket = dir.socket('r');

  const plain = await http(socket, 'GET', '/channel', { token });
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.upgrade, 'room-channel');
  assert.equal(plain.json().code, 'upgrade_required');

  const websocket = (await ChannelClient.open(socket, token, {
    connection: 'Upgrade',
    upgrade: 'websocket',
  })) as HttpResult;
  assert.equal(websocket.status, 426, 'another protocol is not switched to');
  const h2c = (await ChannelClient.open(
    socket,
    token,
    { connection: 'Upgrade', upgrade: 'h2c' },
    '/health',
  )) as HttpResult;
  assert.equal(h2c.status, 200, 'an Upgrade elsewhere is ignored, as HTTP lets a server do');
  assert.equal(h2c.json().room, 'r');

  const query = (await ChannelClient.open(socket, token, undefined, '/channel?x=1')) as HttpResult;
  assert.equal(query.status, 400);
  assert.equal(query.json().code, 'usage');
});

test('a line over the request limit is refused and the channel closed; a client that ends its side gets every answer, then the end', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');

  const long = await openChannel(dir, token);
  long.send({ type: 'message', content: 'first' });
  long.write(Buffer.alloc(600 * 1024, 'x'));
  const [first, refused] = await long.waitForAnswers(2);
  assert.equal(JSON.parse(first!).content, 'first');
  assert.equal(JSON.parse(refused!).code, 'body_too_large');
  await long.waitForEnd();

  const done = await openChannel(dir, token);
  done.send(...['a', 'b', 'c'].map((content) => ({ type: 'message', content })));
  done.end();
  await done.waitForEnd();
  assert.deepEqual(
    done.answers.map((a) => JSON.parse(a).content),
    ['a', 'b', 'c'],
  );
});

test('a stopping broker answers what it accepted, then ends the channel (and stops: an open channel does not hold it)', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const channel = await openChannel(dir, token);
  channel.send({ type: 'message', content: 'before the stop' });
  await channel.waitForAnswers(1);
  const stopped = await dir.run(['stop', 'r'], { env: { ROOM_TOKEN: token } });
  assert.equal(stopped.code, 0, stopped.stderr);
  await channel.waitForEnd();
  const [pid] = dir.brokerPids();
  await waitUntil(() => !isAlive(pid!), 10_000, 'the broker to exit');
});
