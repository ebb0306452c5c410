// HTTP that behaves like HTTP: strict bodies (no type coercion), UTF-8 only,
// `{code, message}` for every error (malformed HTTP included, answered on a
// raw socket), 405 with Allow, WWW-Authenticate on 401, JSON with a final
// newline, HEAD /events without a session, a client hanging up mid-body
// logged as nothing worse than a bad request.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ERROR_CODES, ERRORS } from '../shared/errors.ts';
import { RoomDir, http, waitUntil } from './helpers.ts';

async function setup(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const socket = dir.socket('r');
  const history = () => readFileSync(dir.file('r.chat'), 'utf8');
  return { dir, alice, socket, history };
}

/** Writes `bytes` on a fresh connection and returns everything the broker answers until it closes. */
function raw(socket: string, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const conn = connect({ path: socket }, () => conn.write(bytes));
    conn.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    conn.on('error', reject);
    conn.on('close', () => resolve(answer));
  });
}

/** Status line and JSON body of a raw HTTP answer. */
function parseRaw(answer: string): { status: number; headers: string; body: { code: string; message: string } } {
  const split = answer.indexOf('\r\n\r\n');
  assert.ok(split > 0, `no HTTP answer: ${JSON.stringify(answer)}`);
  const head = answer.slice(0, split);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
  const text = answer.slice(split + 4);
  assert.ok(text.endsWith('\n'), `body ends with a newline: ${JSON.stringify(text)}`);
  return { status, headers: head, body: JSON.parse(text) };
}

test('bodies are strict: no number, array or boolean is converted into a string, and nothing is written', async (t) => {
  const { socket, alice, history } = await setup(t);
  const cases: Array<[string, object]> = [
    ['/messages', { type: 'message', content: 123 }],
    ['/messages', { type: 'message', content: true }],
    ['/messages', { type: 'message', content: ['a'] }],
    ['/messages', { type: 'command', cmd: 'claim', params: 'a b' }],
    ['/messages', { type: 'command', cmd: 'claim', params: [1, 2] }],
    ['/messages', { type: 'dm', to: 42, content: 'x' }],
    ['/join', { username: 42 }],
    ['/join', { username: ['bob'] }],
  ];
  for (const [path, body] of cases) {
    const response = await http(socket, 'POST', path, { token: alice, body });
    assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.body}`);
    assert.equal(response.json().code, 'invalid_event');
    // A join request's errors name it, not an event.
    assert.match(response.json().message, path === '/join' ? /^invalid join request: / : /^invalid event: /);
  }
  assert.equal(history(), '');
  assert.equal(
    (await http(socket, 'GET', '/messages?limit=2', { token: alice })).status,
    200,
    'queries still take numbers',
  );
});

test('text/plain is UTF-8: another charset is a 415, bytes that are not UTF-8 a 400; utf-8 is decoded intact', async (t) => {
  const { socket, alice, history } = await setup(t);
  const latin1 = await http(socket, 'POST', '/messages', {
    token: alice,
    body: 'caf\xe9',
    contentType: 'text/plain; charset=iso-8859-1',
  });
  assert.equal(latin1.status, 415);
  assert.equal(latin1.json().code, 'unsupported_media_type');
  const json16 = await http(socket, 'POST', '/messages', {
    token: alice,
    body: { type: 'message', content: 'x' },
    contentType: 'application/json; charset=utf-16',
  });
  assert.equal(json16.status, 415);
  const noBody = await http(socket, 'GET', '/health', { headers: { 'content-type': 'text/plain; charset=latin1' } });
  assert.equal(noBody.status, 200, 'a request with no body has no charset to refuse');
  const bad = parseRaw(
    await raw(
      socket,
      Buffer.concat([
        Buffer.from(
          `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${alice}\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\n`,
        ),
        Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      ]),
    ),
  );
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'invalid_event');
  assert.equal(history(), '', 'nothing mangled was written');
  const ok = await http(socket, 'POST', '/messages', {
    token: alice,
    body: 'café ☕',
    contentType: 'text/plain; charset=UTF-8',
  });
  assert.equal(ok.status, 201);
  assert.equal(ok.json().content, 'café ☕');
});

test('POST /messages with no body and no content type is a 400, not a 500', async (t) => {
  const { socket, alice, history } = await setup(t);
  const answer = parseRaw(
    await raw(
      socket,
      `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${alice}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    ),
  );
  assert.equal(answer.status, 400);
  assert.equal(answer.body.code, 'invalid_event');
  const none = parseRaw(
    await raw(
      socket,
      `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${alice}\r\nConnection: close\r\n\r\n`,
    ),
  );
  assert.equal(none.status, 400);
  assert.equal(history(), '');
});

