// 10,000 generated requests against a real broker (issue 9): random methods,
// the OpenAPI document's paths and garbage ones, query strings, headers
// (Authorization, Content-Type and charset, Idempotency-Key, Expect), bodies
// (valid envelopes, wrong types, huge, truncated, invalid UTF-8, deep
// nesting), chunked encodings and pipelined requests, over node:http and raw
// sockets. The broker must stay up and answer /health throughout; no 5xx but
// the documented 503 room_closing and 507 disk_full; every error is
// `{code, message}` with a code from shared/errors.ts and its status; every
// line of the history is a valid event with a strictly increasing seq; every
// 201 answer is a line of the history, byte for byte.
//
// The fuzzer is a member, not the host: the host's commands (/exit, /clear,
// /kick, /clear-tokens) end or empty the room by design, so they are sent
// and must be refused with 403. Replay a run with ROOM_FUZZ_SEED=<seed>;
// ROOM_FUZZ_REQUESTS changes the count.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ERRORS, isErrorCode } from '../shared/errors.ts';
import { parseEvent } from '../shared/validate.ts';
import { http, isAlive, RoomDir } from './helpers.ts';

const REQUESTS = Number(process.env.ROOM_FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 16;
/** A request that gets no answer in this time is a hang (long-polls and streams are cut sooner, on purpose). */
const ANSWER_DEADLINE_MS = 15_000;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof prng>;

/** One answer as received: checked by checkOutcome, and a 201's event is looked for in the history. */
interface Outcome {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

interface Known {
  readonly bob: string;
  readonly ids: string[];
  readonly keys: string[];
}

// Sends weigh more: they are what the history invariants are about.
const API_PATHS = [
  '/messages',
  '/messages',
  '/messages',
  '/health',
  '/users',
  '/join',
  '/messages',
  '/messages/{id}',
  '/events',
  '/claims',
  '/listen',
  '/openapi.json',
];
const GARBAGE_PATHS = [
  '/',
  '//messages',
  '/messages/',
  '/MESSAGES',
  '/health/',
  '/health/x',
  '/../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/messages/%00',
  '/messages/..%2f..%2f',
  '/messages%zz',
  '/%ff%fe',
  '/__proto__',
  '/constructor',
  '/messages/__proto__',
  '/users/alice',
  '/join/x',
  '/documentation',
  `/${'a'.repeat(3000)}`,
  '/é',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const RAW_ONLY_METHODS = ['TRACE', 'CONNECT', 'FOO', 'get', 'G ET', 'PROPFIND', ''];
const COMMANDS = [
  'who',
  'set_status',
  'dm',
  'reply',
  'claim',
  'release',
  'claims',
  'help',
  'kick',
  'reauth',
  'clear-tokens',
  'clear',
  'exit',
  'nope',
  '',
  '__proto__',
  'CLAIM',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset="UTF-8"',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/plain; charset=iso-8859-1',
  'text/plain; charset=',
  'text/html',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  ';;;',
  'application/json; charset=utf-8; charset=latin1',
  '',
];

function randomText(rng: Rng, max = 40): string {
  const alphabets = [
    'abcdefghijklmnopqrstuvwxyz ',
    '@alice @bob /claim src/a.ts ',
    'éü☕🙂\u0000\u202e\ufeff\n\r\t"\\',
    '<script>&amp;%00%zz{}[]',
  ];
  let out = '';
  const n = rng.int(max);
  for (let i = 0; i < n; i++) out += Array.from(rng.pick(alphabets)).at(rng.int(8))!;
  return out;
}

function randomScalar(rng: Rng): unknown {
  return rng.pick([
    () => randomText(rng),
    () => rng.int(1e6) - 5e5,
    () => rng.next(),
    () => true,
    () => null,
    () => [],
    () => ({}),
    () => [randomText(rng), 1],
    () => ({ __proto__: { polluted: true } }),
    () => '',
  ])();
}

function idLike(rng: Rng, known: Known): string {
  const id = known.ids.length > 0 ? rng.pick(known.ids) : '00000000-0000-4000-8000-000000000000';
  return rng.pick([
    id,
    id.slice(0, 1 + rng.int(12)),
    id.toUpperCase(),
    `${id}x`,
    '',
    'zzzz',
    '-',
    '0',
    String(rng.int(1e4)),
    randomText(rng, 10),
  ]);
}

/** An inbound envelope: valid, or with one thing wrong. */
function envelope(rng: Rng, known: Known): unknown {
  const type = rng.chance(0.85)
    ? rng.pick(['message', 'message', 'message', 'reply', 'command', 'command', 'dm'])
    : rng.pick(['join', 'system', 'bogus', '']);
  const valid: Record<string, unknown> = { type };
  if (type === 'message' || type === 'reply' || type === 'dm' || type === 'system')
    valid.content = rng.chance(0.05) ? 'x'.repeat(64 * 1024 + rng.int(3)) : randomText(rng) || 'hi';
  if (type === 'reply') valid.reply_to = idLike(rng, known);
  if (type === 'dm') valid.to = rng.pick(['alice', '@alice', 'bob', 'nobody', 'ALICE', '', '__proto__']);
  if (type === 'command') {
    valid.cmd = rng.pick(COMMANDS);
    valid.params = Array.from({ length: rng.int(4) }, () =>
      rng.pick(['src/a.ts', 'alice', randomText(rng, 12), '--ttl', '5m', idLike(rng, known)]),
    );
  }
  if (rng.chance(0.75)) return valid;
  // One thing wrong.
  const broken: Record<string, unknown> = { ...valid };
  const field = rng.pick(['type', 'content', 'reply_to', 'to', 'cmd', 'params', 'extra', 'id', 'seq', 'user']);
  switch (rng.int(3)) {
    case 0:
      delete broken[field];
      break;
    case 1:
      broken[field] = randomScalar(rng);
      break;
    default:
      broken[field] = randomText(rng);
  }
  return broken;
}

function deepNesting(rng: Rng): string {
  const depth = rng.pick([100, 5_000, 100_000]);
  return rng.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A body and the content type it is sent with (which may not match it). */
function body(rng: Rng, path: string, known: Known): { bytes: Buffer; contentType: string | undefined } {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const matching = path === '/join' ? 'application/json' : rng.pick(['application/json', 'text/plain']);
  let contentType: string | undefined = rng.chance(0.75)
    ? matching
    : rng.chance(0.8)
      ? rng.pick(CONTENT_TYPES)
      : undefined;
  let bytes: Buffer;
  const kind = rng.int(20);
  if (kind < 11) {
    if (contentType?.startsWith('text/plain') === true) bytes = Buffer.from(randomText(rng) || 'hello');
    else if (path === '/join')
      bytes = json(
        rng.chance(0.7)
          ? { username: rng.pick([`u${rng.int(1e6)}`, 'bob', 'alice', 'Broker', '__proto__', '', '../x', 'a b', 42]) }
          : { username: randomScalar(rng), extra: rng.chance(0.5) ? 1 : undefined },
      );
    else bytes = json(envelope(rng, known));
  } else if (kind < 13)
    bytes = Buffer.from(JSON.stringify(envelope(rng, known)).slice(0, rng.int(30))); // truncated JSON
  else if (kind === 13)
    bytes = Buffer.concat([
      Buffer.from('{"type":"message","content":"caf'),
      Buffer.from([0xe9, 0xff, 0xc3]),
      Buffer.from('"}'),
    ]);
  else if (kind === 14) bytes = Buffer.from(deepNesting(rng));
  else if (kind === 15)
    bytes = Buffer.alloc(rng.pick([512 * 1024 + 1, 600 * 1024, 2 * 1024 * 1024]), 0x61); // over the limit
  else if (kind === 16)
    bytes = Buffer.from(
      rng.pick(['', 'null', '[]', '"x"', '42', 'true', '{}', '\ufeff{}', '{"__proto__":{"type":"message"}}']),
    );
  else if (kind === 17) bytes = Buffer.from(Array.from({ length: rng.int(200) }, () => rng.int(256)));
  else if (kind === 18)
    bytes = json({ type: 'message', content: 'hi', nested: JSON.parse(`${'{"a":'.repeat(50)}1${'}'.repeat(50)}`) });
  else {
    bytes = Buffer.from('{"type":"message","content":"x"}');
    contentType = rng.pick(CONTENT_TYPES);
  }
  return { bytes, contentType };
}

function queryString(rng: Rng, path: string, known: Known): string {
  if (rng.chance(0.4)) return '';
  const keys =
    path === '/messages'
      ? ['since', 'after', 'before', 'limit', 'user', 'type', 'mentions', 'wait']
      : path === '/events'
        ? ['n', 'after', 'epoch']
        : path === '/claims'
          ? ['path']
          : ['x'];
  const values = [
    () => String(rng.int(20)),
    () => String(rng.int(1e9)),
    () => '-1',
    () => '1.5',
    () => 'abc',
    () => '',
    () => encodeURIComponent(idLike(rng, known)),
    () => encodeURIComponent(randomText(rng, 10)),
    () => '%zz',
    () => 'me',
    () => 'message',
    () => 'alice',
    () => 'src/a.ts',
  ];
  const parts: string[] = [];
  for (let i = rng.int(4); i >= 0; i--) {
    const key = rng.chance(0.85) ? rng.pick(keys) : rng.pick(['foo', '__proto__', 'constructor', 'a[b]', '']);
    let value = rng.pick(values)();
    // A long-poll holds its answer up to `wait` seconds: keep the run short.
    if (key === 'wait' && /^\d+$/.test(value)) value = rng.pick(['0', '1', '61', '99999999999']);
    parts.push(rng.chance(0.1) ? key : `${key}=${value}`);
  }
  return `?${parts.join(rng.chance(0.9) ? '&' : ';')}`;
}

function authorization(rng: Rng, known: Known): string | undefined {
  if (rng.chance(0.6)) return `Bearer ${known.bob}`;
  return rng.pick([
    `Bearer ${known.bob}`,
    `Bearer ${known.bob}`,
    `Bearer ${known.bob}`,
    undefined,
    `bearer ${known.bob}`,
    `Bearer  ${known.bob}`,
    `Bearer ${known.bob.slice(0, -1)}x`,
    `Bearer ${known.bob}${known.bob}`,
    'Bearer',
    'Bearer ',
    `Basic ${Buffer.from('bob:x').toString('base64')}`,
    `Token ${known.bob}`,
    `Bearer ${'a'.repeat(5000)}`,
    'Bearer __proto__',
    'Bearer constructor',
    '',
  ]);
}

function idempotencyKey(rng: Rng, known: Known): string | undefined {
  if (rng.chance(0.6)) return undefined;
  return rng.pick([
    () => crypto.randomUUID(),
    () => rng.pick(known.keys),
    () => rng.pick(known.keys),
    () => '',
    () => ' ',
    () => 'k'.repeat(256),
    () => 'k'.repeat(255),
    () => 'a b',
    () => '__proto__',
  ])();
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
  /** Sent in pieces with Transfer-Encoding: chunked (node:http) instead of Content-Length. */
  readonly chunked: boolean;
}

function request(rng: Rng, known: Known): Request {
  let path = rng.chance(0.85) ? rng.pick(API_PATHS) : rng.pick(GARBAGE_PATHS);
  const route = path;
  // Mostly a method the route takes (so requests get past routing), else any.
  const usual = route === '/join' ? ['POST'] : route === '/messages' ? ['POST', 'POST', 'GET'] : ['GET'];
  const method = rng.chance(0.7) ? rng.pick(usual) : rng.pick(METHODS);
  if (path === '/messages/{id}') path = `/messages/${encodeURIComponent(idLike(rng, known))}`;
  path += queryString(rng, route, known);
  const headers: Record<string, string> = {};
  const auth = authorization(rng, known);
  if (auth !== undefined) headers.authorization = auth;
  let requestBody: Buffer | undefined;
  if (method === 'POST' || rng.chance(0.1)) {
    const made = body(rng, route, known);
    requestBody = made.bytes;
    if (made.contentType !== undefined) headers['content-type'] = made.contentType;
  } else if (rng.chance(0.05)) headers['content-type'] = rng.pick(CONTENT_TYPES);
  const key = idempotencyKey(rng, known);
  if (key !== undefined) headers['idempotency-key'] = key;
  if (route === '/events' && rng.chance(0.3))
    headers['last-event-id'] = idLike(rng, known).replace(/[^\x20-\x7e]/g, '?');
  if (rng.chance(0.05)) headers.expect = rng.pick(['100-continue', 'nonsense']);
  if (rng.chance(0.05)) headers.accept = rng.pick(['text/event-stream', 'application/json', '*/*', 'x']);
  return { method, path, headers, body: requestBody, chunked: requestBody !== undefined && rng.chance(0.2) };
}

/** Sends one request with node:http; a stream or long-poll is read up to its first bytes, then cut. */
function viaNodeHttp(socketPath: string, req: Request, rng: Rng): Promise<Outcome | null> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (req.body !== undefined && !req.chunked) headers['content-length'] = String(req.body.length);
    let settled = false;
    const finish = (outcome: Outcome | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      settled = true;
      outgoing?.destroy();
      reject(new Error(`no answer within ${ANSWER_DEADLINE_MS} ms: ${req.method} ${req.path}`));
    }, ANSWER_DEADLINE_MS);
    let outgoing: ReturnType<typeof httpRequest> | undefined;
    let answered = false;
    outgoing = httpRequest(
      { socketPath, method: req.method, path: req.path, headers, agent: false, insecureHTTPParser: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        const contentType = String(res.headers['content-type'] ?? '');
        const outcome = () => ({
          method: req.method,
          path: req.path,
          status: res.statusCode ?? 0,
          contentType,
          body: Buffer.concat(chunks),
        });
        if (contentType.startsWith('text/event-stream') && req.method !== 'HEAD') {
          // A live stream: its first frame is enough.
          res.once('data', () => {
            finish(outcome());
            outgoing?.destroy();
          });
          res.on('error', () => finish(outcome()));
          return;
        }
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => finish(outcome()));
        res.on('error', () => finish(outcome()));
      },
    );
    // The broker may answer (413, 415, 401) and close before the body is all sent: then the
    // answer's own handlers finish; with no answer, the connection's end is the signal.
    outgoing.on('error', () => outgoing.once('close', () => answered || finish(null)));
    if (req.body === undefined) outgoing.end();
    else if (!req.chunked) outgoing.end(req.body);
    else {
      let at = 0;
      while (at < req.body.length) {
        const size = 1 + rng.int(Math.max(1, Math.min(req.body.length - at, 4096)));
        outgoing.write(req.body.subarray(at, at + size));
        at += size;
      }
      outgoing.end();
    }
  });
}

