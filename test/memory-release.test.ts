// server/memory-release.ts: a major collection after every few MiB of
// history read, one at a time, off the current turn; nothing without a
// collector. Pure logic, with a collector that counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRelease, RELEASE_EVERY_BYTES, v8Collector } from '../server/memory-release.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('a major collection starts once RELEASE_EVERY_BYTES of history were read, after the current turn', async () => {
  const calls: unknown[] = [];
  const release = new MemoryRelease(() => (options) => {
    calls.push(options);
  });
  release.noteRead(RELEASE_EVERY_BYTES - 1);
  await turn();
  assert.equal(calls.length, 0, 'below the threshold: none');
  release.noteRead(1);
  assert.equal(calls.length, 0, 'not within the read');
  await turn();
  assert.deepEqual(calls, [{ type: 'major', execution: 'sync' }]);
  // The count starts again.
  release.noteRead(RELEASE_EVERY_BYTES / 2);
  await turn();
  assert.equal(calls.length, 1);
});

test('reads past the threshold again before the collection starts ask for no second one', async () => {
  let calls = 0;
  const release = new MemoryRelease(() => () => {
    calls++;
  });
  for (let i = 0; i < 5; i++) release.noteRead(RELEASE_EVERY_BYTES);
  await turn();
  assert.equal(calls, 1);
  release.noteRead(RELEASE_EVERY_BYTES);
  await turn();
  assert.equal(calls, 2, 'the next threshold after it starts one more');
});

test('the collector is fetched once, when first needed; without one, reads cost nothing', async () => {
  let fetched = 0;
  const none = new MemoryRelease(() => {
    fetched++;
    return undefined;
  });
  none.noteRead(RELEASE_EVERY_BYTES - 1);
  assert.equal(fetched, 0, 'not before it is needed');
  for (let i = 0; i < 3; i++) none.noteRead(RELEASE_EVERY_BYTES);
  await turn();
  assert.equal(fetched, 1, 'asked for once');
});

test("V8's own collector is had at run time, without --expose-gc on the command line", async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'this test runs without the flag');
  const collect = v8Collector();
  assert.equal(typeof collect, 'function');
  await collect!({ type: 'major', execution: 'sync' });
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'nothing added to this context');
});
