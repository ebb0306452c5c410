// The TUI's bell and title mark: a live DM or mention for you rings; history, others' mentions and your own do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoomEvent } from '../shared/events.ts';
import { Attention } from '../client/tui/attention.ts';

const event = (fields: Partial<RoomEvent> & { type: RoomEvent['type'] }, ts = new Date()): RoomEvent =>
  ({
    id: '1a2b3c4d-0000-4000-8000-000000000000',
    room: 'demo',
    user: 'alice',
    ts: ts.toISOString(),
    seq: 1,
    ...fields,
  }) as RoomEvent;

test('a live mention or DM for you rings the bell and marks the window title', () => {
  const written: string[] = [];
  const attention = new Attention('demo', 'bob', (text) => written.push(text));
  attention.notice(event({ type: 'message', content: 'over to you @Bob' }));
  attention.notice(event({ type: 'dm', to: 'bob', content: 'psst' } as Partial<RoomEvent> & { type: 'dm' }));
  assert.deepEqual(written, ['\x07\x1b]2;(@) demo: mention from alice\x07', '\x07\x1b]2;(@) demo: DM from alice\x07']);
});

test('history, messages for others and your own mentions stay quiet', () => {
  const written: string[] = [];
  const attention = new Attention('demo', 'bob', (text) => written.push(text));
  attention.notice(event({ type: 'message', content: '@bob yesterday' }, new Date(Date.now() - 60_000)));
  attention.notice(event({ type: 'message', content: 'hi @carol' }));
  attention.notice(event({ type: 'message', user: 'bob', content: 'me, @bob' }));
  attention.notice(event({ type: 'dm', to: 'carol', content: 'not yours' } as Partial<RoomEvent> & { type: 'dm' }));
  assert.deepEqual(written, []);
});
