// shared/input.ts: what a typed line means, the same in the UI, agent mode and room send.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoomError } from '../shared/errors.ts';
import { parseInput } from '../shared/input.ts';

const json = { json: true };
const text = { json: false };

test('plain text is a message, kept verbatim', () => {
  assert.deepEqual(parseInput('hello  there\nsecond line', text), {
    type: 'message',
    content: 'hello  there\nsecond line',
  });
  assert.deepEqual(parseInput('{"type":"message"} is just text in the UI', text), {
    type: 'message',
    content: '{"type":"message"} is just text in the UI',
  });
});

test('slash commands split their params on whitespace', () => {
  assert.deepEqual(parseInput('/claim implement the  auth module', text), {
    type: 'command',
    cmd: 'claim',
    params: ['implement', 'the', 'auth', 'module'],
  });
  assert.deepEqual(parseInput('/who', text), { type: 'command', cmd: 'who', params: [] });
  assert.deepEqual(parseInput('/set_status reviewing PRs', text), {
    type: 'command',
    cmd: 'set_status',
    params: ['reviewing', 'PRs'],
  });
  assert.deepEqual(parseInput('/kick @bob', text), { type: 'command', cmd: 'kick', params: ['@bob'] });
});

test('/dm and /reply keep the text after their first argument verbatim', () => {
  assert.deepEqual(parseInput('/dm @bob hey,  can we\nsync?', text), {
    type: 'dm',
    to: '@bob',
    content: 'hey,  can we\nsync?',
  });
  assert.deepEqual(parseInput('/reply 3f2a  ok then', text), { type: 'reply', reply_to: '3f2a', content: 'ok then' });
});

test('/DM and /Reply are /dm and /reply, as the broker matches built-ins in any case', () => {
  assert.deepEqual(parseInput('/DM bob hi   there\nline2', text), {
    type: 'dm',
    to: 'bob',
    content: 'hi   there\nline2',
  });
  assert.deepEqual(parseInput('/Reply 3F2A ok', text), { type: 'reply', reply_to: '3F2A', content: 'ok' });
  assert.throws(() => parseInput('/Reply zz hi', text), { code: 'invalid_command' });
});

test('// escapes a leading slash', () => {
  assert.deepEqual(parseInput('//etc/hosts is the file', text), { type: 'message', content: '/etc/hosts is the file' });
});

test('JSON envelopes are events only where JSON is accepted', () => {
  assert.deepEqual(parseInput(' {"type":"dm","to":"bob","content":"x"} ', json), {
    type: 'dm',
    to: 'bob',
    content: 'x',
  });
});

test('bad input is a RoomError with a stable code', () => {
  const cases: Array<[string, string]> = [
    ['/', 'invalid_command'],
    ['/ x', 'invalid_command'],
    ['/dm bob', 'invalid_command'],
    ['/dm', 'invalid_command'],
    ['/reply abcd', 'invalid_command'],
    ['/reply zzzz ok', 'invalid_command'],
    ['/reply abc ok', 'invalid_command'],
    ['/bad$name', 'invalid_command'],
  ];
  for (const [line, code] of cases) {
    assert.throws(
      () => parseInput(line, text),
      (e: unknown) => e instanceof RoomError && e.code === code,
      line,
    );
  }
  assert.throws(
    () => parseInput('{"type":', json),
    (e: unknown) => e instanceof RoomError && e.code === 'invalid_json',
  );
  assert.throws(
    () => parseInput('{"type":"bogus"}', json),
    (e: unknown) => e instanceof RoomError && e.code === 'unknown_type',
  );
  assert.throws(
    () => parseInput('{"content":"x"}', json),
    (e: unknown) => e instanceof RoomError && e.code === 'unknown_type',
  );
});

test('/reply with an id that is not a hex prefix says what an id looks like', () => {
  for (const line of ['/reply zzzz ok', '/reply 3f2 ok', '/reply 3f2a!x ok']) {
    assert.throws(
      () => parseInput(line, text),
      (e: unknown) =>
        e instanceof RoomError &&
        e.code === 'invalid_command' &&
        /^usage: \/reply <id-prefix> <message>: the id is the event's id or at least its first 4 characters \(0-9, a-f\)$/.test(
          e.message,
        ),
      line,
    );
  }
  assert.deepEqual(parseInput('/reply 3F2A-b ok', text), { type: 'reply', reply_to: '3F2A-b', content: 'ok' });
});

test("room send's rule: text starting with { is an envelope only when it is one", () => {
  const auto = { json: 'auto' } as const;
  assert.deepEqual(parseInput('{"type":"command","cmd":"claim","params":["x"]}', auto), {
    type: 'command',
    cmd: 'claim',
    params: ['x'],
  });
  for (const line of ['{braces} at start', '{"type":', '{"type":"bogus"}', '{"content":"x"}', '{}', '{"type":1}'])
    assert.deepEqual(parseInput(line, auto), { type: 'message', content: line }, line);
  assert.deepEqual(parseInput('/who', auto), { type: 'command', cmd: 'who', params: [] });
});
