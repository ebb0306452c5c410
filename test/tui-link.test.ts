// The UI's link to a real broker (client/tui/link.ts): events arrive in the
// store in order and batched, texts typed in a row are sent in order, private
// answers are shown, a refused text comes back into the input (what was
// queued after it is held back and named), stopping leaves the room, texts
// the session's end left unsent are kept and counted (main.ts reports them on
// stderr), and a text whose answer was lost is never stored twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roomPaths } from '../shared/paths.ts';
import type { Inbound } from '../shared/api.ts';
import { roomError } from '../shared/errors.ts';
import { BrokerClient, type PostAnswer } from '../client/live/broker-client.ts';
import { RoomLink } from '../client/tui/link.ts';
import { initialState } from '../client/tui/state.ts';
import { Store } from '../client/tui/store.ts';
import { RoomDir, ndjson, waitUntil } from './helpers.ts';

/** A room with alice (the host) and bob, and `me`'s UI link live in it, on the client `clientFor` makes. */
async function liveLink<C extends BrokerClient = BrokerClient>(
  t: Parameters<typeof RoomDir.create>[0],
  me: 'alice' | 'bob',
  clientFor: (socket: string, store: Store) => C = (socket) => new BrokerClient(socket) as C,
) {
  const dir = RoomDir.create(t);
  const host = await dir.join('demo', 'alice');
  const bob = await dir.join('demo', 'bob');
  const token = me === 'alice' ? host : bob;
  const paths = roomPaths(dir.path, 'demo');
  const store = new Store(initialState('demo', me, 'alice', { columns: 80, rows: 24 }));
  const client = clientFor(paths.socket, store);
  t.after(() => client.close());
  const link = new RoomLink({ client, paths, token, history: 20, giveUpMs: 5000, store });
  const running = link.run();
  await waitUntil(() => store.getState().connection === 'live', 5000, 'live');
  return { dir, host, token, paths, client, store, link, running };
}

test('sending in order, private answers, refusals back in the input, leaving', async (t) => {
  const { dir, token, store, link, running } = await liveLink(t, 'alice');

  const contents = () =>
    store
      .getState()
      .entries.flatMap((e) => (e.kind === 'event' && e.event.type === 'message' ? [e.event.content] : []));
  const sent = [link.send('one'), link.send('two'), link.send('/who'), link.send('three')];
  await Promise.all(sent);
  await waitUntil(() => contents().length === 3, 5000, 'the echoes');
  assert.deepEqual(contents(), ['one', 'two', 'three'], 'in the order typed');
  const notice = store.getState().entries.find((e) => e.kind === 'notice');
  assert.match(notice?.kind === 'notice' ? notice.notice.content : '', /online — alice \(host\)/);

  // A refused text comes back with the reason; what was queued behind it is not sent either, and not joined to it.
  await Promise.all([link.send('/dm zed hi'), link.send('not sent either')]);
  assert.equal(
    store.getState().error,
    'no user zed has joined this room (the text typed after it was not sent either: Ctrl-P brings it back)',
  );
  assert.equal(store.getState().input.text, '/dm zed hi');
  const held3 = `held 3, ${'long '.repeat(20)}\nline two`;
  await Promise.all([link.send('/dm zed hi'), link.send('held 2'), link.send(held3)]);
  assert.match(
    store.getState().error ?? '',
    /\(the 2 texts typed after it were not sent either: Ctrl-P brings them back\)$/,
  );
  // The error goes when the broker comes back after an outage; a line in the log keeps naming what was held back.
  const line = store.getState().entries.at(-1);
  assert.equal(
    line?.kind === 'local' ? line.text : line?.kind,
    'not sent: 2 texts typed after a refused one were held back (Ctrl-P brings them back): ' +
      '"held 2", "held 3, long long long long long long lo…"',
  );
  store.dispatch({ type: 'input', input: { text: '', cursor: 0 } });
  await Promise.all([link.send('/reply zz hi')]);
  assert.match(
    store.getState().error ?? '',
    /^usage: \/reply <id-prefix> <message>: the id is the event's id or at least its first 4 characters/,
  );
  const history = ndjson<{ type: string; content?: string }>(
    (await dir.run(['poll', 'demo'], { env: { ROOM_TOKEN: token } })).stdout,
  );
  assert.ok(
    !history.some((e) => ['not sent either', 'hi', 'held 2', held3].includes(e.content ?? '')),
    'nothing refused or held back was stored',
  );

  // A reply by a prefix of an id on screen.
  const first = store.getState().entries.find((e) => e.kind === 'event' && e.event.type === 'message');
  const id = first?.kind === 'event' ? first.event.id : '';
  await link.send(`/reply ${id.slice(0, 4)} answering one`);
  await waitUntil(
    () =>
      store.getState().entries.some((e) => e.kind === 'event' && e.event.type === 'reply' && e.event.reply_to === id),
    5000,
    'the reply',
  );

  link.stop();
  assert.equal((await running).reason, 'stopped');
  assert.equal(store.getState().connection, 'ended');
  const after = ndjson<{ type: string; user: string }>(
    (await dir.run(['poll', 'demo'], { env: { ROOM_TOKEN: token } })).stdout,
  );
  assert.ok(
    after.some((e) => e.type === 'leave' && e.user === 'alice'),
    'the broker broadcast the leave',
  );
});

