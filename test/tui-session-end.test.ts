// How the terminal UI's session ends when the host kicks the user while the
// UI is away reconnecting (issue 17): the kick comes before the UI is back,
// so the UI only finds its token refused; it must still say it was kicked,
// and by whom, not "run room join again" (the name is blocked).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOM_BIN, RoomDir } from './helpers.ts';
import { Tmux } from './tui-tmux.ts';

const run = promisify(execFile);

test('a kick while the UI is reconnecting ends it with "you were kicked from demo by carl"', {
  timeout: 120_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  await tmux.window('bob', { ...dir.env, ROOM_RECONNECT_SECONDS: '60' });
  // Under a non-interactive sh, which does not report the UI stopped (SIGSTOP below) as a job.
  await tmux.line('bob', `sh -c '${ROOM_BIN} demo bob; echo EXIT=$?'`);
  await tmux.waitFor('bob', (s) => s.includes('● live') && s.includes('→ bob joined'), "bob's UI");
  const shell = await tmux.format('bob', '#{pane_pid}');
  const inner = (await run('pgrep', ['-P', shell])).stdout.trim();
  const ui = Number((await run('pgrep', ['-P', inner])).stdout.trim());
  assert.ok(ui > 0, "the UI is the inner shell's child");

  // The broker stops; the UI waits for it. Frozen, the UI cannot be back before the kick.
  for (const pid of dir.brokerPids()) process.kill(pid, 'SIGTERM');
  await tmux.waitForText('bob', '◌ reconnecting…');
  process.kill(ui, 'SIGSTOP');
  t.after(() => {
    try {
      process.kill(ui, 'SIGCONT');
    } catch {
      // already gone
    }
  });
  await dir.join('demo', 'dave'); // starts the broker again
  const kick = await dir.run(['send', 'demo', '/kick bob'], { env: { ROOM_TOKEN: carl } });
  assert.equal(kick.code, 0, kick.stderr);
  process.kill(ui, 'SIGCONT');

  const ended = await tmux.waitForText('bob', /EXIT=\d+/);
  assert.match(ended, /room: you were kicked from demo by carl\nEXIT=0/);
  assert.doesNotMatch(ended, /run room join again/);
});
