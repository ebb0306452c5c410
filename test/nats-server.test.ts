// The NATS test harness itself (test/nats-server.ts): a single JetStream
// server and a three-node cluster start on loopback, store a message with
// the replicas asked for, and a restarted server still holds it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServer } from './nats-server.ts';

test('a JetStream server keeps a stored message across a restart', async (t) => {
  const server = await NatsServer.start(t);
  let nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'HARNESS', subjects: ['harness.>'] });
  const ack = await jetstream(nc).publish('harness.one', 'hello');
  assert.equal(ack.seq, 1);
  await nc.close();
  await server.stop();
  await server.restart();
  nc = await connect({ servers: server.url });
  const stored = await (await jetstreamManager(nc)).streams.getMessage('HARNESS', { seq: 1 });
  assert.equal(stored?.string(), 'hello');
  await nc.close();
});

test('a three-node cluster stores with three replicas', async (t) => {
  const nodes = await NatsServer.cluster(t, 3);
  const nc = await connect({ servers: nodes.map((node) => node.url) });
  t.after(() => nc.close());
  // A stream of three replicas is a Raft group the three nodes must form first: on a loaded
  // machine that can take longer than the client's default 5 s for an API request.
  const jsm = await jetstreamManager(nc, { timeout: 60_000 });
  await jsm.streams.add({ name: 'HARNESS3', subjects: ['harness3.>'], num_replicas: 3 });
  const ack = await jetstream(nc, { timeout: 60_000 }).publish('harness3.one', 'hello');
  assert.equal(ack.seq, 1);
  const info = await jsm.streams.info('HARNESS3');
  assert.equal(info.config.num_replicas, 3);
});