/** The bytes of one request as written on a raw socket, well framed or not. */
function rawBytes(rng: Rng, req: Request, last: boolean): { bytes: Buffer; framed: boolean; method: string } {
  const method = rng.chance(0.1) ? rng.pick(RAW_ONLY_METHODS) : req.method;
  let head = `${method} ${rng.chance(0.03) ? `http://room${req.path}` : req.path} ${rng.chance(0.03) ? 'HTTP/1.0' : 'HTTP/1.1'}\r\n`;
  if (rng.chance(0.95)) head += 'Host: room\r\n';
  for (const [name, value] of Object.entries(req.headers)) head += `${name}: ${value}\r\n`;
  if (rng.chance(0.05)) head += `Authorization: Bearer second-token\r\n`;
  if (rng.chance(0.03)) head += `X-Latin: caf\u00e9\r\n`;
  if (rng.chance(0.02)) head += 'Bad Header\r\n';
  if (rng.chance(0.02)) head += ' folded: continuation\r\n';
  if (last) head += 'Connection: close\r\n';
  const payload = req.body ?? Buffer.alloc(0);
  const framing = rng.int(10);
  let framed = true;
  let tail: Buffer;
  if (framing < 5) {
    head += `Content-Length: ${payload.length}\r\n`;
    tail = payload;
  } else if (framing < 8) {
    head += 'Transfer-Encoding: chunked\r\n';
    const parts: Buffer[] = [];
    for (let at = 0; at < payload.length; ) {
      const size = 1 + rng.int(Math.min(payload.length - at, 1000));
      const ext = rng.chance(0.05) ? ';ext=1' : '';
      parts.push(Buffer.from(`${size.toString(16)}${ext}\r\n`), payload.subarray(at, at + size), Buffer.from('\r\n'));
      at += size;
    }
    parts.push(Buffer.from(rng.chance(0.05) ? '0\r\nX-Trailer: 1\r\n\r\n' : '0\r\n\r\n'));
    tail = Buffer.concat(parts);
  } else if (framing === 8) {
    // Broken framing: the parser must answer 400 and close.
    head += rng.pick([
      'Content-Length: -1\r\n',
      'Content-Length: 1x\r\n',
      `Content-Length: ${payload.length}\r\nContent-Length: ${payload.length + 1}\r\n`,
      'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n',
      'Transfer-Encoding: gzip\r\n',
    ]);
    tail = payload;
    framed = false;
  } else {
    // Truncated: promises more than it sends.
    head += `Content-Length: ${payload.length + 1 + rng.int(100)}\r\n`;
    tail = payload;
    framed = false;
  }
  return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from('\r\n'), tail]), framed, method };
}

