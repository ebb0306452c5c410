// The pure rules of claims (shared/claims.ts): what `/claim <words…>` names,
// and which claims overlap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimTargets, claimsOnFile, covers, normalisePath, overlaps, type Claim } from '../shared/claims.ts';

const path = (what: string) => ({ what, kind: 'path' as const });
const topic = (what: string) => ({ what, kind: 'topic' as const });

test('leading path-like words are paths (normalised); otherwise the whole text is one topic', () => {
  assert.deepEqual(claimTargets(['src/a.ts', './lib//b.ts', 'docs/', 'fixing', 'CRLF']), [
    path('src/a.ts'),
    path('lib/b.ts'),
    path('docs'),
  ]);
  assert.deepEqual(claimTargets(['README.md']), [path('README.md')]);
  assert.deepEqual(claimTargets(['src/**/*.ts']), [path('src/**/*.ts')]);
  assert.deepEqual(claimTargets(['The  Auth', 'module ', 'src/a.ts']), [topic('the auth module src/a.ts')]);
  assert.deepEqual(claimTargets(['parser']), [topic('parser')]);
  assert.deepEqual(claimTargets(['  ']), []);
  assert.equal(normalisePath('a/../b/./c/'), 'b/c');
  assert.equal(normalisePath('src\\win\\path.ts'), 'src/win/path.ts');
  assert.equal(normalisePath('/abs/x/'), '/abs/x');
});

test('overlap: the same path, a parent folder, a glob matching it, a glob matching a glob, the same topic', () => {
  const yes: Array<[string, string]> = [
    ['src/a.ts', 'src/a.ts'],
    ['src', 'src/a.ts'],
    ['src', 'src/deep/er/a.ts'],
    ['src/*.ts', 'src/a.ts'],
    ['src/**', 'src/deep/a.ts'],
    ['src/**', 'src/*.ts'],
    ['**/*.md', 'docs/guide.md'],
    ['.', 'anything/at/all'],
    ['src/{a,b}.ts', 'src/b.ts'],
  ];
  for (const [a, b] of yes) {
    assert.ok(overlaps(path(a), path(b)), `${a} ~ ${b}`);
    assert.ok(overlaps(path(b), path(a)), `${b} ~ ${a}`);
  }
  const no: Array<[string, string]> = [
    ['src/a.ts', 'src/b.ts'],
    ['src', 'srcs/a.ts'],
    ['src/*.ts', 'src/deep/a.ts'],
    ['src/*.ts', 'src/*.md'],
    ['lib', 'src'],
  ];
  for (const [a, b] of no) assert.ok(!overlaps(path(a), path(b)), `${a} !~ ${b}`);
  assert.ok(overlaps(topic('the parser'), topic('the parser')));
  assert.ok(!overlaps(topic('the parser'), topic('the lexer')));
  assert.ok(!overlaps(topic('src'), path('src')), 'a topic never overlaps a path');
  assert.ok(covers(path('src'), path('src/a.ts')) && !covers(path('src/a.ts'), path('src')), 'covers has a direction');
});

test('claimsOnFile: the claims covering one file', () => {
  const claims: Claim[] = [
    { what: 'src', kind: 'path', user: 'a', since: '2026-11-25T00:00:00.000Z', text: 'src/' },
    { what: 'src/*.md', kind: 'path', user: 'b', since: '2026-11-25T00:00:00.000Z', text: 'src/*.md' },
    { what: 'the docs', kind: 'topic', user: 'c', since: '2026-11-25T00:00:00.000Z', text: 'the docs' },
  ];
  assert.deepEqual(
    claimsOnFile(claims, './src/x.md').map((c) => c.user),
    ['a', 'b'],
  );
  assert.deepEqual(claimsOnFile(claims, 'lib/x.md'), []);
});
