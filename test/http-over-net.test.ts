// client/http-over-net.ts: the one-shots' HTTP/1.1 exchange on node:net.
// The answer reader is tested on bytes split at every position; the exchange
// and `room send` against small servers on a Unix socket that answer the way
// Fastify does not (chunked, close-delimited, cut off mid-answer).
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { type Answer, AnswerError, AnswerReader, exchange } from '../client/http-over-net.ts';
import { RoomDir } from './helpers.ts';

/** Feeds `bytes` to a fresh reader cut into pieces at `cuts`, then ends it; the answer, or the error thrown. */
function read(bytes: string, cuts: readonly number[] = []): Answer {
  const reader = new AnswerReader();
  const buffer = Buffer.from(bytes, 'latin1');
  let from = 0;
  for (const cut of [...cuts, buffer.length]) {
    const answer = reader.feed(buffer.subarray(from, cut));
    from = cut;
    if (answer !== undefined) return answer;
  }
  return reader.end();
}

/** The same answer whatever the pieces: every single cut, and one byte at a time. */
function readEverySplit(bytes: string): Answer {
  const whole = read(bytes);
  for (let cut = 0; cut <= bytes.length; cut++) assert.deepEqual(read(bytes, [cut]), whole, `cut at ${cut}`);
  const bytewise = Array.from({ length: bytes.length }, (_, i) => i);
  assert.deepEqual(read(bytes, bytewise), whole, 'one byte at a time');
  return whole;
}

test('an answer with Content-Length: status, headers, exactly that body, in any pieces', () => {
  const answer = readEverySplit(
    'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 9\r\nX-Twice: a\r\nx-twice: b\r\n\r\n{"a":"é"}',
  );
  assert.equal(answer.status, 201);
  assert.equal(answer.headers['content-type'], 'application/json');
  assert.equal(answer.headers['x-twice'], 'a, b');
  assert.equal(answer.body.toString('latin1'), '{"a":"é"}');
});

test('a long body in many pieces is read whole (each byte copied once, not once per piece)', () => {
  const piece = Buffer.alloc(4096, 'x');
  for (const head of ['Content-Length: 4096000', 'Transfer-Encoding: chunked']) {
    const reader = new AnswerReader();
    const chunked = head.startsWith('Transfer');
    let answer = reader.feed(Buffer.from(`HTTP/1.1 200 OK\r\n${head}\r\n\r\n${chunked ? '3e8000\r\n' : ''}`));
    for (let i = 0; i < 1000 && answer === undefined; i++) answer = reader.feed(piece);
    answer ??= reader.feed(Buffer.from(chunked ? '\r\n0\r\n\r\n' : ''));
    assert.equal(answer?.body.length, 4_096_000, head);
  }
});

test('a chunked answer: extensions and trailers read past, in any pieces', () => {
  const answer = readEverySplit(
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\nB\r\n 0123456789\r\n0\r\nTrailer: x\r\n\r\n',
  );
  assert.equal(answer.status, 200);
  assert.equal(answer.body.toString(), 'hello, world 0123456789');
});

test('a body without length or chunking ends with the connection; 204 has none', () => {
  assert.equal(readEverySplit('HTTP/1.0 200 OK\r\n\r\nuntil the end').body.toString(), 'until the end');
  const noContent = read('HTTP/1.1 204 No Content\r\n\r\n');
  assert.equal(noContent.status, 204);
  assert.equal(noContent.body.length, 0);
});

test('an interim 100 Continue is skipped for the answer that follows', () => {
  const answer = readEverySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
  assert.equal(answer.status, 201);
  assert.equal(answer.body.toString(), 'ok');
});

test('an answer cut short or not HTTP is an AnswerError', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /closed before an answer came/],
    ['HTTP/1.1 201 Created\r\nContent-Len', /closed before an answer came/],
    ['HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\nshort', /closed in the middle of the answer/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', /closed in the middle of the answer/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', /closed in the middle of the answer/],
    ['SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1.1 answer/],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /malformed header line/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /malformed content-length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /malformed chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /does not end with CRLF/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', /unsupported transfer coding/],
  ];
  for (const [bytes, message] of cases) assert.throws(() => read(bytes), { name: 'AnswerError', message }, bytes);
  assert.throws(() => read(`HTTP/1.1 200 OK\r\nX: ${'y'.repeat(70 * 1024)}`), AnswerError);
});

