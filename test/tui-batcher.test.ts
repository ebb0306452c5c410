// The batching of live events into the store (client/tui/batcher.ts): a lone
// event is handed over quickly, a flood at most once per `every` ms, and a
// flush hands over at once. Timers are mocked: no waiting on the clock.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Batcher, delayFor } from '../client/tui/batcher.ts';

const CADENCE = { first: 16, every: 100 };

test('delayFor: the first item after a quiet spell waits `first`, a busy one until `every` after the last', () => {
  assert.equal(delayFor(0, Number.NEGATIVE_INFINITY, CADENCE), 16);
  assert.equal(delayFor(1000, 500, CADENCE), 16, 'long quiet: first');
  assert.equal(delayFor(1010, 1000, CADENCE), 90, '10 ms after a hand-over: the rest of `every`');
  assert.equal(delayFor(1095, 1000, CADENCE), 16, 'never sooner than `first`');
});

function mockedBatcher(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const handed: number[][] = [];
  const batcher = new Batcher<number>(
    (items) => handed.push(items),
    CADENCE,
    () => Date.now(),
  );
  return { handed, batcher, tick: (ms: number) => t.mock.timers.tick(ms) };
}

test('a lone item is handed over `first` ms after it came', (t) => {
  const { handed, batcher, tick } = mockedBatcher(t);
  batcher.push(1);
  tick(15);
  assert.deepEqual(handed, []);
  tick(1);
  assert.deepEqual(handed, [[1]]);
});

test('a flood of one item a millisecond is handed over at most once per `every` ms, nothing lost', (t) => {
  const { handed, batcher, tick } = mockedBatcher(t);
  let next = 0;
  for (let ms = 0; ms < 1000; ms++) {
    batcher.push(next++);
    tick(1);
  }
  batcher.flush();
  // 1,000 items over one second: the first hand-over at 16 ms, then one per 100 ms, then the final flush.
  assert.ok(handed.length <= 1000 / CADENCE.every + 2, `${handed.length} hand-overs`);
  assert.deepEqual(
    handed.flat(),
    Array.from({ length: 1000 }, (_, i) => i),
    'every item once, in order',
  );
  assert.deepEqual(
    handed[0],
    Array.from({ length: 16 }, (_, i) => i),
  );
});

test('flush hands over at once and cancels the pending timer; an empty flush hands over nothing', (t) => {
  const { handed, batcher, tick } = mockedBatcher(t);
  batcher.flush();
  assert.deepEqual(handed, []);
  batcher.push(1);
  batcher.push(2);
  batcher.flush();
  assert.deepEqual(handed, [[1, 2]]);
  // Right after that flush the next item waits out `every`, and the flushed items' timer never fires.
  batcher.push(3);
  tick(CADENCE.every - 1);
  assert.deepEqual(handed, [[1, 2]]);
  tick(1);
  assert.deepEqual(handed, [[1, 2], [3]]);
  tick(1000);
  assert.deepEqual(handed, [[1, 2], [3]]);
});
