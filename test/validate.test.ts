// shared/validate.ts must agree with Ajv (what the broker validates with) on
// the event schemas, for valid events and for each way an event can be wrong.
// The broker checks history lines with the same schema compiled at build time
// (server/precompiled/generate.ts): it must accept and refuse exactly the lines
// shared/validate.ts does, which poll, watch and log use.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { EVENT_SCHEMAS, Event, type RoomEvent } from '../shared/events.ts';
import { isRoomEvent, parseEvent } from '../shared/validate.ts';
import { historyEventCode } from '../server/precompiled/generate.ts';

const ajv = new Ajv({ discriminator: true, strict: false });
formats.default(ajv);
for (const schema of EVENT_SCHEMAS) ajv.addSchema(schema);
const ajvCheck = ajv.compile(Event);

const base = {
  id: '5b6f0a5e-3c1d-4f0e-9a6b-2d9c8e7f1a20',
  room: 'r',
  user: 'alice',
  ts: '2026-11-24T10:01:02.123Z',
  seq: 7,
};
const valid = [
  { type: 'join', ...base },
  { type: 'leave', ...base },
  { type: 'message', ...base, content: 'hello' },
  { type: 'message', ...base, content: '' },
  { type: 'message', ...base, content: '🙂'.repeat(65536) },
  { type: 'reply', ...base, reply_to: base.id, content: 'ack' },
  { type: 'command', ...base, cmd: 'claim', params: ['the', 'parser'] },
  { type: 'command', ...base, cmd: 'clear-tokens', params: [] },
  { type: 'system', ...base, user: 'broker', content: 'alice set status: busy' },
  { type: 'dm', ...base, to: 'bob', content: 'psst' },
];
const invalid = [
  null,
  42,
  'text',
  [],
  {},
  { type: 'bogus', ...base },
  { type: 'message', ...base },
  { type: 'message', ...base, content: 5 },
  { type: 'message', ...base, content: 'x'.repeat(65537) },
  { type: 'message', ...base, content: 'hi', extra: true },
  { type: 'message', ...base, seq: 0, content: 'hi' },
  { type: 'message', ...base, seq: 1.5, content: 'hi' },
  { type: 'message', ...base, seq: '7', content: 'hi' },
  { type: 'message', ...base, id: 'not-a-uuid', content: 'hi' },
  { type: 'message', ...base, ts: 'yesterday', content: 'hi' },
  { type: 'message', ...base, room: '../x', content: 'hi' },
  { type: 'join', ...base, user: 7 },
  { type: 'reply', ...base, content: 'no reply_to' },
  { type: 'command', ...base, cmd: 'x y', params: [] },
  { type: 'command', ...base, cmd: 'claim', params: [1] },
  { type: 'command', ...base, cmd: 'claim' },
  { type: 'dm', ...base, content: 'no to' },
  { type: 'dm', ...base, to: '.hidden', content: 'x' },
  { type: 'join', ...base, toString: 1 },
  JSON.parse(`{"type":"join","id":"${base.id}","room":"r","user":"a","ts":"${base.ts}","seq":1,"__proto__":null}`),
];

test('the client-side checker agrees with Ajv on valid and invalid events', () => {
  for (const event of valid) {
    assert.equal(ajvCheck(event), true, `Ajv accepts ${JSON.stringify(event).slice(0, 80)}`);
    assert.equal(isRoomEvent(event), true, `accepts ${JSON.stringify(event).slice(0, 80)}`);
  }
  for (const event of invalid) {
    assert.equal(ajvCheck(event), false, `Ajv refuses ${JSON.stringify(event)?.slice(0, 80)}`);
    assert.equal(isRoomEvent(event), false, `refuses ${JSON.stringify(event)?.slice(0, 80)}`);
  }
});

test('parseEvent returns null for lines that are not JSON or not events', () => {
  assert.equal(parseEvent(''), null);
  assert.equal(parseEvent('{"type":"message"'), null);
  assert.equal(parseEvent('{"type":"message"}'), null);
  assert.deepEqual(parseEvent(JSON.stringify(valid[2])), valid[2]);
});

/** The broker's history check from the code the build bundles (CommonJS that requires Ajv's runtime helpers). */
function generatedCheck(): (value: unknown) => value is RoomEvent {
  const module = { exports: {} as unknown };
  new Function('require', 'module', 'exports', historyEventCode())(
    createRequire(import.meta.url),
    module,
    module.exports,
  );
  return module.exports as (value: unknown) => value is RoomEvent;
}

/** Every event above, and each with one field replaced by another value, removed, or one added: as history lines. */
function variants(): string[] {
  const values: unknown[] = [
    null,
    true,
    0,
    1,
    -1,
    1.5,
    2 ** 53,
    '',
    'x',
    'alice',
    'Bob.smith_2-x',
    '-x',
    '.x',
    'a b',
    'é',
    '🙂',
    'x'.repeat(65536),
    '🙂'.repeat(65536),
    'x'.repeat(65537),
    '\ud800',
    base.id,
    base.id.toUpperCase(),
    `urn:uuid:${base.id}`,
    `${base.id}0`,
    base.ts,
    '2026-11-24t10:01:02z',
    '2026-11-24T10:01:02+01:00',
    '2026-11-24T10:01:02+0100',
    '2026-13-45T99:99:99Z', // the shape of a date-time, not a date (ajv-formats refuses it; shared/validate.ts does not)
    '2026-11-24 10:01:02Z',
    [],
    ['x'],
    [1],
    Array.from({ length: 1025 }, () => 'p'),
    {},
    { type: 'message' },
    'join',
    'message',
    'command',
  ];
  const lines: string[] = [];
  for (const event of [...valid, ...invalid]) {
    lines.push(JSON.stringify(event));
    if (event === null || typeof event !== 'object' || Array.isArray(event)) continue;
    const keys = [
      ...Object.keys(event),
      'to',
      'reply_to',
      'cmd',
      'params',
      'content',
      'extra',
      '__proto__',
      'toString',
    ];
    for (const key of keys) {
      const { [key]: _, ...without } = event as Record<string, unknown>;
      lines.push(JSON.stringify(without));
      for (const value of values) lines.push(JSON.stringify({ ...without, [key]: value }));
    }
  }
  // What JSON.stringify never writes but a line edited by hand may hold.
  const message = JSON.stringify(valid[2]);
  lines.push(
    message.replace('"seq":7', '"seq":7.0'),
    message.replace('"seq":7', '"seq":1e309'),
    message.replace('"seq":7', '"seq":-0'),
    message.replace('"content":"hello"', '"content":"a","content":"b"'),
    message.replace('{', '{"__proto__":{"x":1},'),
    message.replace('"hello"', '"\\ud83d\\ude42\\ud800"'),
    `${message} `,
    message.slice(0, -1),
    '[]',
    'null',
    '"message"',
  );
  return lines;
}

test("the broker's generated history check accepts and refuses exactly the lines shared/validate.ts does", () => {
  const check = generatedCheck();
  const lines = variants();
  let accepted = 0;
  for (const line of lines) {
    const shared = parseEvent(line);
    assert.equal(
      parseEvent(line, check) !== null,
      shared !== null,
      `same verdict on ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`,
    );
    if (shared !== null) accepted++;
  }
  // Both verdicts occur often, so the comparison means something.
  assert.ok(lines.length > 3000 && accepted > 300 && lines.length - accepted > 300, `${accepted} of ${lines.length}`);
  assert.deepEqual(parseEvent(JSON.stringify(valid[2]), check), valid[2]);
});