/** Splits a raw answer into responses (1xx skipped); a stream ends the parse. */
function parseResponses(data: Buffer, methods: readonly string[]): Outcome[] {
  const out: Outcome[] = [];
  let at = 0;
  let index = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    assert.ok(
      end !== -1,
      `an incomplete response head in ${JSON.stringify(data.toString('latin1').slice(0, 2000))} (requests: ${methods.join(', ')})`,
    );
    const head = data.subarray(at, end).toString('latin1');
    at = end + 4;
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
    assert.ok(Number.isInteger(status), `a bad status line: ${JSON.stringify(head)}`);
    if (status < 200) continue;
    const header = (name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1]?.trim();
    const contentType = header('content-type') ?? '';
    const method = methods[index++] ?? 'GET';
    if (contentType.startsWith('text/event-stream')) {
      out.push({ method, path: '', status, contentType, body: Buffer.alloc(0) });
      break;
    }
    let responseBody: Buffer;
    const length = header('content-length');
    const closing = /^connection: *close/im.test(head);
    // Malformed HTTP is answered with a body whatever the method looked like: the connection closes after it.
    const headless = method === 'HEAD' && !(closing && !data.subarray(at, at + 9).equals(Buffer.from('HTTP/1.1 ')));
    if (headless || status === 204 || status === 304) responseBody = Buffer.alloc(0);
    else if (length !== undefined) {
      responseBody = data.subarray(at, at + Number(length));
      at += Number(length);
    } else if (/chunked/i.test(header('transfer-encoding') ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const line = data.indexOf('\r\n', at);
        if (line === -1) break;
        const size = Number.parseInt(data.subarray(at, line).toString('latin1'), 16);
        at = line + 2;
        if (size === 0) {
          at = data.indexOf('\r\n', at) + 2;
          break;
        }
        parts.push(data.subarray(at, at + size));
        at += size + 2;
      }
      responseBody = Buffer.concat(parts);
    } else {
      responseBody = data.subarray(at);
      at = data.length;
    }
    out.push({ method, path: '', status, contentType, body: responseBody });
  }
  return out;
}

