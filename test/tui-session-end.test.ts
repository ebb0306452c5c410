// How the terminal UI's session ends when the host kicks the user while the
// UI is away reconnecting (issue 17): the kick comes before the UI is back,
// so the UI only finds its token refused; it must still say it was kicked,
// and by whom, not "run room join again" (the name is blocked).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOM_BIN, RoomDir } from './helpers.ts';
import { Tmux } from './tui-tmux.ts';

const run = promisify(execFile);

/**
 * Opens `user`'s UI in its own window, under a non-interactive sh (which does not report the
 * UI stopped by SIGSTOP as a job), waits until it is live, and returns the UI's pid.
 */
async function openUiUnderSh(tmux: Tmux, dir: RoomDir, user: string): Promise<number> {
  await tmux.window(user, { ...dir.env, ROOM_RECONNECT_SECONDS: '60' });
  await tmux.line(user, `sh -c '${ROOM_BIN} demo ${user}; echo EXIT=$?'`);
  await tmux.waitFor(user, (s) => s.includes('● live') && s.includes(`→ ${user} joined`), `${user}'s UI`);
  const shell = await tmux.format(user, '#{pane_pid}');
  const inner = (await run('pgrep', ['-P', shell])).stdout.trim();
  const ui = Number((await run('pgrep', ['-P', inner])).stdout.trim());
  assert.ok(ui > 0, "the UI is the inner shell's child");
  return ui;
}

/** Stops the UI (SIGSTOP); it is let go again after the test if it is still there. */
function freeze(t: TestContext, ui: number): void {
  process.kill(ui, 'SIGSTOP');
  t.after(() => {
    try {
      process.kill(ui, 'SIGCONT');
    } catch {
      // already gone
    }
  });
}

test('a kick while the UI is reconnecting ends it with "you were kicked from demo by carl"', {
  timeout: 120_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  const ui = await openUiUnderSh(tmux, dir, 'bob');

  // The broker stops; the UI waits for it. Frozen, the UI cannot be back before the kick.
  for (const pid of dir.brokerPids()) process.kill(pid, 'SIGTERM');
  await tmux.waitForText('bob', '◌ reconnecting…');
  freeze(t, ui);
  await dir.join('demo', 'dave'); // starts the broker again
  const kick = await dir.run(['send', 'demo', '/kick bob'], { env: { ROOM_TOKEN: carl } });
  assert.equal(kick.code, 0, kick.stderr);
  process.kill(ui, 'SIGCONT');

  const ended = await tmux.waitForText('bob', /EXIT=\d+/);
  assert.match(ended, /room: you were kicked from demo by carl\nEXIT=0/);
  assert.doesNotMatch(ended, /run room join again/);
});

test('after a reconnect, what was said meanwhile is above the "reconnected" note and the outage\'s "not sent" is gone', {
  timeout: 120_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  const ui = await openUiUnderSh(tmux, dir, 'alice');

  for (const pid of dir.brokerPids()) process.kill(pid, 'SIGTERM');
  await tmux.waitForText('alice', '◌ reconnecting…');
  await tmux.line('alice', 'typed while away');
  await tmux.waitForText('alice', '✗ not sent: the broker is not reachable');
  // Frozen, the UI cannot be back before carl speaks.
  freeze(t, ui);
  await dir.join('demo', 'dave'); // starts the broker again
  const sent = await dir.run(['send', 'demo', 'said while alice was away'], { env: { ROOM_TOKEN: carl } });
  assert.equal(sent.code, 0, sent.stderr);
  process.kill(ui, 'SIGCONT');

  const back = await tmux.waitFor(
    'alice',
    (s) => s.includes('said while alice was away') && s.includes('! reconnected') && !s.includes('✗'),
    'the missed message, the note, the error gone',
  );
  const lines = back.split('\n');
  const said = lines.findIndex((l) => l.includes('said while alice was away'));
  const note = lines.findIndex((l) => l.includes('! reconnected'));
  assert.ok(said >= 0 && said < note, `the missed message above the note:\n${back}`);
  assert.match(back, /│ typed while away +│/, 'the text kept, to send again');
});
