// Agent mode (`room <room> <user> --agent`): the seed's FIFO recipe, what is
// printed (history, own join, live events, private answers), what is sent
// (JSON events, plain text, slash commands) and how bad lines are reported.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AgentProcess, assertConsecutive, historyAfterLeave, historyLines } from './agent-process.ts';
import { ROOT, RoomDir, http, isAlive, stopProcess, waitUntil } from './helpers.ts';

test('the seed recipe: the agent reads a FIFO held open by tail, a second client talks to it, out gets NDJSON', async (t) => {
  const dir = RoomDir.create(t);
  // The recipe as the README gives it, run by sh with `room` on PATH.
  const script = [
    'set -e',
    `cd '${dir.path}'`,
    'mkfifo in',
    'room myroom bot --agent < in > out 2> err &',
    'echo "agent $!"',
    'tail -f /dev/null > in &',
    'echo "tail $!"',
    `echo '{"type":"message","content":"hi"}' > in`,
  ].join('\n');
  const pids = new Map<string, number>();
  // stderr to /dev/null: tail inherits it and would hold a pipe open.
  const started = execFileSync('sh', ['-c', script], {
    env: { ...dir.env, PATH: `${join(ROOT, 'bin')}:${process.env.PATH}` },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 10_000,
  });
  for (const [, name, pid] of started.matchAll(/^(\w+) (\d+)$/gm)) pids.set(name!, Number(pid));
  t.after(async () => {
    for (const pid of pids.values()) await stopProcess(pid, 500);
  });
  const out = () =>
    readFileSync(dir.file('out'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; user: string; content?: string });
  await waitUntil(() => out().some((e) => e.content === 'hi'), 10_000, "the agent's own message in out");

  const alice = await dir.join('myroom', 'alice');
  const sent = await dir.run(['send', '-t', alice, 'myroom', 'hello bot']);
  assert.equal(sent.code, 0, sent.stderr);
  await waitUntil(() => out().some((e) => e.content === 'hello bot'), 5000, "alice's message in out");
  assert.deepEqual(
    out().map((e) => `${e.type}:${e.user}:${e.content ?? ''}`),
    ['join:bot:', 'message:bot:hi', 'message:alice:hello bot'],
  );
  assert.equal(readFileSync(dir.file('err'), 'utf8'), '', 'nothing on stderr');

  // The recipe's end: stopping the holder ends stdin; the agent leaves and exits.
  await stopProcess(pids.get('tail')!);
  await waitUntil(() => !isAlive(pids.get('agent')!), 5000, 'the agent to exit');
  assert.equal(
    historyLines(dir, 'myroom')
      .map((l) => JSON.parse(l) as { type: string; user: string })
      .filter((e) => e.user === 'bot')
      .at(-1)?.type,
    'leave',
  );
});

test('prints the last -n visible history events, then its own join, then live events, each exactly as the history line', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice'); // the host
  await dir.join('r', 'carol');
  const post = (body: object) => http(dir.socket('r'), 'POST', '/messages', { token: alice, body });
  for (let i = 1; i <= 24; i++) await post({ type: 'message', content: `m${i}` });
  await post({ type: 'dm', to: 'carol', content: 'not for bot' });

  const three = AgentProcess.start(dir, 'r', 'bot', { args: ['-n', '3'] });
  await three.live('bot');
  assert.deepEqual(
    three.events().map((e) => e.content ?? `${e.type}:${e.user}`),
    ['m22', 'm23', 'm24', 'join:bot'],
    'the DM to carol is neither shown nor counted',
  );
  await post({ type: 'message', content: 'live one' });
  await three.waitFor((events) => events.some((e) => e.content === 'live one'), 'a live event');
  three.end();
  assert.equal(await three.exit(), 0, three.stderr);

  const fallback = AgentProcess.start(dir, 'r', 'dave');
  await fallback.live('dave');
  // The default is 20: the last 20 visible history lines (not the DM to
  // carol), then the join, each byte for byte as in the history file.
  const visible = historyLines(dir, 'r').filter((line) => (JSON.parse(line) as { type: string }).type !== 'dm');
  assert.deepEqual(fallback.lines, visible.slice(-21));
  assert.deepEqual(
    fallback
      .events()
      .slice(-3)
      .map((e) => e.content ?? `${e.type}:${e.user}`),
    ['live one', 'leave:bot', 'join:dave'],
  );
  fallback.end();
  assert.equal(await fallback.exit(), 0);

  const none = AgentProcess.start(dir, 'r', 'erin', { args: ['-n', '0'] });
  await none.live('erin');
  assert.deepEqual(
    none.events().map((e) => `${e.type}:${e.user}`),
    ['join:erin'],
  );
  none.end();
  assert.equal(await none.exit(), 0);
});

