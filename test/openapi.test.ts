// The committed OpenAPI document is generated from the route schemas, is
// what a running broker serves, and is valid OpenAPI 3.1.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { formatOpenApi, generateOpenApi } from '../server/openapi.ts';
import { RoomDir, ROOT, http } from './helpers.ts';

const committedPath = `${ROOT}/openapi/openapi.json`;

test('openapi/openapi.json is up to date with the route schemas (run npm run openapi)', async () => {
  const generated = formatOpenApi(await generateOpenApi());
  assert.equal(readFileSync(committedPath, 'utf8'), generated, 'openapi/openapi.json is stale: run npm run openapi');
});

test('the document is valid OpenAPI 3.1 and documents every route', async () => {
  const document = JSON.parse(readFileSync(committedPath, 'utf8'));
  await SwaggerParser.validate(structuredClone(document));
  assert.equal(document.openapi, '3.1.0');
  assert.deepEqual(Object.keys(document.paths).sort(), [
    '/channel',
    '/claims',
    '/events',
    '/health',
    '/join',
    '/listen',
    '/messages',
    '/messages/{id}',
    '/users',
  ]);
  assert.deepEqual(Object.keys(document.paths['/messages']).sort(), ['get', 'post']);
  assert.deepEqual(Object.keys(document.paths['/channel'].get.responses).sort(), ['101', '400', '401', '426', '503']);
});

test('a running broker serves the same document at GET /openapi.json', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const served = await http(dir.socket('r'), 'GET', '/openapi.json');
  assert.equal(served.status, 200);
  assert.deepEqual(served.json(), JSON.parse(readFileSync(committedPath, 'utf8')));
});
