// `room mcp` driven by the MCP SDK's own client over stdio, against a real
// broker: every tool, tool errors with the broker's code, `wait` woken by
// someone else's message, the room resource and its update notifications,
// names per client (distinct, stable across a reconnect), presence while
// connected, the project's room from CLAUDE.md, and the size of the tool
// list in tokens (recorded in bench/README.md).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { countTokens } from 'gpt-tokenizer';
import { ROOM, TestRoom, type Event } from './commands-room.ts';
import { ROOM_BIN, waitUntil } from './helpers.ts';

type ToolText = { isError?: boolean; content: Array<{ type: string; text: string }> };

/** An MCP client connected to `room mcp` in the test room's directory. */
async function connect(
  room: TestRoom,
  options: { client?: string; args?: string[]; cwd?: string } = {},
): Promise<Client> {
  const transport = new StdioClientTransport({
    command: ROOM_BIN,
    args: ['mcp', ...(options.args ?? ['--room', ROOM])],
    env: room.dir.env as Record<string, string>,
    cwd: options.cwd,
    stderr: 'pipe',
  });
  const client = new Client({ name: options.client ?? 'test-client', version: '1.0.0' });
  await client.connect(transport);
  // Closed before the room's directory is removed: a server still running could write into it again.
  room.dir.beforeCleanup(() => client.close());
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolText> {
  return (await client.callTool({ name, arguments: args })) as ToolText;
}

async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = await call(client, name, args);
  assert.notEqual(result.isError, true, `${name}: ${result.content[0]?.text}`);
  return result.content[0]!.text;
}

/** Reads until what was read matches (events reach the server over its stream a moment after they are stored). */
async function readUntil(client: Client, pattern: RegExp): Promise<string> {
  let seen = '';
  await waitUntil(
    async () => {
      const text = await ok(client, 'read');
      if (text !== 'nothing new') seen += `${seen === '' ? '' : '\n'}${text}`;
      return pattern.test(seen);
    },
    10_000,
    `a read matching ${pattern}`,
  );
  return seen;
}

/** The name the server took: the one user online besides those given. */
async function mcpUser(room: TestRoom, known: readonly string[]): Promise<string> {
  let name: string | undefined;
  await waitUntil(async () => {
    name = (await room.users('alice')).online.map((u) => u.user).find((u) => !known.includes(u));
    return name !== undefined;
  });
  return name!;
}

test('the tool list is lean: seven tools, under 1,000 tokens in all', async (t) => {
  const room = await TestRoom.create(t, 'alice');
  const client = await connect(room);
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((tool) => tool.name),
    ['send', 'read', 'wait', 'who', 'claim', 'release', 'claims'],
  );
  const json = JSON.stringify(tools);
  const tokens = countTokens(json);
  t.diagnostic(`tools/list: ${tokens} tokens (o200k), ${json.length} characters of JSON`);
  assert.ok(tokens < 1000, `${tokens} tokens`);
});

