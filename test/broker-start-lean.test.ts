// A local broker starts from what the build generated (server/precompiled/):
// it validates requests and serves its OpenAPI document without loading any
// of the parts its bundle loads lazily (Ajv compiling validators,
// @fastify/swagger, the NATS clients), nor Node's undici, TLS or HTTP/2.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BROKER_NODE_FLAGS } from '../client/broker-start.ts';
import { http, RoomDir, ROOT, stopProcess } from './helpers.ts';

const BROKER = join(ROOT, 'dist', 'broker.js');

/** dist/broker.js and the dist files it imports statically, each once: what every broker start reads. */
function staticParts(file = BROKER, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  for (const m of code.matchAll(/\bfrom\s*"\.\/([\w.-]+\.js)"/g)) staticParts(join(ROOT, 'dist', m[1]!), seen);
  return seen;
}

/** The dist files dist/broker.js loads with `import()`, only when needed. */
function lazyParts(): string[] {
  const code = readFileSync(BROKER, 'utf8');
  return [...code.matchAll(/\bimport\("\.\/([\w.-]+\.js)"\)/g)].map((m) => m[1]!);
}

test('a local broker validates and serves its document without loading Ajv, swagger or the NATS clients', async (t) => {
  const lazy = lazyParts();
  assert.ok(lazy.length >= 3, `dist/broker.js imports its lazy parts with import(): ${lazy.join(', ')}`);
  const dir = RoomDir.create(t);
  const modules = dir.file('modules.log');
  const env = {
    NODE_OPTIONS: `--import=${join(ROOT, 'test', 'modules-log-hook.ts')}`,
    ROOM_TEST_MODULES_LOG: modules,
  };
  const joined = await dir.run(['join', 'r', 'alice'], { env });
  assert.equal(joined.code, 0, joined.stderr);
  const token = (JSON.parse(joined.stdout) as { token: string }).token;
  const socket = dir.socket('r');

  // Each kind of validator: a body (strict), a query string (coercing), params, headers.
  const bad = await http(socket, 'POST', '/messages', { token, body: { type: 'message', content: 5 } });
  assert.equal(bad.status, 400, bad.body);
  const good = await http(socket, 'POST', '/messages', { token, body: { type: 'message', content: 'hi' } });
  assert.equal(good.status, 201, good.body);
  const page = await http(socket, 'GET', '/messages?limit=1', { token });
  assert.equal(page.status, 200, page.body);
  assert.equal((await http(socket, 'GET', '/messages?limit=x', { token })).status, 400);
  assert.equal((await http(socket, 'GET', `/messages/${good.json().id}`, { token })).status, 200);
  const stream = await http(socket, 'GET', '/events?after=x', { token, headers: { 'last-event-id': 'y' } });
  assert.equal(stream.status, 400, stream.body);
  const served = await http(socket, 'GET', '/openapi.json');
  assert.deepEqual(served.json(), JSON.parse(readFileSync(join(ROOT, 'openapi', 'openapi.json'), 'utf8')));

  const [pid] = dir.brokerPids();
  // Started by the CLI with the product's Node flags (client/broker-start.ts).
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  for (const flag of BROKER_NODE_FLAGS)
    assert.ok(cmdline.includes(flag), `the broker runs with ${flag}: ${cmdline.join(' ')}`);
  const loaded = readFileSync(modules, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${pid} `))
    .map((line) => line.slice(line.indexOf(' ') + 1));
  assert.ok(
    loaded.some((url) => url.endsWith('/dist/broker.js')),
    `the hook saw the broker load: ${loaded.join(', ')}`,
  );
  for (const part of lazy)
    assert.ok(!loaded.some((url) => url.endsWith(`/dist/${part}`)), `the broker loaded dist/${part}`);

  // Nor Node's own modules it never uses (scripts/build.ts: builtins through require(), DEPENDENCY_PATCHES):
  // undici (fetch, and node:http's lazy WebSocket when imported as ESM), TLS, HTTP/2.
  await stopProcess(pid!);
  const internal = readFileSync(modules, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${pid} node:internal `))
    .map((line) => line.slice(`${pid} node:internal `.length));
  assert.ok(internal.includes('http'), `the exit hook listed Node's modules: ${internal.join(', ')}`);
  for (const unused of ['internal/deps/undici/undici', 'tls', 'http2'])
    assert.ok(!internal.includes(unused), `the broker loaded Node's ${unused}`);
});

test("the broker's bundle leaves out what Fastify loads only for options the broker does not use", () => {
  const parts = [...staticParts()];
  assert.ok(parts.length > 1, `dist/broker.js imports chunks: ${parts.join(', ')}`);
  const code = parts.map((file) => readFileSync(file, 'utf8')).join('\n');
  // esbuild names each CommonJS module it bundles by its path: fastify's own files are there, so the check can see.
  assert.ok(code.includes('"node_modules/fastify/lib/request.js"'), "fastify's files are named in the bundle");
  // Ajv's compiler (its runtime helpers, which the generated validators call, stay).
  const left = ['ajv/dist/compile/', 'fast-json-stringify/index.js', 'pino/', 'light-my-request/', 'semver/'];
  for (const path of [...left, 'safe-regex2/', 'ret/', '@fastify/proxy-addr/'])
    assert.ok(!code.includes(`"node_modules/${path}`), `node_modules/${path} is in the broker's bundle`);
});
