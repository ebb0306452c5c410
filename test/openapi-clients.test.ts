// The committed OpenAPI document generates correct clients and passes two
// independent linters: openapi-typescript builds types from it and a small
// program that uses the wire values, calls every operation and narrows
// events and stream frames by their tag type-checks; Redocly and Spectral
// find no error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers.ts';

const run = promisify(execFile);
const DOCUMENT = join(ROOT, 'openapi', 'openapi.json');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

type Operation = {
  operationId?: string;
  tags?: string[];
  description?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};
const document = JSON.parse(readFileSync(DOCUMENT, 'utf8')) as {
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { discriminator?: { mapping?: Record<string, string> }; oneOf?: unknown[] }> };
};
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
);

test('every discriminator maps its wire values to its schemas', () => {
  const schemas = document.components.schemas;
  const expected: Record<string, string[]> = {
    Event: ['join', 'leave', 'message', 'reply', 'command', 'system', 'dm'],
    Inbound: ['message', 'reply', 'command', 'dm'],
    StreamFrame: ['message', 'close', 'clear', 'nats'],
  };
  for (const [name, values] of Object.entries(expected)) {
    const mapping = schemas[name]?.discriminator?.mapping;
    assert.deepEqual(Object.keys(mapping ?? {}).sort(), [...values].sort(), name);
  }
  for (const [name, schema] of Object.entries(schemas)) {
    if (schema.discriminator === undefined) continue;
    assert.equal(Object.keys(schema.discriminator.mapping ?? {}).length, schema.oneOf?.length, `${name}: every branch`);
  }
});

test('every operation has an operationId, a declared tag and a description; /health and /join need no token', () => {
  const tags = new Set(document.tags.map((t) => t.name));
  const ids = new Set<string>();
  for (const { path, method, operation } of operations) {
    const where = `${method.toUpperCase()} ${path}`;
    assert.match(operation.operationId ?? '', /^[a-z][A-Za-z]+$/, `${where}: operationId`);
    assert.ok(!ids.has(operation.operationId!), `${where}: unique operationId`);
    ids.add(operation.operationId!);
    assert.ok((operation.tags ?? []).length > 0 && operation.tags!.every((t) => tags.has(t)), `${where}: tags`);
    assert.ok((operation.description ?? '').length > 20, `${where}: description`);
  }
  assert.deepEqual(document.paths['/health']?.get?.security, []);
  assert.deepEqual(document.paths['/join']?.post?.security, []);
  const joinResponses = Object.keys(document.paths['/join']?.post?.responses ?? {});
  for (const status of ['413', '415']) assert.ok(joinResponses.includes(status), `/join documents ${status}`);
  const stream = document.paths['/events']?.get?.responses['200']?.content?.['text/event-stream']?.schema?.$ref;
  assert.equal(
    stream,
    '#/components/schemas/StreamFrame',
    'the stream is typed by its frames, close, clear and nats included',
  );
});

/** A program written against the generated types, as a third-party client would. */
function clientProgram(): string {
  // One typed call per operation in the document, whatever operations it has.
  const calls = operations.map(({ path, method, operation }) => {
    const id = operation.operationId!;
    const ok = Object.keys(operation.responses).find((status) => status.startsWith('2'))!;
    const type = operation.responses[ok]?.content?.['application/json']
      ? `operations['${id}']['responses'][${ok}]['content']['application/json']`
      : 'unknown';
    return `  const ${id}: ${type} = await call(${JSON.stringify(method.toUpperCase())}, ${JSON.stringify(path)});\n  void ${id};`;
  });
  return `import type { components, operations } from './api.ts';

type Event = components['schemas']['Event'];
type Inbound = components['schemas']['Inbound'];
type Frame = components['schemas']['StreamFrame'];
type ErrorCode = components['schemas']['ErrorResponse']['code'];

declare function call<T>(method: string, path: string, body?: unknown): Promise<T>;

// Wire values, exactly as the README's examples send them.
export const outgoing: Inbound[] = [
  { type: 'message', content: 'hello' },
  { type: 'reply', reply_to: 'abcd', content: 'yes' },
  { type: 'command', cmd: 'who' }, // params has a default: it is optional here
  { type: 'command', cmd: 'claim', params: ['src/a.ts'] },
  { type: 'dm', to: 'bob', content: 'psst' },
];
export const codes: ErrorCode[] = ['idempotency_key_reused', 'method_not_allowed', 'invalid_token'];

export function describe(event: Event): string {
  switch (event.type) {
    case 'message':
    case 'system':
      return event.content;
    case 'reply':
      return event.reply_to;
    case 'command':
      return event.params.join(' '); // always present on stored events
    case 'dm':
      return event.to;
    case 'join':
    case 'leave':
      return event.user;
  }
}

export function onFrame(frame: Frame): 'keep' | 'drop-history' | 'close' | 'reconnect-later' | 'read-only' {
  switch (frame.event) {
    case 'nats':
      return frame.data.state === 'unreachable' ? 'read-only' : 'keep';
    case 'message':
      return describe(frame.data) === '' ? 'keep' : 'keep';
    case 'clear':
      return 'drop-history';
    case 'close':
      return frame.data.reason === 'shutdown' ? 'reconnect-later' : 'close';
  }
}

export async function everyOperation(): Promise<void> {
${calls.join('\n')}
}
`;
}

test('openapi-typescript generates types that a client using wire values type-checks against', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'room-openapi-client-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await run(bin('openapi-typescript'), [DOCUMENT, '-o', join(dir, 'api.ts')], { cwd: ROOT });
  writeFileSync(join(dir, 'client.ts'), clientProgram());
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        module: 'nodenext',
        allowImportingTsExtensions: true,
        noFallthroughCasesInSwitch: true,
        types: [],
      },
      files: ['client.ts'],
    }),
  );
  const result = await run(bin('tsc'), ['-p', dir], { cwd: ROOT }).catch((error: { stdout: string }) => error);
  assert.equal(result.stdout, '', `the client does not type-check:\n${result.stdout}`);
});

test('Redocly lints the document with no error', async () => {
  const { stdout, stderr } = await run(bin('redocly'), ['lint', DOCUMENT, '--format', 'stylish'], {
    cwd: ROOT,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
  assert.doesNotMatch(`${stdout}${stderr}`, /\berror\b/i);
});

test('Spectral lints the document with no error (its oas ruleset, .spectral.yaml)', async () => {
  const { stdout } = await run(bin('spectral'), ['lint', DOCUMENT, '--quiet', '--format', 'json'], {
    cwd: ROOT,
  });
  const problems = JSON.parse(stdout) as Array<{ severity: number; code: string; message: string }>;
  assert.deepEqual(
    problems.filter((p) => p.severity === 0),
    [],
  );
});