test('every tool works against the broker; errors carry the broker code', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const client = await connect(room, { client: 'Claude Code' });
  const me = await mcpUser(room, ['alice', 'bob']);
  assert.equal(me, `claude-code-${process.pid}`, 'named after the client and its process');

  assert.match(await ok(client, 'send', { text: 'hello from mcp' }), /^ok \[[0-9a-f]{8}\] #\d+$/);
  const hello = room.history().find((e) => e.content === 'hello from mcp')!;
  assert.deepEqual([hello.type, hello.user], ['message', me]);
  await ok(client, 'send', { text: 'psst', to: 'bob' });
  assert.deepEqual(((e) => [e.type, e.to])(room.history().at(-1)!), ['dm', 'bob']);
  await ok(client, 'send', { text: 'answering', reply_to: hello.id.slice(0, 8) });
  assert.equal(room.history().at(-1)!.reply_to, hello.id);
  await ok(client, 'send', { text: '/set_status testing tools' });
  assert.match(await ok(client, 'who'), new RegExp(`online — .*${me}: testing tools`));

  const unknown = await call(client, 'send', { text: 'hi', to: 'nobody' });
  assert.equal(unknown.isError, true);
  assert.match(unknown.content[0]!.text, /^unknown_user: no user nobody has joined this room$/);
  const both = await call(client, 'send', { text: 'which?', to: 'bob', reply_to: hello.id.slice(0, 8) });
  assert.equal(both.isError, true);
  assert.match(both.content[0]!.text, /^invalid_event: invalid event: give to \(a DM\) or reply_to .*, not both$/);
  assert.notEqual(room.history().at(-1)!.content, 'which?', 'nothing was sent');
  // An argument the tool does not take is refused, not dropped: a misspelt `reply-to` must not send a plain message.
  const misspelt = await call(client, 'send', { text: 'typo', 'reply-to': hello.id.slice(0, 8) }).catch(
    (error: Error) => ({ isError: true, content: [{ type: 'text', text: error.message }] }),
  );
  assert.equal(misspelt.isError, true);
  assert.match(misspelt.content[0]!.text, /reply-to/);
  assert.notEqual(room.history().at(-1)!.content, 'typo', 'nothing was sent');

  await ok(client, 'claim', { what: 'src/a.ts fixing it' });
  const refused = await room.send('bob', '/claim src/a.ts');
  assert.equal(refused.code, 7);
  assert.match(refused.stderr, new RegExp(`claimed by ${me} .*"src/a.ts fixing it"`));
  await room.sent('bob', '/claim docs/ writing');
  const conflict = await call(client, 'claim', { what: 'docs/guide.md' });
  assert.equal(conflict.isError, true);
  assert.match(conflict.content[0]!.text, /^claim_conflict: docs is claimed by bob since .*"docs\/ writing"/);
  await ok(client, 'claim', { what: 'docs/guide.md', force: true });
  assert.match(
    await ok(client, 'claims'),
    new RegExp(`^src/a.ts — ${me} since \\d\\d:\\d\\d: src/a.ts fixing it\\ndocs/guide.md — ${me} since`),
  );
  assert.match(await ok(client, 'who'), new RegExp(`claims — ${me}: src/a.ts, docs/guide.md`));
  await ok(client, 'release', { what: 'src/a.ts' });
  await ok(client, 'release');
  assert.equal(await ok(client, 'claims'), 'no open claims');
  assert.match((await call(client, 'release')).content[0]!.text, /^claim_not_found: /);

  // read: what others said since the last read, compact; own events and joins are not news.
  const first = await readUntil(client, /took over docs from @bob/);
  assert.match(first, /\] \d\d:\d\d bob: \/claim docs\/ writing\n/);
  assert.doesNotMatch(first, /hello from mcp|joined/);
  const said = await room.sent('bob', 'a word from bob');
  assert.match(await readUntil(client, new RegExp(`\\[${said.id.slice(0, 8)}\\]`)), /bob: a word from bob$/);
});

test('read returns what is new once; wait wakes on a foreign message and returns it', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const client = await connect(room);
  await mcpUser(room, ['alice', 'bob']);
  await ok(client, 'read'); // the replayed history
  assert.equal(await ok(client, 'read'), 'nothing new');

  const waiting = ok(client, 'wait', { seconds: 30 }).then((text) => ({ text, at: Date.now() }));
  const said = await room.sent('bob', 'wake up');
  const { text: woke, at } = await waiting;
  const latency = at - Date.parse((said as Event & { ts: string }).ts);
  t.diagnostic(`wait returned ${latency} ms after the broker stamped the message`);
  assert.match(woke, new RegExp(`^\\[${said.id.slice(0, 8)}\\] \\d\\d:\\d\\d bob: wake up$`));
  assert.equal(await ok(client, 'read'), 'nothing new', 'wait consumed it');

  await room.sent('bob', 'one');
  await room.sent('alice', 'two');
  assert.match(await readUntil(client, /alice: two$/), /bob: one\n.*alice: two$/, 'in order, from everyone else');
  assert.equal(await ok(client, 'wait', { seconds: 1 }), 'nothing new after 1s');
});

test('the room is a resource; subscribers are told when something new arrives', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const client = await connect(room);
  await mcpUser(room, ['alice', 'bob']);
  const uri = `room://${ROOM}`;
  const { resources } = await client.listResources();
  assert.deepEqual(
    resources.map((r) => r.uri),
    [uri],
  );
  const updates: string[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
  await client.subscribeResource({ uri });
  await room.sent('bob', 'news');
  await waitUntil(() => updates.length > 0, 5000, 'resources/updated');
  assert.deepEqual(updates, [uri]);
  const { contents } = await client.readResource({ uri });
  assert.match((contents[0] as { text: string }).text, /bob: news$/);
});

