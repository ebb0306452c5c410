// shared/validate.ts must agree with Ajv (what the broker validates with) on
// the event schemas, for valid events and for each way an event can be wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { EVENT_SCHEMAS, Event } from '../shared/events.ts';
import { isRoomEvent, parseEvent } from '../shared/validate.ts';

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