/** Writes 1-3 pipelined requests on one connection; returns the answers that came back. */
function viaRawSocket(socketPath: string, reqs: readonly Request[], rng: Rng): Promise<Outcome[]> {
  const pieces = reqs.map((req, i) => rawBytes(rng, req, i === reqs.length - 1));
  // After a request with bad framing nothing more can be parsed; a truncated one waits for bytes that never come.
  const cut = pieces.findIndex((p) => !p.framed);
  const sent = cut === -1 ? pieces : pieces.slice(0, cut + 1);
  const bytes = Buffer.concat(sent.map((p) => p.bytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const conn = connect({ path: socketPath });
    const timer = setTimeout(() => {
      conn.destroy();
      reject(
        new Error(
          `raw connection not closed within ${ANSWER_DEADLINE_MS} ms: ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))}`,
        ),
      );
    }, ANSWER_DEADLINE_MS);
    conn.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A stream never ends: once its head is in, hang up.
      if (/content-type: text\/event-stream/i.test(Buffer.concat(chunks).toString('latin1'))) conn.destroy();
    });
    conn.on('error', () => {});
    conn.on('close', () => {
      clearTimeout(timer);
      try {
        const sentText = JSON.stringify(bytes.subarray(0, 400).toString('latin1'));
        const answers = parseResponses(
          Buffer.concat(chunks),
          sent.map((p) => p.method),
        );
        resolve(answers.map((a) => ({ ...a, path: `(raw) ${sentText}` })));
      } catch (error) {
        reject(error);
      }
    });
    // Split the bytes at random places, as a slow network would.
    let at = 0;
    const writeSome = () => {
      if (conn.destroyed) return;
      if (at >= bytes.length) {
        // A truncated or badly framed request: give up on it (the broker sees the end of the stream).
        if (cut !== -1) conn.end();
        return;
      }
      const size = rng.chance(0.7) ? bytes.length - at : 1 + rng.int(Math.max(1, bytes.length - at));
      conn.write(bytes.subarray(at, at + size));
      at += size;
      setImmediate(writeSome);
    };
    conn.on('connect', writeSome);
  });
}