test('each client gets its own name, kept across a reconnect; a disconnect leaves the room', async (t) => {
  const room = await TestRoom.create(t, 'alice');
  const one = await connect(room, { client: 'codex' });
  const first = await mcpUser(room, ['alice']);
  const two = await connect(room, { client: 'codex' });
  const second = await mcpUser(room, ['alice', first]);
  assert.equal(first, `codex-${process.pid}`);
  assert.equal(second, `codex-${process.pid}-2`, 'the same client name and process: a suffix');
  const other = await connect(room, { client: 'gemini-cli' });
  assert.equal(await mcpUser(room, ['alice', first, second]), `gemini-cli-${process.pid}`);
  await ok(two, 'send', { text: 'from two' });
  await ok(other, 'send', { text: 'from other' });
  assert.deepEqual(
    room
      .history()
      .filter((e: Event) => e.type === 'message')
      .map((e) => e.user),
    [second, `gemini-cli-${process.pid}`],
  );

  await one.close();
  await room.waitOnline('alice', first, null, 'the first client left');
  assert.ok(room.history().some((e) => e.type === 'leave' && e.user === first));
  await connect(room, { client: 'codex' });
  await room.waitOnline('alice', first, () => true, 'the same name back');
});

test("room mcp takes the project's room from CLAUDE.md, and says so when there is none", async (t) => {
  const room = await TestRoom.create(t, 'alice');
  const project = mkdtempSync(join(tmpdir(), 'room-project-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  const none = await room.dir.run(['mcp'], { cwd: project });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^room: no room given and none found: pass --room ROOM-ID, or run room init/);
  assert.match(
    none.stderr,
    /\nUsage: room mcp .*\(more: room mcp --help\)\n$/,
    'the one-line usage, as every usage error',
  );
  assert.equal(none.stdout, '');
  writeFileSync(join(project, 'CLAUDE.md'), `# p\n\n<!-- room:protocol room=${ROOM} (written by room init) -->\n`);
  const client = await connect(room, { args: ['--name', 'helper'], cwd: project });
  await ok(client, 'send', { text: 'found it' });
  assert.equal(room.history().at(-1)!.user, 'helper');
  assert.equal((await room.dir.run(['mcp', '--room', ROOM, '--name', 'bad name'])).code, 2);
});

test('read and wait use the shared cursor: a restarted server neither repeats nor skips, and poll never prints again what read gave', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const agent = ['--room', ROOM, '--name', 'agent'];
  const poll = async () => {
    const result = await room.dir.run(['poll', ROOM, '--token-file', room.dir.file(`room-${ROOM}-agent.token`)]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const first = await connect(room, { args: agent });
  await room.waitOnline('alice', 'agent', () => true, 'the server joined');
  await room.sent('bob', 'one');
  assert.match(await readUntil(first, /bob: one$/), /bob: one$/);
  await first.close();
  await room.waitOnline('alice', 'agent', null, 'the server left');
  await room.sent('bob', 'two');

  const second = await connect(room, { args: agent });
  const read = await readUntil(second, /bob: two$/);
  assert.doesNotMatch(read, /bob: one/, 'not repeated');
  assert.doesNotMatch(await poll(), /"content":"(one|two)"/, 'what read gave, poll does not print');
  await room.sent('bob', 'three');
  assert.match(await poll(), /"content":"three"/);
  assert.equal(await ok(second, 'read'), 'nothing new', 'what poll printed, read does not give');
  assert.equal(await ok(second, 'wait', { seconds: 1 }), 'nothing new after 1s');
});

test('a send made right after the broker is killed waits for the restart and is stored once', async (t) => {
  const room = await TestRoom.create(t, 'alice');
  const client = await connect(room);
  await mcpUser(room, ['alice']);
  const [first] = room.dir.brokerPids();
  process.kill(first!, 'SIGKILL');
  // Sent at once: the broker is gone, and the server's session has not noticed yet.
  assert.match(await ok(client, 'send', { text: 'through the restart' }), /^ok \[[0-9a-f]{8}\] #\d+$/);
  assert.equal(room.dir.brokerPids().length, 2, 'a new broker answered');
  assert.equal(room.history().filter((e) => e.content === 'through the restart').length, 1);
});