/** A server on a Unix socket in a fresh room directory; `answer` gets each connection and what it sent. */
async function server(
  t: TestContext,
  dir: RoomDir,
  answer: (socket: Socket, request: string) => void,
): Promise<{ path: string; requests: string[] }> {
  const path = dir.socket('fake');
  const requests: string[] = [];
  const srv: Server = createServer((socket) => {
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const head = received.indexOf('\r\n\r\n');
      if (head === -1) return;
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(received)?.[1] ?? 0);
      if (received.length < head + 4 + length) return;
      requests.push(received);
      answer(socket, received);
    });
  });
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  t.after(() => new Promise<void>((resolve) => srv.close(() => resolve())));
  return { path, requests };
}

test('exchange: one request with Connection: close and its body; a chunked answer read whole', async (t) => {
  const dir = RoomDir.create(t);
  const fake = await server(t, dir, (socket) => {
    socket.write('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a');
    setImmediate(() => socket.end('\r\n4\r\n":1}\r\n0\r\n\r\n'));
  });
  const answer = await exchange(fake.path, {
    method: 'POST',
    path: '/messages',
    headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
    body: '{"content":"héllo"}',
  });
  assert.equal(answer.status, 201);
  assert.equal(answer.body.toString(), '{"a":1}');
  assert.equal(
    fake.requests[0],
    Buffer.from(
      'POST /messages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nauthorization: Bearer x\r\n' +
        'content-type: application/json\r\nContent-Length: 20\r\n\r\n{"content":"héllo"}',
    ).toString('latin1'),
  );
});

test('exchange: a server that closes mid-answer, or answers nothing, is an AnswerError; no socket is ENOENT', async (t) => {
  const dir = RoomDir.create(t);
  const midway = await server(t, dir, (socket) => socket.end('HTTP/1.1 201 Created\r\nContent-Length: 100\r\n\r\n{"a'));
  await assert.rejects(exchange(midway.path, { method: 'GET', path: '/health', headers: {} }), {
    name: 'AnswerError',
    message: /closed in the middle of the answer/,
  });
  await assert.rejects(exchange(dir.file('nothing.sock'), { method: 'GET', path: '/health', headers: {} }), {
    code: 'ENOENT',
  });
});

test('exchange refuses a header or path that would split the request (nothing is sent)', async (t) => {
  const dir = RoomDir.create(t);
  const fake = await server(t, dir, (socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
  const send = (path: string, headers: Record<string, string>) => exchange(fake.path, { method: 'GET', path, headers });
  await assert.rejects(send('/health', { authorization: 'Bearer a\r\nX-Evil: 1' }), TypeError);
  await assert.rejects(send('/health HTTP/1.1\r\nX: y', {}), TypeError);
  await assert.rejects(send('/health', { 'bad name': 'x' }), TypeError);
  assert.equal((await send('/health', {})).status, 204);
  assert.equal(fake.requests.length, 1);
});

test('room send prints a chunked 201 whole, and says so when the broker hangs up mid-answer (exit 3)', async (t) => {
  const dir = RoomDir.create(t);
  const line = '{"type":"message","id":"x","room":"fake","user":"a","ts":"t","seq":1,"content":"hi"}\n';
  let cut = false;
  await server(t, dir, (socket) => {
    if (cut) {
      socket.end(`HTTP/1.1 201 Created\r\nContent-Length: ${line.length}\r\n\r\n${line.slice(0, 10)}`);
      return;
    }
    socket.write('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    socket.end(`${line.length.toString(16)}\r\n${line}\r\n0\r\n\r\n`);
  });
  const env = { ROOM_TOKEN: '00000000-0000-4000-8000-000000000000' };
  const ok = await dir.run(['send', 'fake', 'hi'], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, line);
  cut = true;
  const hungUp = await dir.run(['send', 'fake', 'hi'], { env });
  assert.equal(hungUp.code, 3);
  assert.equal(hungUp.stdout, '');
  assert.match(hungUp.stderr, /cannot reach the broker on .*: the connection closed in the middle of the answer/);
});

test('room send with a token holding a line break: invalid_token (exit 4), nothing sent', async (t) => {
  const dir = RoomDir.create(t);
  const fake = await server(t, dir, (socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
  const result = await dir.run(['send', 'fake', 'hi'], { env: { ROOM_TOKEN: 'abc\r\nX-Evil: 1' } });
  assert.equal(result.code, 4);
  assert.match(result.stderr, /line break or control character/);
  assert.equal(fake.requests.length, 0);
});
