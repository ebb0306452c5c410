// The live-session layer that agent mode (and the TUI) build on, used
// in-process against a real broker: states, the raw lines, the waits, stop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerClient } from '../client/live/broker-client.ts';
import { resolveIdentity } from '../client/live/identity.ts';
import { giveUpMsFrom } from '../client/live/give-up.ts';
import { LiveSession, type ConnectionState } from '../client/live/session.ts';
import { roomPaths } from '../shared/paths.ts';
import { historyLines } from './agent-process.ts';
import { RoomDir, http, waitUntil } from './helpers.ts';

test('giveUpMsFrom reads ROOM_RECONNECT_SECONDS: default 30 s, fractions allowed, garbage refused', () => {
  assert.equal(giveUpMsFrom({}), 30_000);
  assert.equal(giveUpMsFrom({ ROOM_RECONNECT_SECONDS: '' }), 30_000);
  assert.equal(giveUpMsFrom({ ROOM_RECONNECT_SECONDS: '0.5' }), 500);
  assert.equal(giveUpMsFrom({ ROOM_RECONNECT_SECONDS: '0' }), 0);
  for (const bad of ['soon', '-1', 'Infinity', '1e999']) {
    assert.throws(() => giveUpMsFrom({ ROOM_RECONNECT_SECONDS: bad }), { name: 'RoomError', code: 'usage' });
  }
});

test('LiveSession: connecting then live, events with their exact lines, whenDelivered, stop ends it with a leave', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const paths = roomPaths(dir.path, 'r');
  const client = new BrokerClient(paths.socket);
  t.after(() => client.close());
  const identity = await resolveIdentity(client, paths, 'bot', undefined);
  assert.equal(identity.user, 'bot');
  assert.equal(identity.host, 'alice');
  assert.equal(identity.recordWritten, dir.file('room-r-bot.token'));

  const states: ConnectionState[] = [];
  const lines: string[] = [];
  const session = new LiveSession({
    client,
    paths,
    token: identity.token,
    history: 5,
    giveUpMs: 1000,
    onEvent: (event, line) => {
      assert.equal(JSON.parse(line).seq, event.seq);
      lines.push(line);
    },
    onState: (state) => states.push(state),
  });
  assert.equal(session.state, 'connecting');
  const running = session.run();
  await session.whenLive();
  assert.equal(session.state, 'live');
  const posted = await http(paths.socket, 'POST', '/messages', {
    token: alice,
    body: { type: 'message', content: 'hi' },
  });
  const { seq } = posted.json<{ seq: number }>();
  await session.whenDelivered(seq);
  assert.equal(session.lastSeq, seq);
  assert.deepEqual(lines, historyLines(dir, 'r'));

  session.stop();
  assert.deepEqual(await running, { reason: 'stopped', message: 'session ended' });
  assert.ok(session.ended);
  await session.whenLive(); // resolves at once once ended, instead of hanging
  await session.whenDelivered(seq + 1000);
  assert.deepEqual(states, ['live']);
  await waitUntil(() => historyLines(dir, 'r').at(-1)?.includes('"type":"leave"') === true, 5000, 'the leave');
});