/** An answer must be one of the API's: no 5xx but the documented ones, errors as `{code, message}`. */
function checkOutcome(outcome: Outcome, created: Map<string, string>): void {
  const where = `${outcome.method} ${outcome.path} → ${outcome.status} ${JSON.stringify(outcome.body.subarray(0, 300).toString())}`;
  assert.ok(outcome.status >= 200 && outcome.status < 600, where);
  if (outcome.status >= 500) assert.ok(outcome.status === 503 || outcome.status === 507, `a 5xx: ${where}`);
  if (outcome.status >= 400 && (outcome.method !== 'HEAD' || outcome.body.length > 0)) {
    assert.match(outcome.contentType, /^application\/json/, where);
    const text = outcome.body.toString('utf8');
    assert.ok(text.endsWith('\n'), `the error body ends with a newline: ${where}`);
    const error = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(error).sort(), ['code', 'message'], where);
    assert.ok(isErrorCode(error.code), `a code from shared/errors.ts: ${where}`);
    assert.equal(typeof error.message, 'string', where);
    assert.equal(ERRORS[error.code].status, outcome.status, `the code's status: ${where}`);
    assert.ok(!('clientOnly' in ERRORS[error.code]), `a code only clients make: ${where}`);
    if (outcome.status === 503) assert.equal(error.code, 'room_closing', where);
    if (outcome.status === 507) assert.equal(error.code, 'disk_full', where);
  }
  if (outcome.status === 201 && outcome.method === 'POST' && outcome.body.length > 0) {
    const line = outcome.body.toString('utf8');
    const event = parseEvent(line.trimEnd());
    if (event !== null) created.set(event.id, line.trimEnd());
  }
}

