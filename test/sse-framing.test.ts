// The bytes of a live stream on the wire (server/hub.ts writeLive): a batch
// framed as one chunk of the chunked coding and written to the socket
// directly must be exactly what res.write would have sent; the fallbacks
// (HTTP/1.0, unchunked; a stream pipelined behind another request on one
// connection) must be framed by Node as before. Read on raw sockets, with
// every chunk's size checked.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { RoomDir, http, waitUntil } from './helpers.ts';

/** A raw connection that collects every byte it receives. */
function rawConnection(t: TestContext, socketPath: string, request: string): { bytes: () => Buffer; socket: Socket } {
  const chunks: Buffer[] = [];
  const socket = connect(socketPath);
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.write(request);
  t.after(() => socket.destroy());
  return { bytes: () => Buffer.concat(chunks), socket };
}

/** Splits an HTTP/1.1 answer into its head and, for a chunked body, its chunks; throws on a size that does not match. */
function chunked(bytes: Buffer): { head: string; body: string; rest: Buffer } {
  const end = bytes.indexOf('\r\n\r\n');
  assert.notEqual(end, -1, 'no complete head');
  const head = bytes.subarray(0, end).toString('latin1');
  assert.match(head, /\r\ntransfer-encoding: chunked/i);
  let at = end + 4;
  let body = '';
  for (;;) {
    const eol = bytes.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = Number.parseInt(bytes.subarray(at, eol).toString('latin1'), 16);
    assert.ok(Number.isInteger(size), `a chunk size at byte ${at}`);
    if (bytes.length < eol + 2 + size + 2) break; // the rest has not arrived yet
    assert.equal(bytes.subarray(eol + 2 + size, eol + 4 + size).toString('latin1'), '\r\n', 'chunk ends with CRLF');
    body += bytes.subarray(eol + 2, eol + 2 + size).toString('utf8');
    at = eol + 4 + size;
    if (size === 0) break;
  }
  return { head, body, rest: bytes.subarray(at) };
}

async function setup(t: TestContext) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const socket = dir.socket('r');
  const post = async (token: string, body: object) => {
    const response = await http(socket, 'POST', '/messages', { token, body });
    assert.equal(response.status, 201, response.body);
  };
  return { dir, alice, bob, socket, post };
}

const streamRequest = (token: string, version = '1.1') =>
  `GET /events?n=0 HTTP/${version}\r\nHost: r\r\nAuthorization: Bearer ${token}\r\n\r\n`;

test('live batches are well-formed chunks: public messages and a DM, in order', async (t) => {
  const { alice, bob, socket, post } = await setup(t);
  const raw = rawConnection(t, socket, streamRequest(bob));
  await waitUntil(() => raw.bytes().includes('"type":"join","id"'), 10_000, 'bob joined');
  await Promise.all([
    post(alice, { type: 'message', content: 'one' }),
    post(alice, { type: 'message', content: 'twö' }),
  ]);
  await post(alice, { type: 'dm', to: 'bob', content: 'psst' });
  await post(alice, { type: 'message', content: 'three' });
  await waitUntil(() => raw.bytes().includes('three'), 10_000, 'the last message');
  const { body, rest } = chunked(raw.bytes());
  assert.equal(rest.length, 0);
  const contents = [...body.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(contents, ['one', 'twö', 'psst', 'three']);
  assert.match(body, /^retry: 1000\n: connected\n\n/);
});

test('an HTTP/1.0 stream gets the same frames, unchunked', async (t) => {
  const { alice, bob, socket, post } = await setup(t);
  const raw = rawConnection(t, socket, streamRequest(bob, '1.0'));
  await waitUntil(() => raw.bytes().includes('"type":"join","id"'), 10_000, 'bob joined');
  await post(alice, { type: 'message', content: 'hello' });
  await waitUntil(() => raw.bytes().includes('hello'), 10_000, 'the message');
  const text = raw.bytes().toString('utf8');
  assert.doesNotMatch(text, /transfer-encoding/i);
  assert.match(text, /\r\n\r\nretry: 1000\n: connected\n\n[\s\S]*\nid: \d+\ndata: \{[^\n]*"content":"hello"\}\n\n$/);
});

test('a stream pipelined behind another request on one connection is framed after that answer', async (t) => {
  const { alice, bob, socket, post } = await setup(t);
  const raw = rawConnection(t, socket, `GET /health HTTP/1.1\r\nHost: r\r\n\r\n${streamRequest(bob)}`);
  await waitUntil(() => raw.bytes().includes('"type":"join","id"'), 10_000, 'bob joined');
  await post(alice, { type: 'message', content: 'after health' });
  await waitUntil(() => raw.bytes().includes('after health'), 10_000, 'the message');
  const bytes = raw.bytes();
  const health = bytes.indexOf('HTTP/1.1 200');
  const stream = bytes.indexOf('HTTP/1.1 200', health + 1);
  assert.ok(health === 0 && stream > 0, 'two answers, health first');
  const { body } = chunked(bytes.subarray(stream));
  assert.match(body, /"content":"after health"/);
});