test('sends JSON events, plain text and slash commands; prints private answers; reports bad lines and goes on', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice'); // the host, so bot cannot /kick
  const first = JSON.parse((await dir.run(['send', '-t', alice, 'r', 'question?'])).stdout) as { id: string };
  const bot = AgentProcess.start(dir, 'r', 'bot');
  await bot.live('bot');
  bot.write(
    '{"type":"message","content":"json message"}', // 1
    '{not json', //                                   2
    '{"type":"bogus","content":"x"}', //              3
    'plain text', //                                  4
    '', //                                            5: ignored
    '/kick alice', //                                 6: not the host
    '/dm nobody hi', //                               7: no such user
    '/who', //                                        8: a private answer
    `{"type":"reply","reply_to":"${first.id.slice(0, 8)}","content":"answer"}`,
    '{"type":"dm","to":"alice","content":"psst"}',
    '{"type":"command","cmd":"claim","params":["auth"]}',
    '/set_status busy',
    '//not a command',
    '  {"type":"message","content":"indented json"}  ',
    'last',
  );
  await bot.waitFor((events) => events.some((e) => e.content === 'last'), "the last line's echo");
  const printed = bot
    .events()
    .slice(2)
    .map((e) => {
      if (e.seq === undefined) return `notice:${e.content!.split('\n')[0]}`;
      return `${e.type}:${e.user}:${e.content ?? `${e.cmd} ${e.params!.join(' ')}`}${e.to === undefined ? '' : `>${e.to}`}`;
    });
  assert.deepEqual(printed, [
    'message:bot:json message',
    'message:bot:plain text',
    'notice:online — bot',
    'reply:bot:answer',
    'dm:bot:psst>alice',
    'command:bot:claim auth',
    'system:broker:bot set status: busy',
    'message:bot:/not a command',
    'message:bot:indented json',
    'message:bot:last',
  ]);
  const reply = bot.events().find((e) => e.type === 'reply')!;
  assert.equal(reply.reply_to, first.id, 'the id prefix was resolved');
  const errors = bot.stderr.trim().split('\n');
  assert.equal(errors.length, 4, bot.stderr);
  assert.match(errors[0]!, /^room: line 2 not sent: invalid JSON/);
  assert.match(errors[1]!, /^room: line 3 not sent: unknown event type "bogus"/);
  assert.match(errors[2]!, /^room: line 6 not sent: .*restricted to the room host \(permission_denied\)$/);
  assert.match(errors[3]!, /^room: line 7 not sent: no user nobody has joined this room \(unknown_user\)$/);
  // The private answer was not stored; everything else was, once.
  const stored = historyLines(dir, 'r').map((l) => JSON.parse(l) as { user: string; content?: string });
  assert.equal(stored.filter((e) => e.content?.startsWith('online')).length, 0);
  assert.equal(stored.filter((e) => e.user === 'bot' && e.content === 'last').length, 1);
  bot.end();
  assert.equal(await bot.exit(), 0);
});

test("refusals are reported in the order of the lines: the broker's and those made before sending alike", async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('r', 'alice');
  const input = ['/dm nobody first refused', '{not json', 'kept', '{"type":"bogus"}', ''].join('\n');
  const result = await dir.run(['r', 'bot', '--agent', '-n', '0'], { input });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    result.stderr
      .trim()
      .split('\n')
      .map((line) => /^room: line (\d+) not sent: .*\((\w+)\)$/.exec(line)?.slice(1).join(' ')),
    ['1 unknown_user', '2 invalid_json', '4 unknown_type'],
  );
});

test('stdin EOF: every line read is sent, in order, and echoed; then the leave is broadcast and it exits 0', async (t) => {
  const dir = RoomDir.create(t);
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i + 1}`);
  const result = await dir.run(['r', 'bot', '--agent', '-n', '0'], { input: `${lines.join('\n')}\n` });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const printed = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; content?: string; seq: number });
  assert.equal(printed[0]!.type, 'join');
  assert.deepEqual(
    printed.slice(1).map((e) => e.content),
    lines,
    'all sent and echoed, in the order read',
  );
  assertConsecutive(printed.map((e) => e.seq));
  const last = JSON.parse((await historyAfterLeave(dir, 'r', 'bot')).at(-1)!) as {
    type: string;
    user: string;
    seq: number;
  };
  assert.deepEqual(
    [last.type, last.user, last.seq],
    ['leave', 'bot', printed.at(-1)!.seq + 1],
    'leaves right after its last message',
  );
  assert.ok(existsSync(dir.file('room-r-bot.token')), 'joining wrote the token record');
});

test('stdin already at its end (< /dev/null): prints the last -n events and its own join, then leaves', async (t) => {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  for (const content of ['one', 'two', 'three'])
    await http(dir.socket('r'), 'POST', '/messages', { token: alice, body: { type: 'message', content } });
  for (let round = 0; round < 3; round++) {
    const result = await dir.run(['r', 'bot', '--agent', '-n', '2']);
    assert.equal(result.code, 0, result.stderr);
    const history = await historyAfterLeave(dir, 'r', 'bot');
    assert.equal(
      result.stdout,
      `${history.slice(-4, -1).join('\n')}\n`,
      'two history events and the join, the leave after',
    );
    assert.match(history.at(-2)!, /"type":"join","id":"[^"]+","room":"r","user":"bot"/);
    assert.match(history.at(-1)!, /"type":"leave","id":"[^"]+","room":"r","user":"bot"/);
  }
});

test('input that ends before the session is live is still sent after the join; -f picks the history of a new room', async (t) => {
  const dir = RoomDir.create(t);
  const chat = dir.file('elsewhere.ndjson');
  const result = await dir.run(['r', 'bot', '--agent', '-f', chat], { input: '{"type":"message","content":"early"}' }); // no final newline
  assert.equal(result.code, 0, result.stderr);
  const printed = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; content?: string });
  assert.deepEqual(
    printed.map((e) => e.content ?? e.type),
    ['join', 'early'],
  );
  assert.deepEqual(readFileSync(chat, 'utf8').trim().split('\n').slice(0, 2), result.stdout.trim().split('\n'));
  const health = await http(dir.socket('r'), 'GET', '/health');
  assert.equal(health.status, 200, 'the broker it started keeps running');
});