test('10,000 generated requests: the broker stays up, answers every error as {code, message}, keeps a valid history', async (t) => {
  const seed = process.env.ROOM_FUZZ_SEED !== undefined ? Number(process.env.ROOM_FUZZ_SEED) : Date.now() % 2 ** 31;
  t.diagnostic(`seed ${seed} (replay with ROOM_FUZZ_SEED=${seed})`);
  console.log(`# http-fuzz seed ${seed}`);
  const rng = prng(seed);
  const dir = RoomDir.create(t);
  // The host (alice) starts the broker; slow or truncated bodies are cut after 3 s.
  const host = await dir.run(['join', 'r', 'alice'], { env: { ROOM_REQUEST_TIMEOUT_MS: '3000' } });
  assert.equal(host.code, 0, host.stderr);
  const bob = await dir.join('r', 'bob');
  const socket = dir.socket('r');
  const [broker] = dir.brokerPids();
  assert.ok(broker !== undefined);
  const known: Known = {
    bob,
    ids: [],
    keys: Array.from({ length: 8 }, (_, i) => `fuzz-key-${i}`),
  };
  const created = new Map<string, string>();
  const statuses = new Map<number, number>();
  let unanswered = 0;
  const started = Date.now();
  for (let done = 0; done < REQUESTS; ) {
    const batch: Promise<Outcome[]>[] = [];
    for (let i = 0; i < CONCURRENCY && done < REQUESTS; i++) {
      if (rng.chance(0.7)) {
        const req = request(rng, known);
        done++;
        batch.push(viaNodeHttp(socket, req, rng).then((o) => (o === null ? [] : [o])));
      } else {
        const reqs = Array.from({ length: Math.min(1 + rng.int(3), REQUESTS - done) }, () => request(rng, known));
        done += reqs.length;
        batch.push(viaRawSocket(socket, reqs, rng));
      }
    }
    for (const outcomes of await Promise.all(batch)) {
      if (outcomes.length === 0) unanswered++;
      for (const outcome of outcomes) {
        statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
        checkOutcome(outcome, created);
      }
    }
    for (const id of created.keys()) if (known.ids.length < 200 && !known.ids.includes(id)) known.ids.push(id);
    const health = await http(socket, 'GET', '/health');
    assert.equal(health.status, 200, `the broker answers /health after ${done} requests: ${health.body}`);
  }
  t.diagnostic(
    `${REQUESTS} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ${unanswered} cut before an answer; ${created.size} events created`,
  );
  assert.ok(isAlive(broker), 'the broker is still the same process');
  assert.deepEqual(dir.brokerPids(), [broker], 'no second broker started');
  assert.doesNotMatch(readFileSync(dir.file('room-r.log'), 'utf8'), /internal error/);

  const lines = readFileSync(dir.file('r.chat'), 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'the history ends with a newline');
  let seq = 0;
  const inFile = new Set<string>();
  for (const [i, line] of lines.entries()) {
    const event = parseEvent(line);
    assert.ok(event !== null, `line ${i + 1} is a valid event: ${line.slice(0, 300)}`);
    assert.ok(event.seq > seq, `seq increases at line ${i + 1}: ${event.seq} after ${seq}`);
    seq = event.seq;
    inFile.add(line);
  }
  for (const [id, line] of created) assert.ok(inFile.has(line), `the 201 answer for ${id} is a line of the history`);
});
