// shared/errors.ts: every message room makes comes from the one table, so the
// wording is reviewed in one place and the docs derived from it stay true.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, ERRORS, type MessageKey, RoomError, roomError, templateOf } from '../shared/errors.ts';

const ROOT = join(import.meta.dirname, '..');

/** Every TypeScript source of the product (not tests, benches or scripts), as [path from the root, text]. */
function sources(): Array<[string, string]> {
  const files: Array<[string, string]> = [];
  for (const top of ['shared', 'server', 'client']) {
    for (const entry of readdirSync(join(ROOT, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.tsx?$/.test(entry.name)) continue;
      const path = join(entry.parentPath, entry.name);
      files.push([relative(ROOT, path), readFileSync(path, 'utf8')]);
    }
  }
  return files;
}

/** Every `<code>.<name>` message of the table. */
function namedMessages(): string[] {
  return ERROR_CODES.flatMap((code) => {
    const messages = (ERRORS[code] as { messages?: Record<string, string> }).messages ?? {};
    return Object.keys(messages).map((name) => `${code}.${name}`);
  });
}

test('no RoomError is made outside shared/errors.ts: every message comes from the table', () => {
  const made = sources()
    .filter(([path]) => path !== join('shared', 'errors.ts'))
    .flatMap(([path, text]) =>
      text
        .split('\n')
        .flatMap((line, i) => (/\bnew RoomError\b/.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : [])),
    );
  assert.deepEqual(made, []);
});

test('only the two decoders of what the broker sent take a message from outside the table', () => {
  const users = sources()
    .filter(([path, text]) => path !== join('shared', 'errors.ts') && /\breceivedError\(/.test(text))
    .map(([path]) => path)
    .sort();
  assert.deepEqual(users, [join('client', 'broker-start.ts'), join('shared', 'error-response.ts')]);
});

test('every named message of the table is used somewhere, so the table holds no dead wording', () => {
  const text = sources()
    .filter(([path]) => path !== join('shared', 'errors.ts'))
    .map(([, source]) => source)
    .join('\n');
  const unused = namedMessages().filter((key) => !text.includes(`'${key}'`));
  assert.deepEqual(unused, []);
});

test('every brace in a template is a {word} placeholder', () => {
  for (const key of [...ERROR_CODES, ...namedMessages()] as MessageKey[]) {
    assert.doesNotMatch(templateOf(key).replace(/\{\w+\}/g, ''), /[{}]/, key);
  }
});

test('roomError fills a named message and takes its code, status and exit code from the table', () => {
  const error = roomError('invalid_name.username', { name: '"a b"', rule: 'letters' });
  assert.ok(error instanceof RoomError);
  assert.equal(error.code, 'invalid_name');
  assert.equal(error.message, 'invalid username "a b": use letters');
  assert.equal(error.status, 400);
  assert.equal(error.exitCode, 2);
  assert.equal(roomError('unknown_id', { id: 'abcd' }).message, 'no event abcd in the history');
});
