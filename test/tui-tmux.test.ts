// The terminal UI end to end in a real terminal (tmux): the real `bin/room`
// on a real broker, two UIs and a one-shot user. Each pane runs `sh`, so
// quitting can be checked against what the terminal showed and how its tty
// was set before the UI started.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOM_BIN, RoomDir, ndjson } from './helpers.ts';
import { COLUMNS, ROWS, Tmux } from './tui-tmux.ts';

const run = promisify(execFile);

/** Starts `room demo <user>` in a new window, after noting the screen and the tty settings. */
async function openUi(tmux: Tmux, dir: RoomDir, user: string, extraEnv: Record<string, string> = {}): Promise<void> {
  await tmux.window(user, { ...dir.env, ...extraEnv });
  await tmux.line(user, `echo BEFORE-${user}; stty -g > ${dir.file(`${user}.stty`)}`);
  await tmux.waitForText(user, `BEFORE-${user}`);
  await tmux.line(user, `${ROOM_BIN} demo ${user}; echo EXIT=$?`);
  await tmux.waitFor(
    user,
    (s) => s.includes(`╭─ ${user} `) && s.includes('● live') && s.includes(`→ ${user} joined`),
    `${user}'s UI`,
  );
}

/** The message area's lines (between the title and the input box). */
function messages(screen: string): string[] {
  const lines = screen.split('\n');
  return lines.slice(
    1,
    lines.findIndex((l) => l.startsWith('╭─')),
  );
}

test('two UIs and a one-shot user: messages, multi-line, /who, DMs, the palette, Ctrl-C restores the terminal', {
  timeout: 120_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  // carl joins first, so carl is the host: alice and bob are then ordinary users.
  const carl = await dir.join('demo', 'carl');
  await openUi(tmux, dir, 'alice');
  await openUi(tmux, dir, 'bob');
  await tmux.waitForText('alice', '→ bob joined');
  await tmux.waitForText('alice', /2 online: alice, bob/);

  // Typing and sending; the other side sees it.
  await tmux.line('alice', 'hello from alice');
  await tmux.waitForText('bob', /\d\d:\d\d:\d\d alice {2}hello from alice +[0-9a-f]{4}/);
  await tmux.waitForText('alice', 'hello from alice');

  // A multi-line message: \ then Enter inserts a newline; Enter sends.
  await tmux.type('bob', 'line one\\');
  await tmux.keys('bob', 'Enter');
  await tmux.waitForText('bob', /│ line one +│\n│ +│/);
  await tmux.line('bob', 'line two');
  const multi = await tmux.waitForText('alice', 'line two');
  const at = messages(multi).findIndex((l) => /bob {2}line one/.test(l));
  assert.ok(at >= 0, multi);
  assert.match(messages(multi)[at + 1]!, /^ {14}line two$/, 'the second line under the first, with the hanging indent');

  // A one-shot sender.
  const sent = await dir.run(['send', 'demo', 'hi from a script'], { env: { ROOM_TOKEN: carl } });
  assert.equal(sent.code, 0, sent.stderr);
  await tmux.waitForText('alice', /carl {2}hi from a script/);
  await tmux.waitForText('bob', /carl {2}hi from a script/);

  // /who: the palette opens on /, Enter on a complete command sends it; only bob sees the answer.
  await tmux.type('bob', '/wh');
  await tmux.waitForText('bob', /› \/who +who is online/);
  await tmux.keys('bob', 'Tab');
  await tmux.waitForText('bob', '│ /who ');
  await tmux.keys('bob', 'Enter');
  await tmux.waitForText('bob', /» only you: online — .*alice.*bob/);
  await tmux.line('bob', 'after who');
  await tmux.waitForText('alice', 'after who');
  assert.ok(!(await tmux.screen('alice')).includes('only you'), 'the answer to /who is private');

  // DMs: alice → bob is seen by both parties (and by carl, the host); carl → alice is not seen by bob.
  await tmux.line('alice', '/dm bob psst, only for bob');
  await tmux.waitForText('bob', /alice → bob {2}psst, only for bob/);
  await tmux.waitForText('alice', /alice → bob {2}psst, only for bob/);
  const dm = await dir.run(['send', 'demo', '--to', 'alice', 'for alice only'], { env: { ROOM_TOKEN: carl } });
  assert.equal(dm.code, 0, dm.stderr);
  await tmux.waitForText('alice', /carl → alice {2}for alice only/);
  await dir.run(['send', 'demo', 'public after the dm'], { env: { ROOM_TOKEN: carl } });
  await tmux.waitForText('bob', 'public after the dm');
  assert.ok(!(await tmux.screen('bob')).includes('for alice only'), 'a bystander never sees a DM');
  const hostView = ndjson<{ type: string; content?: string }>(
    (await dir.run(['poll', 'demo'], { env: { ROOM_TOKEN: carl } })).stdout,
  );
  assert.ok(
    hostView.some((e) => e.type === 'dm' && e.content === 'psst, only for bob'),
    'the host sees every DM',
  );

  // A wrong command: an inline error, the text kept, nothing sent.
  await tmux.line('alice', '/dm zed are you there');
  await tmux.waitForText('alice', /✗ no user zed has joined this room/);
  assert.match(await tmux.screen('alice'), /│ \/dm zed are you there +│/);
  await tmux.keys('alice', 'C-u');
  await tmux.waitFor('alice', (s) => !s.includes('✗'), 'the error cleared by editing');

  // Ctrl-C: the session ends (bob sees the leave), the terminal is as it was.
  await tmux.keys('alice', 'C-c');
  const after = await tmux.waitForText('alice', 'EXIT=0');
  await tmux.waitForText('bob', '← alice left');
  assert.match(after, /BEFORE-alice/, 'the shell screen is back');
  assert.ok(!after.includes('╭─'), 'nothing of the UI is left');
  assert.equal(await tmux.format('alice', '#{alternate_on} #{cursor_flag}'), '0 1', 'primary screen, cursor visible');
  await tmux.line('alice', `stty -g | cmp -s - ${dir.file('alice.stty')} && echo STTY-SAME || echo STTY-CHANGED`);
  await tmux.waitForText('alice', /^STTY-SAME$/m);

  // Running it again rejoins with the token record.
  await tmux.line('alice', 'clear');
  await tmux.line('alice', `${ROOM_BIN} demo alice; echo EXIT=$?`);
  await tmux.waitFor(
    'alice',
    (s) => s.includes('● live') && s.includes('hello from alice') && /2 online: alice, bob/.test(s),
    'alice back, with the history',
  );
  await tmux.keys('alice', 'C-c');
  await tmux.waitForText('alice', 'EXIT=0');

  // SIGTERM quits like Ctrl-C: the terminal restored, exit 0.
  const shell = await tmux.format('bob', '#{pane_pid}');
  const ui = (await run('pgrep', ['-P', shell])).stdout.trim();
  assert.match(ui, /^\d+$/, "the UI is the shell's only child");
  process.kill(Number(ui), 'SIGTERM');
  const terminated = await tmux.waitForText('bob', 'EXIT=0');
  assert.match(terminated, /BEFORE-bob/);
  assert.equal(await tmux.format('bob', '#{alternate_on} #{cursor_flag}'), '0 1');
});

