// The HTTP API's request and error shapes: /join, /messages (both ways), /users.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { RoomDir, http } from './helpers.ts';

/**
 * Announces a text body of `length` bytes over a raw connection, sending only
 * the headers: a body over the limit is refused before it is read.
 */
function announceBody(socket: string, token: string, length: number): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const conn = connect({ path: socket }, () => {
      conn.write(
        `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${token}\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n\r\n`,
      );
    });
    conn.setEncoding('utf8').on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('}')) conn.destroy();
    });
    conn.on('close', () => resolve(answer));
  });
}

async function setup(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const socket = dir.socket('r');
  const history = () => readFileSync(dir.file('r.chat'), 'utf8');
  return { dir, alice, socket, history };
}

test('POST /join: 201 with a token, 409 for a taken name, 400 for a bad one, "broker" reserved', async (t) => {
  const { socket } = await setup(t);
  const bob = await http(socket, 'POST', '/join', { body: { username: 'bob' } });
  assert.equal(bob.status, 201);
  assert.equal(bob.json().type, 'token');
  assert.equal((await http(socket, 'POST', '/join', { body: { username: 'bob' } })).json().code, 'name_taken');
  assert.equal((await http(socket, 'POST', '/join', { body: { username: 'broker' } })).status, 409);
  const bad = await http(socket, 'POST', '/join', { body: { username: '../etc' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().code, 'invalid_name');
  assert.equal((await http(socket, 'POST', '/join', { body: {} })).status, 400);
  const extra = await http(socket, 'POST', '/join', { body: { username: 'carl', name: 'Carl' } });
  assert.deepEqual(
    [extra.status, extra.json().message],
    [400, 'invalid join request: unknown field "name": a join request has username'],
  );
  // A misspelt field is named, though the field it stands for is missing too.
  const misspelt = await http(socket, 'POST', '/join', { body: { usernme: 'carl' } });
  assert.deepEqual(
    [misspelt.status, misspelt.json().message],
    [400, 'invalid join request: unknown field "usernme": a join request has username'],
  );
  assert.equal(
    (await http(socket, 'POST', '/join', { body: { username: 'carl' } })).status,
    201,
    'carl was not created',
  );
});

test('POST /messages: auth, JSON and text/plain bodies, and errors with stable codes that write nothing', async (t) => {
  const { socket, alice, history } = await setup(t);
  assert.equal(
    (await http(socket, 'POST', '/messages', { body: { type: 'message', content: 'x' } })).json().code,
    'missing_token',
  );
  assert.equal(
    (await http(socket, 'POST', '/messages', { token: 'nope', body: { type: 'message', content: 'x' } })).status,
    401,
  );
  const cases: Array<[string | object, string | undefined, number, string]> = [
    ['{"type":"message","content":', 'application/json', 400, 'invalid_json'],
    ['', 'application/json', 400, 'invalid_json'],
    [{ type: 'shout', content: 'x' }, undefined, 400, 'unknown_type'],
    [{ content: 'x' }, undefined, 400, 'invalid_event'],
    [{ type: 'message' }, undefined, 400, 'invalid_event'],
    [{ type: 'message', content: '   ' }, undefined, 400, 'invalid_event'],
    [{ type: 'reply', reply_to: 'ab', content: 'x' }, undefined, 400, 'invalid_event'],
    [{ type: 'dm', to: 'ghost', content: 'x' }, undefined, 404, 'unknown_user'],
    [{ type: 'message', content: 'x'.repeat(65537) }, undefined, 413, 'content_too_large'],
    ['<message/>', 'application/xml', 415, 'unsupported_media_type'],
  ];
  for (const [body, contentType, status, code] of cases) {
    const response = await http(socket, 'POST', '/messages', { token: alice, body, contentType });
    assert.equal(response.status, status, `${JSON.stringify(body).slice(0, 60)}: ${response.body}`);
    assert.equal(response.json().code, code);
    assert.equal(typeof response.json().message, 'string');
  }
  const raw = await announceBody(socket, alice, 600 * 1024);
  assert.match(raw, /^HTTP\/1\.1 413 /);
  assert.match(raw, /"code":"body_too_large"/);
  // A field the type does not have is refused, not dropped: a misspelt or misplaced field never sends something else.
  const unknown: Array<[object, string]> = [
    [{ type: 'message', content: 'x', reply_to: 'abcd' }, '"reply_to": a message has type, content'],
    [{ type: 'reply', reply_to: 'abcd', content: 'x', to: 'bob' }, '"to": a reply has type, reply_to, content'],
    [{ type: 'command', cmd: 'who', param: [] }, '"param": a command has type, cmd, params'],
    [{ type: 'dm', to: 'alice', content: 'x', Content: 'y' }, '"Content": a dm has type, to, content'],
    // misspelt: the field it stands for is missing as well, and the misspelling is what gets named
    [{ type: 'message', contnet: 'x' }, '"contnet": a message has type, content'],
    [{ type: 'reply', reply: 'abcd', content: 'x' }, '"reply": a reply has type, reply_to, content'],
  ];
  for (const [body, says] of unknown) {
    const response = await http(socket, 'POST', '/messages', { token: alice, body });
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.deepEqual(response.json(), { code: 'invalid_event', message: `invalid event: unknown field ${says}` });
  }
  // A body that is not JSON says why, as JSON.parse does; a prototype key is refused as Fastify does, saying so.
  const why: Array<[string, string]> = [
    ['{"type":"message","content":', 'invalid JSON body: Unexpected end of JSON input'],
    ['', 'invalid JSON body: the body is empty'],
    [
      '{"type":"message","content":"x","__proto__":{"a":1}}',
      'invalid JSON body: Object contains forbidden prototype property',
    ],
  ];
  for (const [body, message] of why) {
    const response = await http(socket, 'POST', '/messages', { token: alice, body, contentType: 'application/json' });
    assert.deepEqual(response.json(), { code: 'invalid_json', message });
  }
  // A field name is quoted cut short: the error does not grow with the body.
  const long = await http(socket, 'POST', '/messages', {
    token: alice,
    body: { type: 'message', content: 'x', ['y'.repeat(100_000)]: 1 },
  });
  assert.equal(long.json().message, `invalid event: unknown field "${'y'.repeat(64)}"…: a message has type, content`);
  assert.equal(history(), '', 'no bad request wrote anything');
  const plain = await http(socket, 'POST', '/messages', { token: alice, body: 'plain text' });
  assert.equal(plain.status, 201);
  assert.equal(plain.json().content, 'plain text');
  assert.equal(history(), plain.body, 'the answer is the history line, with its newline');
});

test('GET /messages: the last events, or those after an id, limited; DMs only for their parties', async (t) => {
  const { dir, socket, alice } = await setup(t);
  const bob = await dir.join('r', 'bob');
  const carol = await dir.join('r', 'carol');
  const ids: string[] = [];
  for (const content of ['one', 'two', 'three']) {
    ids.push((await http(socket, 'POST', '/messages', { token: alice, body: { type: 'message', content } })).json().id);
  }
  await http(socket, 'POST', '/messages', { token: bob, body: { type: 'dm', to: 'carol', content: 'secret' } });
  const get = async (token: string, query = '') =>
    (await http(socket, 'GET', `/messages${query}`, { token })).json().map((e: { content: string }) => e.content);
  assert.deepEqual(await get(carol), ['one', 'two', 'three', 'secret']);
  assert.deepEqual(await get(alice), ['one', 'two', 'three', 'secret'], 'the host sees DMs');
  const dave = (await http(socket, 'POST', '/join', { body: { username: 'dave' } })).json().token;
  assert.deepEqual(await get(dave), ['one', 'two', 'three']);
  assert.deepEqual(await get(dave, '?limit=2'), ['two', 'three']);
  assert.deepEqual(await get(dave, `?since=${ids[0]}`), ['two', 'three']);
  assert.deepEqual(await get(dave, `?since=${ids[0]}&limit=1`), ['two']);
  const unknown = await http(socket, 'GET', '/messages?since=00000000-0000-4000-8000-000000000000', { token: dave });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json().code, 'unknown_id');
  assert.equal((await http(socket, 'GET', '/messages?limit=0', { token: dave })).status, 400);
  assert.equal((await http(socket, 'GET', '/messages')).status, 401);
});

test('GET /users: you, the host, who is online, and one-shot users by last activity', async (t) => {
  const { dir, socket, alice } = await setup(t);
  const bob = await dir.join('r', 'bob');
  await dir.run(['send', '-t', bob, 'r', 'hi']);
  const users = (await http(socket, 'GET', '/users', { token: alice })).json();
  assert.equal(users.you, 'alice');
  assert.equal(users.host, 'alice');
  assert.deepEqual(users.online, []);
  // Most recent first; alice only joined (joining counts as activity).
  assert.deepEqual(
    users.recent.map((u: { user: string }) => u.user),
    ['bob', 'alice'],
  );
  assert.ok(Date.now() - Date.parse(users.recent[0].last_active) < 10_000);
});
