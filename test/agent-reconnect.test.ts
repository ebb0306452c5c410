// Agent mode across broker restarts: a clean stop (SIGTERM) and restart by
// someone else, a crash (SIGKILL) the agent recovers from by starting a new
// broker itself, giving up when nobody comes back, and a replaced history.
// What the agent printed must be the history, line for line: no gap, no
// duplicate.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { AgentProcess, assertConsecutive, historyAfterLeave, historyLines } from './agent-process.ts';
import { RoomDir, http, isAlive, stopProcess, waitUntil } from './helpers.ts';

const seqOf = (line: string) => (JSON.parse(line) as { seq: number }).seq;

async function setup(t: Parameters<typeof RoomDir.create>[0], reconnectSeconds = '20') {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const post = async (content: string) => {
    const answer = await http(dir.socket('r'), 'POST', '/messages', {
      token: alice,
      body: { type: 'message', content },
    });
    assert.equal(answer.status, 201, answer.body);
  };
  const bot = AgentProcess.start(dir, 'r', 'bot', { env: { ROOM_RECONNECT_SECONDS: reconnectSeconds } });
  await bot.live('bot');
  await post('before');
  await bot.waitFor((events) => events.some((e) => e.content === 'before'), 'the first message');
  return { dir, post, bot };
}

const hasContent = (content: string) => (events: { content?: string }[]) => events.some((e) => e.content === content);

test('broker stopped (SIGTERM) and started again by someone else: the agent resumes, lines typed meanwhile are sent after', async (t) => {
  const { dir, post, bot } = await setup(t);
  const [first] = dir.brokerPids();
  await stopProcess(first!);
  await bot.waitForStderr(/lost the connection to the broker of room r: reconnecting \(giving up after 20 s\)/);
  bot.write('typed while down 1', 'typed while down 2');

  const restart = await dir.run(['join', 'r', 'carol']);
  assert.equal(restart.code, 0, restart.stderr);
  await bot.waitForStderr(/reconnected to room r/);
  await bot.waitFor(hasContent('typed while down 2'), 'the lines typed during the restart');
  await post('after');
  await bot.waitFor(hasContent('after'), 'a message after the restart');
  bot.end();
  assert.equal(await bot.exit(), 0, bot.stderr);

  // Everything in the history but bot's final leave, once each, in order,
  // including the leave the stopping broker wrote for bot's first stream.
  const history = await historyAfterLeave(dir, 'r', 'bot');
  assert.deepEqual(bot.lines, history.slice(0, -1));
  assertConsecutive(bot.lines.map(seqOf));
  assert.deepEqual(
    bot.events().map((e) => e.content ?? `${e.type}:${e.user}`),
    ['join:bot', 'before', 'leave:bot', 'join:bot', 'typed while down 1', 'typed while down 2', 'after'],
  );
  assert.equal(dir.brokerPids().length, 2);
});

test('broker crash (SIGKILL) under a stream of messages: the agent starts a new broker and resumes with no gap and no duplicate', async (t) => {
  const { dir, post, bot } = await setup(t);
  // alice keeps posting throughout; posts while no broker runs just fail.
  let sending = true;
  let sent = 0;
  const sender = (async () => {
    for (let i = 1; sending; i++) {
      await post(`burst ${i}`).then(
        () => sent++,
        () => {},
      );
    }
  })();
  t.after(() => {
    sending = false;
  });
  await waitUntil(() => sent >= 20, 5000, 'some messages before the crash');
  const [first] = dir.brokerPids();
  process.kill(first!, 'SIGKILL');
  await waitUntil(() => !isAlive(first!), 5000, 'the broker to die');
  bot.write('typed during the crash 1', 'typed during the crash 2', 'typed during the crash 3');
  await bot.waitForStderr(/reconnected to room r/);
  const [, second] = dir.brokerPids();
  assert.ok(second !== undefined && isAlive(second), 'the agent started a new broker');
  const sentBefore = sent;
  await waitUntil(() => sent >= sentBefore + 20, 5000, 'more messages after the restart');
  sending = false;
  await sender;
  await bot.waitFor(hasContent('typed during the crash 3'), 'the lines typed during the crash');
  const lastSent = historyLines(dir, 'r')
    .filter((l) => l.includes('"burst '))
    .at(-1)!;
  await bot.waitFor(hasContent((JSON.parse(lastSent) as { content: string }).content), 'the last burst message');
  bot.end();
  assert.equal(await bot.exit(), 0, bot.stderr);

  const history = await historyAfterLeave(dir, 'r', 'bot');
  assert.deepEqual(bot.lines, history.slice(0, -1), 'printed exactly the history (but its final leave)');
  assertConsecutive(bot.lines.map(seqOf));
  const typed = bot
    .events()
    .filter((e) => e.content?.startsWith('typed during'))
    .map((e) => e.content);
  assert.deepEqual(typed, ['typed during the crash 1', 'typed during the crash 2', 'typed during the crash 3']);
  assert.equal(
    bot.events().filter((e) => e.type === 'join' && e.user === 'bot').length,
    2,
    'joined again on the new broker',
  );
});