test('texts still queued when the session ends are not sent and are counted for the report', async (t) => {
  const { dir, host, token, paths, client, store, link, running } = await liveLink(t, 'bob');
  await link.send('before the kick');
  assert.deepEqual(await link.unsent(), { queued: 0, unanswered: 0 }, 'nothing left while live');

  await client.post(host, { type: 'command', cmd: 'kick', params: ['bob'] });
  // Typed right after the kick: refused as over (or never posted once the end is seen), not put back in the input.
  void link.send('first late');
  void link.send('second late');
  const end = await running;
  assert.equal(end.reason, 'kicked');
  void link.send('after the end');
  assert.deepEqual(await link.unsent(), { queued: 3, unanswered: 0 }, 'refused or never posted: none in doubt');
  assert.equal(store.getState().input.text, '', 'nothing came back into the input of an ended session');
  const history = ndjson<{ type: string; content?: string }>(
    (await dir.run(['poll', 'demo'], { env: { ROOM_TOKEN: host } })).stdout,
  );
  assert.ok(history.some((e) => e.content === 'before the kick'));
  assert.ok(
    !history.some((e) => e.content?.includes('late') || e.content === 'after the end'),
    'none of them was stored',
  );

  // Refused because the session is over (its end not seen yet): kept queued, not put back in the input.
  const other = new Store(initialState('demo', 'bob', 'alice', { columns: 80, rows: 24 }));
  const unaware = new RoomLink({ client, paths, token, history: 20, giveUpMs: 5000, store: other });
  await Promise.all([unaware.send('one'), unaware.send('two')]);
  assert.deepEqual(await unaware.unsent(), { queued: 2, unanswered: 0 });
  assert.equal(other.getState().input.text, '');
  assert.equal(other.getState().error, null);
});

test("the host's /clear empties what an open UI shows; the notice and what follows are shown", async (t) => {
  const { dir, host, store, link, running } = await liveLink(t, 'bob');
  const shown = () =>
    store
      .getState()
      .entries.map((e) =>
        e.kind === 'event'
          ? e.event.type === 'message' || e.event.type === 'system'
            ? e.event.content
            : e.event.type
          : e.kind,
      );

  await link.send('before the clear');
  await waitUntil(() => shown().includes('before the clear'), 5000, 'the message');
  assert.equal((await dir.run(['send', 'demo', '/clear'], { env: { ROOM_TOKEN: host } })).code, 0);
  assert.equal((await dir.run(['send', 'demo', 'after the clear'], { env: { ROOM_TOKEN: host } })).code, 0);
  await waitUntil(() => shown().includes('after the clear'), 5000, 'the message after the clear');
  assert.deepEqual(shown(), ['alice cleared chat history', 'after the clear'], 'the old lines are gone');

  link.stop();
  assert.equal((await running).reason, 'stopped');
});

/**
 * A client whose next post loses its answer as if the broker died right
 * after storing it: the post reaches the real broker (`whenStored`: before
 * the failure is reported, or `afterFailure`: only once the UI has given the
 * text back), and the caller gets broker_unreachable instead of the echo.
 */
class AnswerLost extends BrokerClient {
  mode: 'whenStored' | 'afterFailure' | undefined;
  readonly store: Store;

  constructor(socket: string, store: Store) {
    super(socket);
    this.store = store;
  }

  override async post(token: string, inbound: Inbound, key?: string): Promise<PostAnswer> {
    const mode = this.mode;
    this.mode = undefined;
    if (mode === undefined) return super.post(token, inbound, key);
    const lost = roomError('broker_unreachable.connection_failed', { detail: 'ECONNRESET', socket: 'test' });
    if (mode === 'whenStored') {
      const answer = await super.post(token, inbound, key);
      const id = answer.stored ? answer.event.id : '';
      // The echo is in the UI before the post's failure comes back.
      await waitUntil(() => this.store.getState().entries.some((e) => e.kind === 'event' && e.event.id === id));
      throw lost;
    }
    void waitUntil(() => this.store.getState().error !== null, 5000, 'the text given back').then(() =>
      super.post(token, inbound, key),
    );
    throw lost;
  }
}

test('a text whose answer was lost but which the broker stored is not given back to be sent twice', async (t) => {
  const { dir, token, client, store, link, running } = await liveLink(
    t,
    'alice',
    (socket, store) => new AnswerLost(socket, store),
  );
  const stored = (content: string) =>
    store
      .getState()
      .entries.filter((e) => e.kind === 'event' && e.event.type === 'message' && e.event.content === content).length;

  // Its echo came before the failure: it was sent, nothing comes back.
  client.mode = 'whenStored';
  await link.send('echoed first');
  assert.equal(store.getState().input.text, '');
  assert.equal(store.getState().error, null);

  // The failure came first: the text is given back, then leaves the input when its event arrives.
  client.mode = 'afterFailure';
  await link.send('stored after all');
  assert.equal(store.getState().input.text, 'stored after all');
  await waitUntil(() => store.getState().input.text === '', 5000, 'the text to leave the input');
  await link.send('next');
  await waitUntil(() => stored('next') === 1, 5000, 'the next message');
  assert.deepEqual([stored('echoed first'), stored('stored after all')], [1, 1]);

  link.stop();
  await running;
  const history = ndjson<{ content?: string }>(
    (await dir.run(['poll', 'demo'], { env: { ROOM_TOKEN: token } })).stdout,
  );
  assert.deepEqual(
    history.flatMap((e) => (e.content === undefined ? [] : [e.content])),
    ['echoed first', 'stored after all', 'next'],
  );
});
