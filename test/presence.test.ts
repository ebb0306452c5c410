// Presence is pure bookkeeping: sessions per user, statuses, last activity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Presence } from '../server/presence.ts';

test('online users are listed in natural order (agent-2 before agent-10)', () => {
  const presence = new Presence();
  for (const user of ['agent-10', 'agent-2', 'Bob', 'agent-1', 'alice']) presence.connect(user);
  assert.deepEqual(
    presence.online().map((u) => u.user),
    ['agent-1', 'agent-2', 'agent-10', 'alice', 'Bob'],
  );
});

test('a user who leaves their last session is recently active, status cleared', () => {
  const presence = new Presence();
  presence.connect('alice');
  presence.connect('alice');
  presence.setStatus('alice', 'reviewing');
  assert.equal(presence.disconnect('alice', new Date('2026-01-01T10:00:00Z')), false, 'one session left');
  assert.equal(presence.online()[0]?.status, 'reviewing');
  assert.equal(presence.disconnect('alice', new Date('2026-01-01T10:00:05Z')), true);
  assert.deepEqual(presence.online(), []);
  assert.deepEqual(presence.recent(new Map()), [
    { user: 'alice', status: '', last_active: '2026-01-01T10:00:05.000Z' },
  ]);
});

test('a listener is listening, not online nor recent; its status lives until its last stream ends', () => {
  const presence = new Presence();
  presence.listen('bob');
  presence.listen('bob');
  presence.setStatus('bob', 'following');
  assert.deepEqual(presence.online(), []);
  assert.deepEqual(presence.listening(), [{ user: 'bob', status: 'following', listeners: 2 }]);
  presence.unlisten('bob', new Date('2026-01-01T10:00:00Z'));
  assert.equal(presence.isListening('bob'), true);
  assert.deepEqual(
    presence.recent(new Map([['bob', new Date('2026-01-01T11:00:00Z')]])),
    [],
    'a listener is not "last seen"',
  );
  presence.unlisten('bob', new Date('2026-01-01T10:00:05Z'));
  assert.deepEqual(presence.listening(), []);
  assert.deepEqual(presence.recent(new Map()), [{ user: 'bob', status: '', last_active: '2026-01-01T10:00:05.000Z' }]);
});

test('a user with a live session and a listener is online only; leaving the session keeps them listening', () => {
  const presence = new Presence();
  presence.connect('alice');
  presence.listen('alice');
  assert.deepEqual(presence.listening(), []);
  assert.equal(presence.online().length, 1);
  presence.disconnect('alice', new Date('2026-01-01T10:00:00Z'));
  assert.deepEqual(presence.listening(), [{ user: 'alice', status: '', listeners: 1 }]);
  assert.deepEqual(presence.recent(new Map()), []);
});
