// room follow through the real broker: live delivery, a broker restart in the
// middle, the cursor shared with poll and watch, the endings, the filters.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import { http, ndjson, RoomDir, stopProcess, waitUntil } from './helpers.ts';

/** A running `room follow`, its stdout split into lines. */
class Follower {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  #partial = '';

  constructor(dir: RoomDir, args: string[]) {
    this.child = dir.spawn(['follow', ...args]);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  async waitForLines(n: number): Promise<void> {
    await waitUntil(
      () => this.lines.length >= n,
      8000,
      `${n} lines from room follow (got ${JSON.stringify(this.lines)})`,
    );
  }

  async exit(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const [code] = (await once(this.child, 'exit')) as [number | null];
    return code;
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exit();
  }
}

const TF = (dir: RoomDir, user: string) => ['--token-file', dir.file(`room-demo-${user}.token`)];

async function setup(t: TestContext) {
  const dir = RoomDir.create(t);
  await dir.join('demo', 'alice');
  const bobToken = await dir.join('demo', 'bob');
  const send = async (user: string, ...words: string[]) => {
    const result = await dir.run(['send', 'demo', ...TF(dir, user), ...words]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { id: string };
  };
  /** bob counts as listening (GET /users), once the follower's stream is open. */
  const bobListens = async () =>
    waitUntil(
      async () => {
        const users = (await http(dir.socket('demo'), 'GET', '/users', { token: bobToken })).json();
        return users.listening?.some((u: { user: string }) => u.user === 'bob') === true;
      },
      8000,
      'bob listening',
    );
  return { dir, send, bobListens, bobToken };
}

test('follow prints one compact line per message for the caller, live; not its own, not joins', async (t) => {
  const { dir, send, bobListens } = await setup(t);
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  const hello = await send('alice', 'hello @bob');
  await send('bob', 'my own words');
  await dir.join('demo', 'carol');
  const dm = await send('alice', '--to', 'bob', 'psst');
  await follower.waitForLines(2);
  assert.deepEqual(follower.lines, [
    `[room] alice (message ${hello.id.slice(0, 8)}, mentions you): hello @bob`,
    `[room] alice (dm ${dm.id.slice(0, 8)} to you): psst`,
  ]);
  await follower.stop();
});

test('who lists a follower as listening, not online; it is gone from the list when it stops', async (t) => {
  const { dir, bobListens, bobToken } = await setup(t);
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  const who = await dir.run(['send', 'demo', ...TF(dir, 'alice'), '/who']);
  assert.match(JSON.parse(who.stdout).content, /^listening — bob$/m);
  await follower.stop();
  await waitUntil(async () => {
    const users = (await http(dir.socket('demo'), 'GET', '/users', { token: bobToken })).json();
    return users.listening.length === 0 && users.recent.some((u: { user: string }) => u.user === 'bob');
  });
});

test('a broker restart in the middle: the follower keeps going, no gap, no duplicate, listens again', async (t) => {
  const { dir, send, bobListens } = await setup(t);
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  await send('alice', 'one');
  await follower.waitForLines(1);
  for (const pid of dir.brokerPids()) await stopProcess(pid);
  await dir.join('demo', 'carol'); // starts a new broker
  await send('alice', 'two');
  await send('carol', 'three');
  await follower.waitForLines(3);
  await bobListens(); // reconnected to the new broker
  assert.deepEqual(
    follower.lines.map((l) => l.replace(/ \(.*\)/, '')),
    ['[room] alice: one', '[room] alice: two', '[room] carol: three'],
  );
  await follower.stop();
});

test('the cursor is shared with poll and watch: nothing printed twice, nothing skipped', async (t) => {
  const { dir, send, bobListens } = await setup(t);
  await send('alice', 'before');
  const polled = await dir.run(['poll', 'demo', ...TF(dir, 'bob')]);
  assert.ok(ndjson(polled.stdout).some((e) => e.content === 'before'));

  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  await send('alice', 'during');
  await follower.waitForLines(1);
  assert.equal(follower.lines.length, 1, 'what poll printed is not printed again');
  assert.match(follower.lines[0]!, /: during$/);
  await follower.stop();
  const after = await dir.run(['poll', 'demo', ...TF(dir, 'bob')]);
  assert.equal(after.stdout, '', 'what follow printed poll does not print again');

  await send('alice', 'while stopped');
  const watched = await dir.run(['watch', 'demo', ...TF(dir, 'bob'), '--timeout', '10']);
  assert.deepEqual(
    ndjson(watched.stdout).map((e) => e.content),
    ['while stopped'],
  );
  const again = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  await send('alice', 'last');
  await again.waitForLines(1);
  assert.equal(again.lines.length, 1);
  assert.match(again.lines[0]!, /: last$/);
  await again.stop();
});

test('a kick ends the follower with one line and exit 4', async (t) => {
  const { dir, send, bobListens } = await setup(t);
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  await send('alice', '/kick', 'bob');
  assert.equal(await follower.exit(), 4);
  assert.equal(follower.lines.length, 1, follower.lines.join('\n'));
  assert.equal(follower.lines[0], '[room] you were kicked from demo by alice: room follow stopped');
});

test('/clear-tokens ends the follower with one line and exit 4', async (t) => {
  const { dir, send, bobListens } = await setup(t);
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  await send('alice', '/clear-tokens');
  assert.equal(await follower.exit(), 4);
  assert.deepEqual(follower.lines, [
    '[room] alice revoked every token in demo: run room join again: room follow stopped',
  ]);
});

test('a listener announces nothing: no join or leave in the history', async (t) => {
  const { dir, send, bobListens } = await setup(t);
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  await send('alice', 'hi');
  await follower.waitForLines(1);
  await follower.stop();
  const history = await dir.run(['poll', 'demo', ...TF(dir, 'alice')]);
  assert.deepEqual(
    ndjson(history.stdout).filter((e) => e.user === 'bob'),
    [],
  );
});

test("the host's /exit ends the follower with one line and exit 0", async (t) => {
  const { dir, send, bobListens } = await setup(t);
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  await send('alice', '/exit');
  assert.equal(await follower.exit(), 0);
  assert.deepEqual(follower.lines, ['[room] demo was shut down by the host: room follow stopped']);
});

test('--mentions prints only mentions and DMs and leaves the cursor to poll', async (t) => {
  const { dir, send, bobListens } = await setup(t);
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob'), '--mentions']);
  await bobListens();
  await send('alice', 'to everyone');
  await send('alice', 'hey @BOB');
  await send('alice', '--to', 'bob', 'private');
  await follower.waitForLines(2);
  assert.match(follower.lines[0]!, /mentions you\): hey @BOB$/);
  assert.match(follower.lines[1]!, /dm .* to you\): private$/);
  await follower.stop();
  const polled = await dir.run(['poll', 'demo', ...TF(dir, 'bob')]);
  assert.deepEqual(
    ndjson(polled.stdout)
      .filter((e) => e.user === 'alice')
      .map((e) => e.content),
    ['to everyone', 'hey @BOB', 'private'],
  );
});

