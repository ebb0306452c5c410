// Issue 17: in a shell where `export ROOM_TOKEN=$(room join myroom bot …)`
// ran, the interactive picker (`room` in a terminal) opens the UI as the name
// typed, not exit 4: bot's token is set aside with a line on stderr. In a
// real terminal (tmux).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOM_BIN, RoomDir } from './helpers.ts';
import { Tmux } from './tui-tmux.ts';

test("the picker opens the UI as the name typed although ROOM_TOKEN is another user's", {
  timeout: 90_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const bot = await dir.join('myroom', 'bot');
  // USER gives the username prompt its initial value.
  await tmux.window('alice', { ...dir.env, ROOM_TOKEN: bot, USER: 'alice' });
  await tmux.line('alice', `${ROOM_BIN}; echo EXIT=$?`);
  await tmux.waitForText('alice', 'Which room?');
  await tmux.waitForText('alice', 'myroom');
  await tmux.keys('alice', 'Enter'); // the running room, offered first
  await tmux.waitForText('alice', 'Your username');
  await tmux.keys('alice', 'Enter'); // alice
  await tmux.waitFor(
    'alice',
    (s) => s.includes('╭─ alice ') && s.includes('● live') && s.includes('→ alice joined'),
    "alice's UI",
  );
  await tmux.keys('alice', 'C-c');
  await tmux.waitForText('alice', /EXIT=\d+/);
  const shell = (await tmux.history('alice')).join('\n');
  assert.match(shell, /EXIT=0/);
  assert.match(shell, /room: ROOM_TOKEN is bot's token, not alice's: ignoring it; opening as alice/);
});