test('the broker going away and back, a kick, and /exit by the host', { timeout: 120_000 }, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  await openUi(tmux, dir, 'alice', { ROOM_RECONNECT_SECONDS: '60' });
  await openUi(tmux, dir, 'bob');
  await dir.run(['send', 'demo', 'before the stop'], { env: { ROOM_TOKEN: carl } });
  await tmux.waitForText('alice', 'before the stop');

  // The broker stops: a visible reconnecting state; once it is back, the session resumes.
  for (const pid of dir.brokerPids()) process.kill(pid, 'SIGTERM');
  await tmux.waitForText('alice', '◌ reconnecting…');
  await tmux.waitForText('alice', 'lost the connection to the broker: reconnecting…');
  await dir.join('demo', 'dave'); // starts the broker again
  await tmux.waitForText('alice', '● live');
  await dir.run(['send', 'demo', 'after the restart'], { env: { ROOM_TOKEN: carl } });
  const resumed = await tmux.waitForText('alice', 'after the restart');
  assert.equal(resumed.split('before the stop').length - 1, 1, 'nothing repeated');

  // A kick ends bob's UI with the reason.
  const kick = await dir.run(['send', 'demo', '/kick bob'], { env: { ROOM_TOKEN: carl } });
  assert.equal(kick.code, 0, kick.stderr);
  const kicked = await tmux.waitForText('bob', 'EXIT=0');
  assert.match(kicked, /room: you were kicked from demo by carl/);

  // /exit by the host: every UI says so and quits cleanly.
  await dir.run(['send', 'demo', '/exit'], { env: { ROOM_TOKEN: carl } });
  const closed = await tmux.waitForText('alice', 'EXIT=0');
  assert.match(closed, /room: demo was shut down by the host/);
  assert.equal(await tmux.format('alice', '#{alternate_on}'), '0');
});

