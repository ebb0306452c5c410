// The publish channel (server/channel.ts): GET /channel upgraded to JSON
// lines. Checked through the real broker: each line is answered as POST
// /messages would answer its body, in order, once its event is on disk; bad
// lines change nothing; the token is checked on every line; the channel ends
// cleanly when the client or the broker is done.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import {
  ChannelClient,
  type HttpResult,
  isAlive,
  RoomDir,
  SseReader,
  http,
  pipelinedRequests,
  rawRequest,
  waitUntil,
} from './helpers.ts';

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
    '\u00a0',
    '\u2028',
    '\ufeff',
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

test('the upgrade needs a valid token; a line after its token is revoked gets invalid_token and the channel closes', async (t) => {
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

  // Every line is checked: the host's /clear-tokens revokes her own token too, so her next line is refused.
  const channel = await openChannel(dir, alice);
  channel.send(
    { type: 'message', content: 'before' },
    { type: 'command', cmd: 'clear-tokens' },
    { type: 'message', content: 'after' },
  );
  const [before, cleared, refused] = await channel.waitForAnswers(3);
  assert.equal(JSON.parse(before!).content, 'before');
  assert.equal(JSON.parse(cleared!).type, 'system');
  assert.equal(JSON.parse(refused!).code, 'invalid_token');
  await channel.waitForEnd();
  assert.ok(!historyLines(dir).some((line) => line.includes('"after"')));
  assert.equal((await ChannelClient.open(socket, bob)) instanceof ChannelClient, false, "bob's token went too");
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

test('a line over the request limit is refused and the channel closed; a client that ends its side gets every answer (its last line unterminated), then the end', async (t) => {
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
  done.send(...['a', 'b'].map((content) => ({ type: 'message', content })));
  done.write(JSON.stringify({ type: 'message', content: 'c' })); // the last line needs no newline
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

test('the size limit is the POST body limit, whether the line ends with LF or CRLF', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  // JSON's whitespace makes a valid body of any size.
  const lineOf = (bytes: number) => {
    const head = '{"type":"message","content":"big"';
    return `${head}${' '.repeat(bytes - head.length - 1)}}`;
  };
  const atLimit = lineOf(512 * 1024);
  const posted = await http(dir.socket('r'), 'POST', '/messages', {
    token,
    body: atLimit,
    contentType: 'application/json',
  });
  assert.equal(posted.status, 201, posted.body.slice(0, 200));
  for (const ending of ['\n', '\r\n']) {
    const channel = await openChannel(dir, token);
    channel.write(atLimit + ending);
    channel.write(`${lineOf(512 * 1024 + 1)}${ending}`);
    const [stored, refused] = await channel.waitForAnswers(2);
    assert.equal(JSON.parse(stored!).content, 'big', `at the limit, ${JSON.stringify(ending)}: stored`);
    assert.equal(JSON.parse(refused!).code, 'body_too_large', `one byte over, ${JSON.stringify(ending)}: refused`);
    await channel.waitForEnd();
  }
});

test('a line that takes longer than a request may to arrive is refused, and the channel closed', async (t) => {
  const dir = RoomDir.create(t);
  const env = { ROOM_REQUEST_TIMEOUT_MS: '300' };
  const joined = await dir.run(['join', 'r', 'alice'], { env });
  assert.equal(joined.code, 0, joined.stderr);
  const token = (JSON.parse(joined.stdout) as { token: string }).token;
  const channel = await openChannel(dir, token);
  channel.send({ type: 'message', content: 'in time' });
  channel.write('{"type":"message","content":"never fini');
  const [first, refused] = await channel.waitForAnswers(2);
  assert.equal(JSON.parse(first!).content, 'in time');
  assert.deepEqual(JSON.parse(refused!), {
    code: 'request_timeout',
    message: 'the request took longer than 300 ms to arrive',
  });
  await channel.waitForEnd();
});

test("a kick closes the kicked user's idle channel at once; a refused upgrade does not hold the broker's stop", async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const idle = await openChannel(dir, bob);
  const kick = await http(dir.socket('r'), 'POST', '/messages', {
    token: alice,
    body: { type: 'command', cmd: 'kick', params: ['bob'] },
  });
  assert.ok(kick.status < 300, kick.body);
  await idle.waitForEnd();

  // A client that reads its 401 and never hangs up (its side stays open).
  const stubborn = connect({ path: dir.socket('r'), allowHalfOpen: true });
  t.after(() => stubborn.destroy());
  const answered = new Promise<string>((resolve) =>
    stubborn.once('data', (chunk: Buffer) => resolve(chunk.toString())),
  );
  stubborn.write(
    'GET /channel HTTP/1.1\r\nHost: room\r\nConnection: Upgrade\r\nUpgrade: room-channel\r\nAuthorization: Bearer bogus\r\n\r\n',
  );
  assert.match(await answered, /^HTTP\/1\.1 401 /);
  const [pid] = dir.brokerPids();
  const stopped = await dir.run(['stop', 'r'], { env: { ROOM_TOKEN: alice } });
  assert.equal(stopped.code, 0, stopped.stderr);
  await waitUntil(() => !isAlive(pid!), 10_000, 'the broker to exit');
});

/** Writes raw bytes on a new connection; resolves with all it read once the broker closed it. */
function exchange(socketPath: string, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(bytes);
  });
}

