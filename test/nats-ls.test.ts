// room ls for a room shared between machines (issue 16): it says which NATS
// server(s) the room is shared through, beside this machine's rooms that are not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ndjson } from './helpers.ts';
import { Machine } from './nats-machines.ts';
import { NatsServer } from './nats-server.ts';

test('room ls shows the NATS server a shared room goes through, and nothing for a local room', async (t) => {
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'shared', nats.url);
  await a.join('alice');
  await a.dir.join('local', 'bob');
  const json = await a.dir.run(['ls', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const [local, shared] = ndjson<{ room: string; nats?: string }>(json.stdout);
  assert.equal(local!.room, 'local');
  assert.equal('nats' in local!, false, 'a local room has no nats field');
  assert.equal(shared!.room, 'shared');
  assert.equal(shared!.nats, nats.url);
  const text = await a.dir.run(['ls']);
  assert.equal(text.code, 0, text.stderr);
  const [header, localRow, sharedRow] = text.stdout.trimEnd().split('\n');
  assert.match(header!, /LAST ACTIVITY +SHARED THROUGH$/);
  assert.match(localRow!, /^local .* -$/);
  assert.match(sharedRow!, new RegExp(`^shared +running .* ${nats.url.replaceAll('.', '\\.')}$`));
});