test('malformed HTTP gets a {code, message} body too: request line, length, chunking, oversized headers', async (t) => {
  const { socket, alice } = await setup(t);
  const cases: Array<[string, string, number, string]> = [
    ['bad request line', 'GARBAGE\r\n\r\n', 400, 'bad_request'],
    ['bad method', 'G@T / HTTP/1.1\r\nHost: room\r\n\r\n', 400, 'bad_request'],
    ['bad Content-Length', 'POST /messages HTTP/1.1\r\nHost: room\r\nContent-Length: abc\r\n\r\n', 400, 'bad_request'],
    [
      'two Content-Lengths',
      'POST /messages HTTP/1.1\r\nHost: room\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      400,
      'bad_request',
    ],
    [
      'bad chunk size',
      `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${alice}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
      400,
      'bad_request',
    ],
    ['bad URL encoding', 'GET /messages%zz HTTP/1.1\r\nHost: room\r\n\r\n', 400, 'bad_request'],
    [
      'oversized headers',
      `GET /health HTTP/1.1\r\nHost: room\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
  ];
  for (const [what, request, status, code] of cases) {
    const answer = parseRaw(await raw(socket, request));
    assert.equal(answer.status, status, what);
    assert.equal(answer.body.code, code, what);
    assert.equal(typeof answer.body.message, 'string', what);
    assert.match(answer.headers, /content-type: application\/json/i, what);
  }
  assert.equal((await http(socket, 'GET', '/health')).status, 200, 'the broker still answers');
});

test('every JSON answer ends with a newline; a 201 echo is the history line byte for byte', async (t) => {
  const { socket, alice, history } = await setup(t);
  const sent = await http(socket, 'POST', '/messages', { token: alice, body: { type: 'message', content: 'hi' } });
  assert.equal(sent.status, 201);
  assert.equal(sent.body, history());
  for (const [method, path] of [
    ['GET', '/health'],
    ['GET', '/users'],
    ['GET', '/messages'],
    ['GET', '/nowhere'],
    ['DELETE', '/messages'],
  ] as const) {
    const response = await http(socket, method, path, { token: alice });
    assert.ok(response.body.endsWith('}\n') || response.body.endsWith(']\n'), `${method} ${path}: ${response.body}`);
    assert.equal(response.body.indexOf('\n'), response.body.length - 1, 'one line');
  }
});

test('a wrong method on a known route is a 405 with Allow; an unknown route stays a 404', async (t) => {
  const { socket, alice } = await setup(t);
  const del = await http(socket, 'DELETE', '/messages', { token: alice });
  assert.equal(del.status, 405);
  assert.equal(del.json().code, 'method_not_allowed');
  assert.deepEqual(String(del.headers.allow).split(', ').sort(), ['GET', 'HEAD', 'POST']);
  const put = await http(socket, 'PUT', '/join?x=1', { body: { username: 'bob' } });
  assert.equal(put.status, 405);
  assert.equal(put.headers.allow, 'POST');
  const events = await http(socket, 'POST', '/events', { token: alice, body: {} });
  assert.equal(events.status, 405);
  assert.deepEqual(String(events.headers.allow).split(', ').sort(), ['GET', 'HEAD']);
  const missing = await http(socket, 'GET', '/nowhere');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().code, 'not_found');
  assert.equal(missing.headers.allow, undefined);
});

