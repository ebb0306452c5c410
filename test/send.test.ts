// room send: words, stdin, JSON envelopes, slash commands, DMs, bad input.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RoomDir, ndjson } from './helpers.ts';

async function room(t: Parameters<typeof RoomDir.create>[0]) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  return { dir, alice, history: () => ndjson(readFileSync(dir.file('r.chat'), 'utf8')) };
}

test('words are joined with spaces and the echo is the history line', async (t) => {
  const { dir, alice } = await room(t);
  const result = await dir.run(['send', '-t', alice, 'r', 'hello', 'from', 'a script']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const echo = JSON.parse(result.stdout);
  assert.deepEqual(Object.keys(echo), ['type', 'id', 'room', 'user', 'ts', 'seq', 'content']);
  assert.equal(echo.content, 'hello from a script');
  assert.equal(echo.user, 'alice');
  assert.equal(echo.room, 'r');
  assert.match(echo.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(
    readFileSync(dir.file('r.chat'), 'utf8'),
    result.stdout,
    'the echo is byte for byte the line in the history',
  );
});

test('with no words the message is read from stdin, newlines kept as one message', async (t) => {
  const { dir, alice, history } = await room(t);
  const result = await dir.run(['send', 'r'], {
    env: { ROOM_TOKEN: alice },
    input: 'line one\nline two\n\nline four\n',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).content, 'line one\nline two\n\nline four');
  assert.equal(history().length, 1);
});

test('a JSON envelope is sent as that event', async (t) => {
  const { dir, alice } = await room(t);
  const command = await dir.run([
    'send',
    '-t',
    alice,
    'r',
    '{"type":"command","cmd":"claim","params":["the","parser"]}',
  ]);
  assert.equal(command.code, 0, command.stderr);
  const event = JSON.parse(command.stdout);
  assert.equal(event.type, 'command');
  assert.equal(event.cmd, 'claim');
  assert.deepEqual(event.params, ['the', 'parser']);

  const reply = await dir.run([
    'send',
    '-t',
    alice,
    'r',
    JSON.stringify({ type: 'reply', reply_to: event.id, content: 'ack' }),
  ]);
  assert.equal(reply.code, 0, reply.stderr);
  assert.equal(JSON.parse(reply.stdout).reply_to, event.id);
});

test('text starting with / is parsed as a command; // escapes a literal slash', async (t) => {
  const { dir, alice, history } = await room(t);
  const claim = JSON.parse((await dir.run(['send', '-t', alice, 'r', '/claim implement the auth module'])).stdout);
  assert.equal(claim.type, 'command');
  assert.deepEqual(claim.params, ['implement', 'the', 'auth', 'module']);

  const status = JSON.parse((await dir.run(['send', '-t', alice, 'r', '/set_status', 'reviewing', 'PRs'])).stdout);
  assert.equal(status.type, 'system');
  assert.equal(status.content, 'alice set status: reviewing PRs');

  const who = await dir.run(['send', '-t', alice, 'r', '/who']);
  assert.equal(who.code, 0, who.stderr);
  const notice = JSON.parse(who.stdout);
  assert.equal(notice.type, 'system');
  assert.equal(notice.seq, undefined, '/who is private: not stored, no seq');

  const literal = JSON.parse((await dir.run(['send', '-t', alice, 'r', '//not a command'])).stdout);
  assert.equal(literal.type, 'message');
  assert.equal(literal.content, '/not a command');
  assert.deepEqual(
    history().map((e) => e.type),
    ['command', 'system', 'message'],
  );
});

test('--to and /dm send a direct message', async (t) => {
  const { dir, alice } = await room(t);
  await dir.join('r', 'bob');
  const viaFlag = JSON.parse((await dir.run(['send', '-t', alice, 'r', '--to', 'bob', 'psst'])).stdout);
  assert.deepEqual([viaFlag.type, viaFlag.to, viaFlag.content], ['dm', 'bob', 'psst']);
  const viaSlash = JSON.parse((await dir.run(['send', '-t', alice, 'r', '/dm @bob hey, can we sync?'])).stdout);
  assert.deepEqual([viaSlash.type, viaSlash.to, viaSlash.content], ['dm', 'bob', 'hey, can we sync?']);
});

test('bad input gets a clear error and its exit code, and writes nothing', async (t) => {
  const { dir, alice, history } = await room(t);
  const cases: Array<[string[], number, RegExp, NodeJS.ProcessEnv?]> = [
    [['send', 'r', 'hi'], 4, /no token/],
    [['send', '-t', 'not-a-token', 'r', 'hi'], 4, /invalid or revoked token/],
    [['send', '-t', alice, 'r'], 2, /empty message/],
    [['send', '-t', alice, 'r', '   '], 2, /empty message/],
    [['send', '-t', alice, 'r', '--json', '{"type":"bogus"}'], 2, /unknown event type/],
    [['send', '-t', alice, 'r', '--json', '{"type":"message"'], 2, /invalid JSON/],
    [['send', '--json', '-t', alice, 'r', '{braces} at start'], 2, /invalid JSON/],
    [['send', '--json', '-t', alice, 'r', 'plain', 'text'], 2, /invalid JSON/],
    [['send', '-t', alice, 'r', '--json', '/who'], 2, /invalid JSON/],
    [['send', '-t', alice, 'r', '--json', '["message"]'], 2, /must be an object/],
    [['send', '-t', alice, 'r', '{"type":"message"}'], 2, /content/],
    [['send', '-t', alice, 'r', '--json', '--to', 'bob', '{}'], 2, /--json or --to, not both/],
    [['send', '-t', alice, 'r', '/'], 2, /empty command/],
    [['send', '-t', alice, 'r', '/dm bob'], 2, /usage: \/dm/],
    [['send', '-t', alice, 'r', '/dm nobody hi'], 2, /no user nobody/],
    [['send', '-t', alice, 'r', '/reply ffff ok'], 2, /no message with id/],
    [['send', '-t', alice, 'r', '--bogus', 'x'], 2, /unknown option --bogus \(text that starts with '-' goes after --/],
    [['send', '-t', alice], 2, /expected <room-id>/],
    [['send', '-t', alice, '../r', 'hi'], 2, /invalid room id/],
    [['send', '-t', alice, 'nosuchroom', 'hi'], 3, /no broker is running/],
  ];
  for (const [args, code, message, env] of cases) {
    const result = await dir.run(args, { env });
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.equal(result.stdout, '', `${args.join(' ')} prints nothing on stdout`);
  }
  assert.deepEqual(history(), []);
});

test('content over 64 KiB is refused with 413 content_too_large; 64 KiB exactly is accepted', async (t) => {
  const { dir, alice, history } = await room(t);
  const tooBig = await dir.run(['send', '-t', alice, 'r'], { input: 'é'.repeat(32 * 1024 + 1) });
  assert.equal(tooBig.code, 2);
  assert.match(tooBig.stderr, /at most 65536 \(64 KiB\)/);
  const atLimit = await dir.run(['send', '-t', alice, 'r'], { input: 'x'.repeat(64 * 1024) });
  assert.equal(atLimit.code, 0, atLimit.stderr);
  assert.equal(history().length, 1);
});

test('options end where the message begins: later words that look like options are text', async (t) => {
  const { dir, alice, history } = await room(t);
  const cases: Array<[string[], string]> = [
    [['send', 'r', 'pass', '-t', 'to', 'it'], 'pass -t to it'],
    [['send', 'r', 'run', 'it', 'with', '-n', '5'], 'run it with -n 5'],
    [['send', 'r', 'see', '--help', 'and', '--to', 'x'], 'see --help and --to x'],
    [['send', 'r', '--', '-5', 'degrees'], '-5 degrees'],
    [['send', '--', 'r', '--json', 'is', 'text', 'here'], '--json is text here'],
  ];
  for (const [args, content] of cases) {
    const result = await dir.run(args, { env: { ROOM_TOKEN: alice } });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(JSON.parse(result.stdout).content, content);
  }
  // Options right after the room id still count, and before it.
  const dm = await dir.run(['send', 'r', '--to', 'alice', 'note', '-t', 'x'], { env: { ROOM_TOKEN: alice } });
  assert.equal(dm.code, 0, dm.stderr);
  assert.deepEqual([JSON.parse(dm.stdout).type, JSON.parse(dm.stdout).content], ['dm', 'note -t x']);
  const before = await dir.run(['send', '-t', alice, 'r', 'hi']);
  assert.equal(before.code, 0, before.stderr);
  assert.equal(history().length, cases.length + 2);
});

test('text that starts with { is a message unless it is an envelope; --json insists on one', async (t) => {
  const { dir, alice, history } = await room(t);
  for (const text of ['{braces} at start', '{"type":"bogus"}', '{"type":"message"', '{"not":"an envelope"}']) {
    const result = await dir.run(['send', '-t', alice, 'r', text]);
    assert.equal(result.code, 0, `${text}: ${result.stderr}`);
    const event = JSON.parse(result.stdout);
    assert.deepEqual([event.type, event.content], ['message', text]);
  }
  const envelope = await dir.run([
    'send',
    '--json',
    '-t',
    alice,
    'r',
    '{"type":"command","cmd":"claim","params":["x"]}',
  ]);
  assert.equal(envelope.code, 0, envelope.stderr);
  assert.equal(JSON.parse(envelope.stdout).type, 'command');
  assert.equal(history().length, 5);
});

test('a usage error prints the error and the one-line usage, and never echoes a huge argument', async (t) => {
  const { dir, alice } = await room(t);
  const huge = `--${'x'.repeat(100_000)}`;
  const result = await dir.run(['send', '-t', alice, huge, 'r', 'hi']);
  assert.equal(result.code, 2);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, result.stderr.slice(0, 500));
  assert.match(lines[0]!, /^room: unknown option --x{58}… \(100002 characters\)/);
  assert.match(lines[1]!, /^Usage: room send .*\(more: room send --help\)$/);
  assert.ok(result.stderr.length < 400);
  const longId = await dir.run(['send', '-t', alice, 'r'.repeat(100_000), 'hi']);
  assert.equal(longId.code, 2);
  assert.match(longId.stderr, /^room: invalid room id "r{60}…" \(100000 characters\): use /);
  assert.ok(longId.stderr.length < 400);
});
