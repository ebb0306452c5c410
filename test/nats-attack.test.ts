// Shared rooms under attack (issue 16): cases found by trying to break the
// promises of server/nats/, each a test that failed before its fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { streamName } from '../server/nats/event-stream.ts';
import { stopProcess } from './helpers.ts';
import { Machine } from './nats-machines.ts';
import { NatsServer } from './nats-server.ts';

interface Line {
  type: string;
  seq: number;
  content?: string;
}

test('a history whose stream was made again, and has grown past it, is refused at start, not mixed', async (t) => {
  // The stream a machine's history came from is deleted (or NATS lost its storage), another
  // machine makes the room again and writes more than this machine ever had: the new stream
  // ends past this history, so "ahead of the stream" cannot see it. Its event at this
  // history's last seq is another event.
  const nats = await NatsServer.start(t);
  const a = new Machine(t, 'again', nats.url);
  const b = new Machine(t, 'again', nats.url);
  const alice = await a.join('alice');
  assert.equal((await a.send(alice, 'kept here')).code, 0);
  await stopProcess(a.brokerPid());
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.delete(streamName('again'));
  await nc.close();
  const bob = await b.join('bob');
  for (const text of ['new 1', 'new 2', 'new 3']) assert.equal((await b.send(bob, text)).code, 0);

  const restarted = await a.dir.run(['join', 'again', 'carol']);
  assert.equal(restarted.code, 3, restarted.stderr); // the broker failed to start: it says why
  assert.match(
    restarted.stderr,
    /ends with event \S+ at seq 1, but the stream ROOM_again .* holds another event at seq 1/,
  );
  assert.deepEqual(
    a.history().map((l) => (JSON.parse(l) as Line).content),
    ['kept here'],
    'the history is left as it was',
  );
});