test('--json prints the history lines; a long text is cut in the compact form with how to read it', async (t) => {
  const { dir, send, bobListens } = await setup(t);
  const json = new Follower(dir, ['demo', ...TF(dir, 'bob'), '--json', '--mentions']);
  const compact = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  const first = await send('alice', 'short');
  const long = await send('alice', `@bob ${'x'.repeat(1000)}`);
  await compact.waitForLines(2);
  await json.waitForLines(1);
  assert.equal(JSON.parse(json.lines[0]!).id, long.id);
  assert.match(
    compact.lines[1]!,
    new RegExp(`… \\(cut, 605 more characters; read it whole: room poll demo --since ${first.id}\\)$`),
  );
  await json.stop();
  await compact.stop();
});

test('bad input: no room id is a usage error (2); a bad token exits 4; nothing starts', async (t) => {
  const { dir } = await setup(t);
  assert.equal((await dir.run(['follow', ...TF(dir, 'bob')])).code, 2);
  const bad = await dir.run(['follow', 'demo', '-t', 'not-a-token']);
  assert.equal(bad.code, 4);
  assert.match(bad.stderr, /invalid or revoked token/);
});

test("claims reach the follower: others' claims and releases, and the notice when a claim of yours is taken over", async (t) => {
  const { dir, send, bobListens } = await setup(t);
  await send('bob', '/claim', 'src/a.ts', 'fixing', 'CRLF');
  const follower = new Follower(dir, ['demo', ...TF(dir, 'bob')]);
  await bobListens();
  const forced = await send('alice', '/claim', 'src/a.ts', '--force');
  await follower.waitForLines(2);
  assert.equal(follower.lines[0], `[room] alice (command ${forced.id.slice(0, 8)}): /claim src/a.ts`);
  assert.match(
    follower.lines[1]!,
    /^\[room\] broker \(notice\): alice took over src\/a\.ts from @bob \(--force\); bob's claim since .*"src\/a\.ts fixing CRLF"$/,
  );
  await follower.stop();
});