test('HTTP/1.0 cannot switch (it has no Upgrade): a 426 that closes; the 426 names the protocol in Upgrade and Connection', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  // Read to the end: the broker closes the HTTP/1.0 connection after its answer.
  const old = await exchange(
    dir.socket('r'),
    Buffer.from(
      `GET /channel HTTP/1.0\r\nHost: room\r\nConnection: Upgrade\r\nUpgrade: room-channel\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    ),
  );
  assert.match(old, /^HTTP\/1\.1 426 /);
  assert.match(old, /\r\nconnection: Upgrade, close\r\n/i);
  const plain = await http(dir.socket('r'), 'GET', '/channel', { token });
  assert.equal(plain.headers.upgrade, 'room-channel');
  assert.match(String(plain.headers.connection), /upgrade/i);
});

test('a channel pipelined behind a send opens once that send is answered, and its lines come after it', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const socket = connect(dir.socket('r'));
  t.after(() => socket.destroy());
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  socket.write(
    Buffer.concat([
      rawRequest('POST', '/messages', token, 'posted first'),
      Buffer.from(
        `GET /channel HTTP/1.1\r\nHost: room\r\nConnection: Upgrade\r\nUpgrade: room-channel\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      ),
      Buffer.from('{"type":"message","content":"on the channel"}\n'),
    ]),
  );
  await waitUntil(() => received.includes('"on the channel"'), 10_000, 'the channel line answered');
  const created = received.indexOf('HTTP/1.1 201 ');
  const switched = received.indexOf('HTTP/1.1 101 ');
  assert.ok(created !== -1 && switched > created, `answered in order:\n${received}`);
  const [posted, onChannel] = historyLines(dir)
    .map((line) => JSON.parse(line) as { content?: string })
    .filter((event) => event.content !== undefined);
  assert.deepEqual([posted!.content, onChannel!.content], ['posted first', 'on the channel']);
});

test('bytes that are not UTF-8 in a JSON body are refused (invalid_json), over POST and on the channel', async (t) => {
  const dir = RoomDir.create(t);
  const token = await dir.join('r', 'alice');
  const body = Buffer.concat([
    Buffer.from('{"type":"message","content":"'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}'),
  ]);
  const [posted] = await pipelinedRequests(dir.socket('r'), [
    Buffer.concat([
      Buffer.from(
        `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      ),
      body,
    ]),
  ]);
  assert.equal(posted!.status, 400);
  assert.deepEqual(JSON.parse(posted!.body), {
    code: 'invalid_json',
    message: 'invalid JSON body: the body is not valid UTF-8',
  });
  const channel = await openChannel(dir, token);
  channel.write(Buffer.concat([body, Buffer.from('\n')]));
  const [answer] = await channel.waitForAnswers(1);
  assert.equal(answer, posted!.body);
  assert.deepEqual(
    historyLines(dir).filter((line) => line.includes('"message"')),
    [],
    'nothing stored',
  );
});
