// The UI's title counts who listens (room follow, a waiting watch): a
// listener comes and goes with no event in the room, so the UI asks the
// broker again every few seconds, not only after joins and leaves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOM_BIN, RoomDir } from './helpers.ts';
import { Tmux } from './tui-tmux.ts';

test('a room follow started after the UI opened shows in its title as listening, with no event', {
  timeout: 60_000,
}, async (t) => {
  const dir = RoomDir.create(t);
  const bob = await dir.join('demo', 'bob');
  const tmux = new Tmux(t);
  await tmux.window('alice', dir.env);
  await tmux.line('alice', `${ROOM_BIN} demo alice`);
  const opened = await tmux.waitFor('alice', (s) => s.includes('● live') && s.includes('→ alice joined'), 'the UI');
  assert.doesNotMatch(opened.split('\n')[0]!, /listening/);
  const follow = dir.spawn(['follow', 'demo'], { env: { ROOM_TOKEN: bob } });
  const title = (await tmux.waitFor('alice', (s) => /1 listening/.test(s.split('\n')[0]!), 'the title', 20_000)).split(
    '\n',
  )[0]!;
  assert.match(title, /1 listening · {2}1 online: alice/);
  follow.kill('SIGINT');
  await tmux.keys('alice', 'C-c');
});
