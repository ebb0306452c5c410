// Slow requests are cut: a body (or headers) that does not arrive within the
// request timeout gets a 408 `{code, message}` and its connection is closed,
// so a crowd of slow clients cannot hold the broker. SSE streams are not cut
// by it: the timeout ends once a request is in.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { RoomDir, SseReader, http, waitUntil } from './helpers.ts';

const TIMEOUT_MS = 300;
const SLOW_CLIENTS = 60;

/** A client that sends `start` and then nothing; resolves with what the broker answered when it closes. */
function slowClient(socket: string, start: string): { done: Promise<string>; conn: Socket } {
  const conn = connect({ path: socket });
  const done = new Promise<string>((resolve) => {
    let answer = '';
    conn.on('connect', () => conn.write(start));
    conn.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    conn.on('error', () => {});
    conn.on('close', () => resolve(answer));
  });
  return { done, conn };
}

test('slow bodies and slow headers are cut with a 408 after the request timeout; the broker stays reachable and streams stay open', {
  timeout: 60_000,
}, async (t) => {
  const dir = RoomDir.create(t);
  const env = { ROOM_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) };
  const join = await dir.run(['join', 'r', 'alice'], { env });
  assert.equal(join.code, 0, join.stderr);
  const alice = JSON.parse(join.stdout).token as string;
  const socket = dir.socket('r');

  const stream = new SseReader(socket, '/events', alice);
  t.after(() => stream.close());
  await stream.waitFor((s) => s.events().some((e) => e.type === 'join'));

  const clients = Array.from({ length: SLOW_CLIENTS }, (_, i) =>
    slowClient(
      socket,
      i % 3 === 0
        ? 'POST /messages HTTP/1.1\r\nHost: room\r\nContent-Ty' // headers never finish
        : `POST /messages HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${alice}\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nslow`,
    ),
  );
  t.after(() => {
    for (const c of clients) c.conn.destroy();
  });
  const answers = await Promise.all(clients.map((c) => c.done));
  for (const answer of answers) {
    assert.match(answer, /^HTTP\/1\.1 408 /, answer);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    assert.equal(body.code, 'request_timeout');
  }

  // By now the stream has been open for longer than the timeout.
  const sent = await http(socket, 'POST', '/messages', { token: alice, body: 'still here' });
  assert.equal(sent.status, 201);
  await stream.waitFor((s) => s.events().some((e) => e.content === 'still here'));
  assert.equal(stream.ended, false);
  await waitUntil(async () => (await http(socket, 'GET', '/health')).status === 200);
  assert.doesNotMatch(readFileSync(dir.file('room-r.log'), 'utf8'), /internal error/);
});
