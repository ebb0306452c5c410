// The pid lock's pure parts: parsing a lock file, and telling a live holder
// from a dead one or from a reused pid (unit tests; the lock in use is
// tested end to end in test/fault-process.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAlive, lockHolder, parseHolder, processStart, selfHolder, tryLock, unlock } from '../shared/pid-lock.ts';

test('a lock file names a holder only when it is a pid and an optional start time', () => {
  assert.deepEqual(parseHolder('123 456\n'), { pid: 123, start: '456' });
  assert.deepEqual(parseHolder('123\n'), { pid: 123, start: '' });
  for (const bad of ['', '\n', 'garbage', '0 1\n', '-5 1\n', '12 ab\n', '1 2 3\n', '12345678901 1\n'])
    assert.equal(parseHolder(bad), null, JSON.stringify(bad));
});

test('this process is alive; a wrong start time (a reused pid) or a missing pid is not', () => {
  const self = selfHolder();
  assert.equal(self.pid, process.pid);
  assert.match(self.start, /^\d+$/, 'Linux: the start time comes from /proc');
  assert.equal(processStart(process.pid), self.start);
  assert.equal(isAlive(self), true);
  assert.equal(isAlive({ pid: process.pid, start: `${Number(self.start) + 1}` }), false);
  assert.equal(isAlive({ pid: 4194303, start: '' }), false);
});

test('tryLock takes a free lock once; unlock releases only its own', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'room-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'x.pid');
  assert.deepEqual(tryLock(path), { held: true });
  assert.equal(readFileSync(path, 'utf8'), `${process.pid} ${selfHolder().start}\n`);
  const again = tryLock(path);
  assert.equal(again.held, false, 'held by a live process (this one)');
  assert.deepEqual(lockHolder(path), selfHolder());
  unlock(path);
  assert.equal(lockHolder(path), null);
  writeFileSync(path, '4194303 1\n', { mode: 0o600 });
  unlock(path);
  assert.equal(readFileSync(path, 'utf8'), '4194303 1\n', "another holder's lock is left alone");
  assert.deepEqual(tryLock(path), { held: true }, 'a dead holder is broken');
});
