// The host's room-wide commands through the real broker and CLI:
// /clear-tokens, /clear and /exit; revocations and the host surviving a
// broker restart; who becomes the host of a fresh room.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { AgentProcess } from './agent-process.ts';
import { ROOM, TestRoom, type Event } from './commands-room.ts';
import { http, isAlive, ndjson, stopProcess, waitUntil, type SseReader } from './helpers.ts';

/** Waits for a stream the broker ended on purpose; returns its close payload. */
async function closedWith(reader: SseReader): Promise<{ reason: string; message: string }> {
  await reader.waitFor((r) => r.ended, 5000);
  const last = reader.messages.at(-1);
  assert.equal(last?.event, 'close', 'the stream ends with event: close');
  return JSON.parse(last.data);
}

/** SIGTERM to every broker of the room (as a reboot or `kill` would). */
async function stopBrokers(room: TestRoom): Promise<void> {
  for (const pid of room.dir.brokerPids()) await stopProcess(pid);
}

const authStatus = async (room: TestRoom, token: string) =>
  (await http(room.socket, 'GET', '/users', { token })).status;

test('/clear-tokens revokes every token and ends every stream; everyone joins again and the host stays host', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const old = { ...room.tokens };
  const streams = [await room.stream('alice'), await room.stream('bob')];
  const clear = await room.sent('alice', '/clear-tokens');
  assert.deepEqual(
    [clear.type, clear.user, clear.content],
    ['system', 'broker', 'alice cleared all tokens (all users must rejoin)'],
  );
  for (const stream of streams) {
    assert.deepEqual(await closedWith(stream), {
      reason: 'revoked',
      message: `alice revoked every token in ${ROOM}: run room join again`,
    });
    assert.equal(stream.events<Event>().at(-1)?.id, clear.id, 'the notice comes before the end');
  }
  for (const [name, token] of Object.entries(old))
    assert.equal(await authStatus(room, token), 401, `${name}'s old token`);
  assert.equal((await room.send('alice', '/clear')).code, 4, "the host's token too");
  assert.deepEqual(
    Object.values(room.state().users).map((u) => u.token),
    [null, null, null],
  );

  // bob is back first: that does not make him the host.
  await room.join('bob');
  assert.equal(room.state().host, 'alice');
  assert.equal((await room.send('bob', '/clear')).code, 7);
  await room.join('alice');
  assert.equal((await room.users('bob')).host, 'alice');
  assert.equal(
    (await room.sent('alice', '/kick', 'carol')).content,
    'alice kicked carol (token invalidated)',
    'the host is host again',
  );
});

test('/clear leaves exactly the notice in the history; cursors into the cleared history start over', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const bob = await room.stream('bob');
  const one = await room.sent('alice', 'one');
  await room.sent('alice', 'two');
  for (const user of ['bob', 'carol'])
    assert.equal((await room.dir.run(['poll', '-t', room.token(user), ROOM])).code, 0);
  const lastSeq = room.history().at(-1)!.seq!;

  const clear = await room.send('alice', '/clear');
  assert.equal(clear.code, 0, clear.stderr);
  const notice = JSON.parse(clear.stdout) as Event;
  assert.deepEqual([notice.type, notice.user, notice.content], ['system', 'broker', 'alice cleared chat history']);
  assert.equal(room.historyText(), clear.stdout, 'the file holds exactly that one event');
  assert.equal(notice.seq, lastSeq + 1, 'seq goes on');
  await bob.waitFor((r) => r.events<Event>().some((e) => e.id === notice.id));
  // Open streams are told the history is gone (`event: clear`), right before the notice.
  const at = bob.messages.findIndex((m) => m.data.includes(notice.id));
  assert.deepEqual(bob.messages[at - 1], { event: 'clear', data: '{}' });
  assert.equal(bob.messages.filter((m) => m.event === 'clear').length, 1);

  const poll = await room.dir.run(['poll', '-t', room.token('bob'), ROOM]);
  assert.deepEqual(
    ndjson<Event>(poll.stdout).map((e) => e.id),
    [notice.id],
    'poll starts over: just the notice',
  );
  const three = await room.sent('alice', 'three');
  assert.deepEqual(
    ndjson<Event>((await room.dir.run(['poll', '-t', room.token('bob'), ROOM])).stdout).map((e) => e.content),
    ['three'],
  );
  const watch = await room.dir.run(['watch', '-t', room.token('carol'), ROOM, '--timeout', '5']);
  assert.equal(watch.code, 0, watch.stderr);
  assert.deepEqual(
    ndjson<Event>(watch.stdout).map((e) => e.id),
    [notice.id, three.id],
    'watch starts over too',
  );

  const messages = await http(room.socket, 'GET', '/messages', { token: room.token('carol') });
  assert.deepEqual(
    messages.json<Event[]>().map((e) => e.id),
    [notice.id, three.id],
  );
  const gone = await http(room.socket, 'GET', `/messages?since=${one.id}`, { token: room.token('carol') });
  assert.equal(gone.json().code, 'unknown_id');
  const resumed = await room.stream('carol', '/events', { 'last-event-id': String(one.seq) });
  assert.deepEqual(
    resumed
      .events<Event>()
      .slice(0, 2)
      .map((e) => e.id),
    [notice.id, three.id],
    'an SSE resume from before the clear gets what follows',
  );
  assert.deepEqual(
    resumed.messages.filter((m) => m.event !== 'epoch')[0],
    { event: 'clear', data: '{}' },
    '…told first (after the epoch) that the history it holds is gone',
  );
  const current = await room.stream('carol', '/events', { 'last-event-id': String(notice.seq) });
  assert.equal(
    current.messages.some((m) => m.event === 'clear'),
    false,
    'a resume from after the clear is not told',
  );
});

