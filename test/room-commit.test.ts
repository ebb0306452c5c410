// The group commit's callbacks (server/room.ts enqueue): POST /messages is
// answered from them, at once, inside the commit. Unit tests on a room over
// the in-memory log; the HTTP behaviour is in group-commit.test.ts.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { RoomEvent } from '../shared/events.ts';
import { MemoryLog } from '../server/log/memory-log.ts';
import { Room, type Stored } from '../server/room.ts';

function roomWithLog() {
  const fannedOut: number[][] = [];
  const said: string[] = [];
  const room = new Room({
    id: 'r',
    log: new MemoryLog(),
    fanOut: (events: readonly RoomEvent[]) => fannedOut.push(events.map((e) => e.seq)),
    say: (message) => said.push(message),
  });
  return { room, fannedOut, said };
}

test('what is enqueued in one turn is committed as one batch, in order, and answered only after it', async () => {
  const { room, fannedOut } = roomWithLog();
  const answered: number[] = [];
  const fannedOutWhenAnswered: number[] = [];
  const all = ['a', 'b', 'c'].map(
    (content, i) =>
      new Promise<Stored>((resolve, reject) =>
        room.enqueue(
          { type: 'message', user: 'u', content },
          `id-${i}`,
          (stored) => {
            answered.push(stored.event.seq);
            fannedOutWhenAnswered.push(fannedOut.length);
            resolve(stored);
          },
          reject,
        ),
      ),
  );
  assert.deepEqual(answered, [], 'nothing is answered before the end of the turn');
  const stored = await Promise.all(all);
  assert.deepEqual(answered, [1, 2, 3]);
  assert.deepEqual(fannedOut, [[1, 2, 3]], 'one batch');
  assert.deepEqual(fannedOutWhenAnswered, [1, 1, 1], 'fanned out before any answer');
  assert.deepEqual(
    stored.map((s) => JSON.parse(s.line) as RoomEvent),
    stored.map((s) => s.event),
    'each answer carries its history line',
  );
  assert.equal(room.log.state.lastSeq, 3);
});

test('a callback that throws is said in the broker log; the rest of the batch still get their answers', async () => {
  const { room, said } = roomWithLog();
  const second = new Promise<Stored>((resolve, reject) => {
    room.enqueue(
      { type: 'message', user: 'u', content: 'first' },
      'id-1',
      () => {
        throw new Error('the socket is gone');
      },
      reject,
    );
    room.enqueue({ type: 'message', user: 'u', content: 'second' }, 'id-2', resolve, reject);
  });
  assert.equal((await second).event.seq, 2);
  assert.deepEqual(said, ['answering a send failed: the socket is gone']);
});