test('a 401 carries WWW-Authenticate: Bearer; a non-Bearer Authorization is named as such', async (t) => {
  const { socket } = await setup(t);
  const missing = await http(socket, 'GET', '/users');
  assert.equal(missing.status, 401);
  assert.equal(missing.json().code, 'missing_token');
  assert.equal(missing.headers['www-authenticate'], 'Bearer realm="room"');
  const wrong = await http(socket, 'GET', '/users', { token: 'nope' });
  assert.equal(wrong.json().code, 'invalid_token');
  assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="room", error="invalid_token"');
  const basic = await http(socket, 'GET', '/users', { headers: { authorization: 'Basic YWxpY2U6eA==' } });
  assert.equal(basic.status, 401);
  assert.equal(basic.json().code, 'unsupported_auth_scheme');
  assert.match(basic.json().message, /Basic/);
  assert.match(String(basic.headers['www-authenticate']), /^Bearer /);
});

test('HEAD /events checks the token and answers without opening a session (no join, no leave)', {
  timeout: 20_000,
}, async (t) => {
  const { socket, alice, history } = await setup(t);
  const head = await http(socket, 'HEAD', '/events', { token: alice });
  assert.equal(head.status, 200);
  assert.match(String(head.headers['content-type']), /^text\/event-stream/);
  assert.equal(head.body, '');
  assert.equal((await http(socket, 'HEAD', '/events')).status, 401);
  const users = (await http(socket, 'GET', '/users', { token: alice })).json();
  assert.deepEqual(users.online, [], 'no session was opened');
  assert.equal(history(), '', 'no join or leave was written');
});

test('a client that hangs up in the middle of a body is not logged as an internal error', async (t) => {
  const { dir, socket, alice, history } = await setup(t);
  const log = () => readFileSync(dir.file('room-r.log'), 'utf8');
  await new Promise<void>((resolve, reject) => {
    const conn = connect({ path: socket }, () => {
      conn.write(
        `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${alice}\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhalf`,
        () => conn.destroy(),
      );
    });
    conn.on('error', reject);
    conn.on('close', () => resolve());
  });
  // The broker is still there, and has dealt with the hang-up before this answer (one event loop).
  await waitUntil(async () => (await http(socket, 'GET', '/health')).status === 200);
  assert.equal((await http(socket, 'POST', '/messages', { token: alice, body: 'after' })).status, 201);
  assert.doesNotMatch(log(), /internal error/);
  assert.equal(history().split('\n').filter(Boolean).length, 1);
});

test('found by the fuzz: no Host header, or an Expect other than 100-continue, is served (Node gave a bare 400 or 417)', async (t) => {
  const { socket, alice, history } = await setup(t);
  const noHost = await raw(
    socket,
    `POST /messages HTTP/1.1\r\nAuthorization: Bearer ${alice}\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
  );
  assert.match(noHost, /^HTTP\/1\.1 201 /, noHost);
  const expect = await http(socket, 'POST', '/messages', {
    token: alice,
    body: 'again',
    headers: { expect: 'something-else' },
  });
  assert.equal(expect.status, 201, expect.body);
  const bad = parseRaw(
    await raw(socket, 'GET /nowhere HTTP/1.1\r\nExpect: something-else\r\nConnection: close\r\n\r\n'),
  );
  assert.deepEqual([bad.status, bad.body.code], [404, 'not_found']);
  assert.deepEqual(
    history()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).content),
    ['hello', 'again'],
  );
});

test('the error table is the ErrorResponse enum of the OpenAPI document', () => {
  const document = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'));
  assert.deepEqual(document.components.schemas.ErrorResponse.properties.code.enum, ERROR_CODES);
});

test("the README's error table lists every code the broker answers, with its status and meaning", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('<!-- error-codes'));
  const rows = [...table.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
  const expected = ERROR_CODES.filter((code) => !(ERRORS[code] as { clientOnly?: true }).clientOnly).map((code) => [
    code,
    ERRORS[code].status,
    ERRORS[code].meaning,
  ]);
  assert.deepEqual(rows, expected);
});
