// A shared room's broker tells its clients whether it reaches the room's
// NATS server (`event: nats`, shared/api.ts StreamNats): first on every
// stream and whenever it changes; the terminal UI shows it in its title and
// clears a "not sent" error once NATS is back. A room on one machine sends
// no such frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomDir, ROOM_BIN, SseReader } from './helpers.ts';
import { Machine } from './nats-machines.ts';
import { NatsServer } from './nats-server.ts';
import { Tmux } from './tui-tmux.ts';

const natsStates = (reader: SseReader): string[] =>
  reader.messages.filter((m) => m.event === 'nats').map((m) => (JSON.parse(m.data) as { state: string }).state);

test('a shared room streams `event: nats`: connected first, unreachable while NATS is down, connected when it is back', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'status', nats.url);
  const alice = await a.join('alice');
  const stream = new SseReader(a.socket, '/events', alice);
  t.after(() => stream.close());
  await stream.waitFor((r) => natsStates(r).length === 1 && r.events().length > 0, 10_000);
  assert.deepEqual(natsStates(stream), ['connected']);
  assert.ok(
    stream.messages.findIndex((m) => m.event === 'nats') < stream.messages.findIndex((m) => m.event === undefined),
    'before the first event',
  );
  await nats.stop('SIGKILL');
  await stream.waitFor((r) => natsStates(r).at(-1) === 'unreachable', 15_000);
  // A stream opened meanwhile is told first.
  const late = new SseReader(a.socket, '/events', alice);
  t.after(() => late.close());
  await late.waitFor((r) => natsStates(r).length === 1, 10_000);
  assert.deepEqual(natsStates(late), ['unreachable']);
  await nats.restart();
  await stream.waitFor((r) => natsStates(r).at(-1) === 'connected', 20_000);
  assert.deepEqual(natsStates(stream), ['connected', 'unreachable', 'connected']);
});

test('a room on one machine streams no `event: nats`', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('solo', 'alice');
  const stream = new SseReader(dir.socket('solo'), '/events', alice);
  t.after(() => stream.close());
  await stream.waitFor((r) => r.events<{ type: string; user: string }>().some((e) => e.type === 'join'), 10_000);
  assert.deepEqual(natsStates(stream), []);
  assert.ok(
    stream.messages.some((m) => m.event === 'epoch'),
    'the named frames are read',
  );
});

test('the UI says NATS is unreachable in its title, and a send refused meanwhile clears once it is back', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'tui', nats.url);
  await a.join('alice');
  const tmux = new Tmux(t);
  await tmux.window('alice', a.dir.env);
  await tmux.line('alice', `${ROOM_BIN} tui alice`);
  await tmux.waitFor('alice', (s) => s.split('\n')[0]!.includes('● live'), 'the UI, live');
  await nats.stop('SIGKILL');
  const away = await tmux.waitForText('alice', '◌ NATS unreachable', 20_000);
  assert.match(away.split('\n')[0]!, /◌ NATS unreachable/);
  assert.match(away, /lost the room's NATS server/);
  await tmux.line('alice', 'while away');
  await tmux.waitForText('alice', /NATS server of this room .* cannot be reached/, 20_000);
  await nats.restart();
  const back = await tmux.waitFor(
    'alice',
    (s) => s.split('\n')[0]!.includes('● live') && !/cannot be reached/.test(s),
    'live again, the error gone',
    30_000,
  );
  assert.match(back, /NATS server is back/);
  assert.match(back, /while away/, 'the text is still in the input');
  await tmux.keys('alice', 'C-c');
});