test('nobody restarts a stopped broker: the agent gives up after ROOM_RECONNECT_SECONDS with exit 3', async (t) => {
  const { dir, bot } = await setup(t, '1');
  const [first] = dir.brokerPids();
  await stopProcess(first!);
  const stoppedAt = Date.now();
  bot.write('never sent');
  assert.equal(await bot.exit(), 3, bot.stderr);
  const took = Date.now() - stoppedAt;
  assert.ok(took >= 900 && took < 5000, `gave up after ${took} ms`);
  assert.match(
    bot.stderr,
    /room: lost the broker of room r: gave up reconnecting after 1 s \(no broker is running on .*\)\n/,
  );
  assert.match(bot.stderr, /room: 1 input line was not sent: the session ended first\n/);
  assert.equal(dir.brokerPids().length, 1, 'a broker stopped on purpose is not restarted by the agent');
});

test('a history replaced while the broker was down is printed from its start, with a warning', async (t) => {
  const { dir, bot } = await setup(t);
  const [first] = dir.brokerPids();
  await stopProcess(first!);
  await bot.waitForStderr(/reconnecting/);
  rmSync(dir.file('r.chat'));
  const restart = await dir.run(['join', 'r', 'carol']);
  assert.equal(restart.code, 0, restart.stderr);
  await bot.waitForStderr(/reconnected/);
  await bot.waitFor(
    (events) => events.at(-1)?.type === 'join' && events.at(-1)?.seq === 1,
    'the join in the new history',
  );
  assert.match(bot.stderr, /the history of room r was replaced \(we had seq 2\): starting over/);
  // The leave written at the stop went with the old file: it was never printed.
  // The leave the stopping broker wrote went with the old file: it was never printed.
  assert.deepEqual(
    bot.events().map((e) => `${e.type}:${e.seq}`),
    ['join:1', 'message:2', 'join:1'],
  );
  bot.end();
  assert.equal(await bot.exit(), 0, bot.stderr);
});

test('a reader too slow for the broker: the stream is dropped and resumed with nothing lost or repeated', async (t) => {
  const dir = RoomDir.create(t);
  // A small per-subscriber buffer, so a stalled agent is dropped soon.
  const joined = await dir.run(['join', 'r', 'alice'], { env: { ROOM_SSE_MAX_BUFFER: '65536' } });
  const alice = (JSON.parse(joined.stdout) as { token: string }).token;
  const bot = AgentProcess.start(dir, 'r', 'bot');
  await bot.live('bot');
  // Nobody reads the agent's stdout: its writes block, so it stops reading the stream.
  bot.child.stdout.pause();
  const filler = 'x'.repeat(1000);
  for (let i = 1; i <= 1000; i += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        http(dir.socket('r'), 'POST', '/messages', {
          token: alice,
          body: { type: 'message', content: `${i + j} ${filler}` },
        }),
      ),
    );
  }
  bot.child.stdout.resume();
  await bot.waitFor((events) => events.some((e) => e.content?.startsWith('1000 ')), 'the last message', 15_000);
  assert.match(bot.stderr, /lost the connection[\s\S]*reconnected/, 'the broker dropped the stalled stream');
  bot.end();
  assert.equal(await bot.exit(), 0, bot.stderr);
  assert.deepEqual(bot.lines, (await historyAfterLeave(dir, 'r', 'bot')).slice(0, -1));
  assertConsecutive(bot.lines.map(seqOf));
});