test('a live agent session goes on after /clear: it gets the notice and what follows (seq never goes back)', async (t) => {
  const room = await TestRoom.create(t, 'alice');
  await room.sent('alice', 'one');
  const bot = AgentProcess.start(room.dir, ROOM, 'bot');
  await bot.live('bot');
  const clear = await room.sent('alice', '/clear');
  const after = await room.sent('alice', 'after the clear');
  assert.ok(after.seq! > clear.seq! && clear.seq! > room.history().length, `seqs go on: ${clear.seq}, ${after.seq}`);
  await bot.waitFor((events) => events.some((e) => e.id === after.id), 'the message after the clear');
  assert.deepEqual(
    bot
      .stored()
      .slice(-2)
      .map((e) => e.id),
    [clear.id, after.id],
  );
  bot.end();
  assert.equal(await bot.exit(), 0);
  assert.equal(bot.stderr, '', 'no warning about a replaced history');
});

test('/exit ends every stream cleanly and stops the broker; the next join starts one that keeps history, tokens and host', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol');
  const streams = [await room.stream('bob'), await room.stream('carol')];
  await room.sent('bob', 'before the exit');
  const [pid] = room.dir.brokerPids();
  const exit = await room.sent('alice', '/exit');
  assert.deepEqual([exit.type, exit.user, exit.content], ['system', 'broker', 'alice is shutting down the room']);
  for (const stream of streams) {
    assert.deepEqual(await closedWith(stream), { reason: 'exit', message: `${ROOM} was shut down by the host` });
    assert.equal(stream.events<Event>().at(-1)?.id, exit.id, 'the notice comes before the end');
  }
  await waitUntil(() => !isAlive(pid!), 5000, 'the broker to stop');
  assert.equal(existsSync(room.socket), false, 'the socket is removed');
  const history = room.historyText();
  const unreachable = await room.send('bob', 'anyone?');
  assert.equal(unreachable.code, 3, 'send does not start a broker');

  await room.join('dave');
  const [, next] = room.dir.brokerPids();
  assert.ok(next !== undefined && next !== pid && isAlive(next), 'a fresh broker');
  const after = await room.sent('bob', 'after the restart');
  assert.equal(after.seq, room.history().at(-2)!.seq! + 1);
  assert.ok(room.historyText().startsWith(history), 'the history is kept');
  assert.equal((await room.users('carol')).host, 'alice', 'tokens and host are kept');
  assert.equal((await room.sent('alice', '/kick', 'dave')).type, 'system', 'the host is still host');
});

test('revocations and reauths are saved at once: a broker restart never brings a token back', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob', 'carol', 'dave');
  const old = { ...room.tokens };
  await room.sent('alice', '/kick', 'bob');
  await room.sent('alice', '/kick', 'carol');
  await room.sent('alice', '/reauth', 'carol');
  await stopBrokers(room);
  await room.join('erin'); // starts a new broker from the saved state

  assert.equal(await authStatus(room, old.bob!), 401, 'kicked bob stays revoked');
  assert.equal((await room.dir.run(['join', ROOM, 'bob'])).code, 5, 'and blocked');
  assert.equal(await authStatus(room, old.carol!), 401, "reauthed carol's old token stays dead");
  await room.join('carol');
  assert.equal(await authStatus(room, old.dave!), 200, 'others keep theirs');

  await room.sent('alice', '/clear-tokens');
  await stopBrokers(room);
  await room.join('alice');
  for (const name of ['carol', 'dave', 'erin'])
    assert.equal(await authStatus(room, room.token(name)), 401, `${name} after /clear-tokens and a restart`);
  assert.equal((await room.dir.run(['join', ROOM, 'bob'])).code, 5, '/clear-tokens does not lift a kick');
  assert.equal((await room.users('alice')).host, 'alice');
});

test('the host is the first user to join a fresh room, and no one else can take that name', async (t) => {
  const room = await TestRoom.create(t);
  // Refused joins make no one the host.
  assert.equal((await room.dir.run(['join', ROOM, 'broker'])).code, 5);
  assert.equal(room.state().host, null);

  const names = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
  const joins = await Promise.all(names.map((name) => room.dir.run(['join', ROOM, name])));
  for (const join of joins) assert.equal(join.code, 0, join.stderr);
  const host = room.state().host;
  assert.ok(host !== null && names.includes(host), `one of the first joiners is the host: ${host}`);
  for (const [i, name] of names.entries()) room.tokens[name] = JSON.parse(joins[i]!.stdout).token;
  for (const name of names) assert.equal((await room.users(name)).host, host);

  const steal = await room.dir.run(['join', ROOM, host]);
  assert.equal(steal.code, 5, "the host's name is taken");
  assert.match(steal.stderr, /already taken/);
  await stopBrokers(room);
  await room.join('late');
  assert.equal((await room.dir.run(['join', ROOM, host])).code, 5, 'still taken after a restart');
  assert.equal((await room.users('late')).host, host);
  const others = names.filter((n) => n !== host);
  assert.equal((await room.send(others[0]!, '/clear')).code, 7);
  assert.equal((await room.send(host, '/kick', others[0]!)).code, 0);
});