test('room with no arguments in a terminal asks for the room and the name, then opens the UI', {
  timeout: 60_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  await dir.join('demo', 'carl'); // a running room to offer
  await tmux.window('picker', { ...dir.env, USER: '' }); // no name offered: the test types it
  await tmux.line('picker', `${ROOM_BIN}; echo EXIT=$?`);
  await tmux.waitForText('picker', /Which room\?[\s\S]*demo \(running\)[\s\S]*another room…/);
  await tmux.keys('picker', 'Enter');
  await tmux.waitForText('picker', 'Your username');
  await tmux.line('picker', 'no/slash');
  await tmux.waitForText('picker', "Use 1-64 letters, digits, '.', '_' or '-'");
  await tmux.keys('picker', 'C-u');
  await tmux.line('picker', 'erin');
  await tmux.waitFor('picker', (s) => s.includes('╭─ erin ') && s.includes('→ erin joined'), 'the UI');
  await tmux.keys('picker', 'C-c');
  await tmux.waitForText('picker', 'EXIT=0');

  // Cancelling opens nothing and exits 0.
  await tmux.line('picker', 'clear');
  await tmux.line('picker', `${ROOM_BIN}; echo EXIT=$?`);
  await tmux.waitForText('picker', 'Which room?');
  await tmux.keys('picker', 'C-c');
  const cancelled = await tmux.waitForText('picker', 'EXIT=0');
  assert.match(cancelled, /Nothing opened/);
});

test('a shrink then a grow, then Ctrl-C, three times: the terminal exactly as before, scrollback included', {
  timeout: 120_000,
}, async (t) => {
  // tmux puts rows of the alternate screen into the primary screen's history
  // when the pane shrank and grew while it was on, unless it is left blank:
  // this needs a shell with history (seq) and a screen full of messages.
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  const carl = await dir.join('demo', 'carl');
  for (let i = 1; i <= 30; i++) {
    const sent = await dir.run(['send', 'demo', `history message ${i}, long enough to fill a good part of the line`], {
      env: { ROOM_TOKEN: carl },
    });
    assert.equal(sent.code, 0, sent.stderr);
  }
  await tmux.window('alice', dir.env);
  await tmux.line('alice', `seq 1 200; stty -g > ${dir.file('alice.stty')}; echo BEFORE`);
  await tmux.waitForText('alice', /^BEFORE$/m);
  const command = `${ROOM_BIN} demo alice; echo EXIT=$?`;
  for (let round = 1; round <= 3; round++) {
    await tmux.resize('alice', COLUMNS, ROWS);
    await tmux.waitFor(
      'alice',
      (s) => s.split('\n').length === ROWS + 1 && /^\$ ?$/m.test(s.trimEnd().split('\n').at(-1)!),
      'the prompt at 100x30',
    );
    const before = await tmux.history('alice');
    await tmux.line('alice', command);
    await tmux.waitFor(
      'alice',
      (s) => s.includes('● live') && s.includes('history message 30,') && s.includes('PgUp PgDn'),
      `alice's UI (round ${round})`,
    );
    await tmux.resize('alice', 50, 15);
    await tmux.waitFor(
      'alice',
      (s) => s.includes('Ctrl-C quit') && !s.includes('PgUp PgDn') && s.includes('history message 30,'),
      'the UI redrawn at 50x15',
    );
    await tmux.resize('alice', 130, 35);
    await tmux.waitFor(
      'alice',
      (s) => s.includes('PgUp PgDn') && s.split('\n').length === 36 && s.includes('history message 30,'),
      'the UI redrawn at 130x35',
    );
    await tmux.keys('alice', 'C-c');
    await tmux.waitForText('alice', /^EXIT=0$/m);
    await tmux.waitFor('alice', (s) => s.trimEnd().endsWith('EXIT=0\n$'), 'the prompt after the UI');
    const after = await tmux.history('alice');
    assert.deepEqual(
      after,
      [...before.slice(0, -1), `$ ${command}`, 'EXIT=0', '$'],
      `round ${round}: the shell's lines and nothing else, in the scrollback as on the screen`,
    );
    assert.equal(await tmux.format('alice', '#{alternate_on} #{cursor_flag}'), '0 1', 'primary screen, cursor visible');
  }
  await tmux.line('alice', `stty -g | cmp -s - ${dir.file('alice.stty')} && echo STTY-SAME || echo STTY-CHANGED`);
  await tmux.waitForText('alice', /^STTY-SAME$/m);
});

test('without a terminal the UI refuses (exit 2) and starts nothing', async (t) => {
  const dir = RoomDir.create(t);
  const result = await dir.run(['demo', 'alice']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /the terminal UI needs a terminal on stdin and stdout: use --agent/);
  assert.equal(existsSync(dir.socket('demo')), false, 'no broker was started');
  const bare = await dir.run([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /Usage:/);
});
