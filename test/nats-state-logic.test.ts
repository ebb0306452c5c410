// The pure logic under a shared room's state: how room ids and usernames
// become bucket names and keys, how a broker merges the other brokers'
// presence into its own, and what a registry reports as revoked when it
// adopts changes made elsewhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Presence } from '../server/presence.ts';
import { Registry } from '../server/registry.ts';
import { escapeName, presenceBucket, stateBucket, userKey } from '../server/nats/kv-names.ts';
import { emptyState } from '../shared/room-state.ts';

// The patterns of @nats-io/kv (validateBucket, validateKey) and NATS subject tokens.
const BUCKET = /^[-\w]+$/;
const KEY = /^[-/=.\w]+$/;

test('room ids and usernames escape one to one into valid bucket names and keys', () => {
  const names = ['room', 'my.room', 'my_2eroom', 'my_room', 'a..b', 'x.', '-', '_', 'A-b.C_d', '__proto__'];
  const escaped = names.map(escapeName);
  assert.equal(new Set(escaped).size, names.length, `no two names share an escape: ${escaped.join(' ')}`);
  for (const name of names) {
    assert.match(stateBucket(name), BUCKET, name);
    assert.match(presenceBucket(name), BUCKET, name);
    const key = userKey(name.toLowerCase());
    assert.match(key, KEY, name);
    assert.equal(key.split('.').length, 2, `${name}: one token after user.`);
  }
  assert.equal(stateBucket('my.room'), 'room_my_2eroom_state');
  assert.equal(escapeName('my_room'), 'my_5froom');
});

const snapshot = (fields: Partial<ReturnType<Presence['snapshot']>>) => ({
  sessions: [],
  listeners: [],
  lastActive: [],
  statuses: [],
  ...fields,
});

test("presence merges other brokers' sessions, listeners and activity; the latest status change wins", () => {
  const here = new Presence();
  here.connect('alice');
  here.setStatus('alice', 'old status');
  here.listen('carol');
  const later = new Date(Date.now() + 60_000).toISOString();
  here.setRemote([
    snapshot({ sessions: [['alice', 2]], statuses: [['alice', 'newer status', later]] }),
    snapshot({ sessions: [['bob', 1]], listeners: [['carol', 1]], lastActive: [['dave', later]] }),
  ]);
  assert.deepEqual(
    here.online().map((u) => [u.user, u.sessions, u.status]),
    [
      ['alice', 3, 'newer status'],
      ['bob', 1, ''],
    ],
  );
  assert.deepEqual(
    here.listening().map((u) => [u.user, u.listeners]),
    [['carol', 2]],
  );
  assert.equal(here.isOnline('bob'), true);
  assert.equal(here.isListening('carol'), true);
  assert.deepEqual(here.lastActiveElsewhere('dave')?.toISOString(), later);
  assert.deepEqual(
    here.recent(new Map()).map((u) => u.user),
    ['dave'],
  );
  // Back alone: the local answers as before.
  here.setRemote([]);
  assert.deepEqual(
    here.online().map((u) => [u.user, u.sessions, u.status]),
    [['alice', 1, 'old status']],
  );
});

test('a status outlives the last session here while the user is present on another machine, and goes with the last one anywhere', () => {
  const here = new Presence();
  here.connect('bob');
  here.setStatus('bob', 'reviewing');
  here.setRemote([snapshot({ sessions: [['bob', 1]] })]);
  here.disconnect('bob', new Date());
  assert.deepEqual(
    here.online().map((u) => [u.user, u.status]),
    [['bob', 'reviewing']],
  );
  here.setRemote([snapshot({})]);
  here.connect('bob');
  here.disconnect('bob', new Date());
  const [cleared] = here.snapshot().statuses;
  assert.deepEqual(cleared?.slice(0, 2), ['bob', ''], 'a cleared status is published, so other brokers clear it too');
});

test('a registry adopting changes made elsewhere reports revoked tokens and kicks, and mirrors them in the state file', () => {
  let saved = emptyState('r', 'r.chat');
  const registry = new Registry(saved, (state) => {
    saved = state;
  });
  const joined = '2026-01-01T00:00:00.000Z';
  assert.deepEqual(
    registry.adopt(
      [
        ['alice', { name: 'Alice', token: 't-alice', kicked: false, joined }],
        ['bob', { name: 'bob', token: 't-bob', kicked: false, joined }],
        ['carol', { name: 'carol', token: null, kicked: false, joined }],
      ],
      'Alice',
    ),
    [],
    'new users revoke nothing',
  );
  assert.equal(registry.userFor('t-bob'), 'bob');
  assert.equal(registry.host, 'Alice');
  const revoked = registry.adopt([
    ['bob', { name: 'bob', token: null, kicked: true, joined }],
    ['alice', { name: 'Alice', token: null, kicked: false, joined }],
    ['carol', { name: 'carol', token: null, kicked: true, joined }],
  ]);
  assert.deepEqual(revoked, [
    { name: 'bob', kicked: true },
    { name: 'Alice', kicked: false },
    { name: 'carol', kicked: true },
  ]);
  assert.equal(registry.userFor('t-bob'), null);
  assert.equal(registry.userFor('t-alice'), null);
  assert.equal(registry.host, 'Alice', 'the host stays host by name');
  assert.deepEqual(saved.users.bob, { token: null, kicked: true, joined });
});
