// room log: the visible history with filters and formats, read from the file
// (no broker needed), touching no cursor.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { ROOM_BIN, RoomDir, ndjson, waitUntil } from './helpers.ts';

/** alice (host), bob and carol; a few messages, a reply, a command and DMs. */
async function room(t: TestContext) {
  const dir = RoomDir.create(t);
  const alice = await dir.join('r', 'alice');
  const bob = await dir.join('r', 'bob');
  const carol = await dir.join('r', 'carol');
  const send = async (token: string, ...words: string[]) => {
    const result = await dir.run(['send', '-t', token, 'r', ...words]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { id: string; ts: string };
  };
  const first = await send(alice, 'first: the parser is flaky');
  await send(bob, '--to', 'carol', 'a secret for carol');
  const second = await send(bob, 'second: I will look at the Parser');
  await send(carol, '/reply', first.id.slice(0, 8), 'same here\nand a second line');
  await send(carol, '/claim src/parser.ts');
  const last = await send(alice, 'last \u001b[31mred\u001b[0m words');
  return { dir, alice, bob, carol, first, second, last, history: readFileSync(dir.file('r.chat'), 'utf8') };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

test('prints the visible history as the history lines, without a broker and without touching cursors', async (t) => {
  const { dir, alice, bob } = await room(t);
  assert.equal((await dir.run(['send', '-t', alice, 'r', '/exit'])).code, 0);
  await waitUntil(() => !existsSync(dir.socket('r')), 5000, 'the broker to stop');
  const history = readFileSync(dir.file('r.chat'), 'utf8');
  const before = readdirSync(dir.path).sort();

  const asBob = await dir.run(['log', 'r'], { env: { ROOM_TOKEN: bob } });
  assert.equal(asBob.code, 0, asBob.stderr);
  assert.equal(asBob.stderr, '');
  assert.deepEqual(lines(asBob.stdout), lines(history), 'bob sees his own DM');

  const asHost = await dir.run(['log', 'r', '--token-file', dir.file('room-r-alice.token')]);
  assert.deepEqual(lines(asHost.stdout), lines(history), 'the host sees every DM');

  const asOther = await dir.run(['log', '--token-file', dir.file('room-r-carol.token'), 'r', '--user', 'alice']);
  assert.equal(asOther.code, 0, asOther.stderr);
  assert.deepEqual(
    lines(asOther.stdout),
    lines(history).filter((l) => l.includes('"user":"alice"')),
  );
  const dave = await dir.join('r', 'dave');
  const asDave = await dir.run(['log', '-t', dave, 'r']);
  assert.equal(asDave.code, 0, asDave.stderr);
  assert.deepEqual(
    lines(asDave.stdout),
    lines(readFileSync(dir.file('r.chat'), 'utf8')).filter((l) => !l.startsWith('{"type":"dm"')),
    'a DM between others is not shown',
  );

  const after = readdirSync(dir.path).sort();
  assert.deepEqual(
    after.filter((f) => f.endsWith('.cursor')),
    before.filter((f) => f.endsWith('.cursor')),
  );
  assert.ok(!after.some((f) => f.endsWith('.cursor')), 'no cursor file is written');
});

test('filters: --since and --until by id or time, --user, --grep', async (t) => {
  const { dir, bob, first, second, last, history } = await room(t);
  const all = ndjson<{ id: string; user: string; ts: string; type: string }>(history);
  const log = async (...args: string[]) => {
    const result = await dir.run(['log', 'r', ...args], { env: { ROOM_TOKEN: bob } });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return ndjson<{ id: string; user: string; type: string; content?: string }>(result.stdout).map((e) => e.id);
  };
  const ids = all.map((e) => e.id);
  const at = (id: string) => ids.indexOf(id);
  assert.deepEqual(await log('--since', first.id), ids.slice(at(first.id) + 1));
  assert.deepEqual(await log('--until', second.id), ids.slice(0, at(second.id) + 1));
  assert.deepEqual(
    await log('--since', first.id, '--until', second.id),
    ids.slice(at(first.id) + 1, at(second.id) + 1),
  );
  assert.deepEqual(await log('--since', second.id.toUpperCase(), '--user', 'ALICE'), [last.id]);
  assert.deepEqual(await log('--since', second.id, '--until', first.id), [], '--until before --since');
  assert.deepEqual(await log('--since', first.id, '--until', first.id), []);
  assert.deepEqual(await log('--since', second.ts), ids.slice(at(second.id)), 'a time: at or after it');
  assert.deepEqual(await log('--until', second.ts), ids.slice(0, at(second.id)), 'a time: before it');
  assert.deepEqual(await log('--since', '1d'), ids, 'an age');
  assert.deepEqual(await log('--since', '2999-01-01'), []);
  assert.deepEqual(
    await log('--user', 'alice', '--user', 'carol'),
    all.filter((e) => e.user === 'alice' || e.user === 'carol').map((e) => e.id),
  );
  assert.deepEqual(await log('--grep', 'pars(er|ing)'), [
    first.id,
    second.id,
    all.find((e) => e.type === 'command')!.id,
  ]);
  assert.deepEqual(await log('--grep', 'secret'), [all.find((e) => e.type === 'dm')!.id], 'bob sees his DM');
  assert.deepEqual(await log('--grep', '^second line', '--user', 'carol'), [], 'the pattern has no m flag');
});

test('--format text and markdown: local time, id prefix, who, what; control characters removed', async (t) => {
  const { dir, bob, first, last } = await room(t);
  const env = { ROOM_TOKEN: bob, TZ: 'UTC' };
  const text = await dir.run(['log', 'r', '--format', 'text'], { env });
  assert.equal(text.code, 0, text.stderr);
  const textLines = text.stdout.split('\n');
  const time = first.ts.slice(0, 19).replace('T', ' ');
  assert.ok(textLines.includes(`${time} ${first.id.slice(0, 4)}  alice  first: the parser is flaky`), text.stdout);
  assert.ok(textLines.some((l) => / {2}bob → carol {2}a secret for carol$/.test(l)));
  const reply = textLines.findIndex((l) => l.includes(`carol ↳ ${first.id.slice(0, 4)}  same here`));
  assert.notEqual(reply, -1, text.stdout);
  assert.equal(textLines[reply + 1], `${' '.repeat(26)}and a second line`);
  assert.ok(textLines.some((l) => l.endsWith('  carol  /claim src/parser.ts')));
  assert.ok(textLines.some((l) => l.endsWith(`${last.id.slice(0, 4)}  alice  last red words`)));
  assert.ok(!text.stdout.includes('\u001b'), 'no escape sequence reaches the terminal');

  const md = await dir.run(['log', 'r', '--format', 'markdown', '--user', 'carol'], { env });
  assert.equal(md.code, 0, md.stderr);
  const mdLines = md.stdout.split('\n');
  assert.equal(mdLines[0], '# r');
  assert.ok(
    mdLines.some((l) => /^- \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \*\*carol ↳ [0-9a-f]{4}\*\*: same here$/.test(l)),
    md.stdout,
  );
  assert.ok(mdLines.includes('  and a second line'));
});

test('bad input: a clear error, its exit code, nothing printed or written', async (t) => {
  const { dir, bob } = await room(t);
  const before = readdirSync(dir.path).sort();
  const cases: Array<[string[], number, RegExp]> = [
    [['log', 'r'], 4, /no token/],
    [['log', '-t', 'nope', 'r'], 4, /invalid or revoked token/],
    [['log', '-t', bob], 2, /expected <room-id>/],
    [['log', '-t', bob, 'r', '--since', 'yesterday'], 2, /--since takes an event id, a time or an age/],
    [['log', '-t', bob, 'r', '--until', '12'], 2, /--until takes/],
    [['log', '-t', bob, 'r', '--since', '00000000-0000-4000-8000-000000000000'], 2, /no event with id/],
    [['log', '-t', bob, 'r', '--format', 'html'], 2, /--format is text, ndjson or markdown, not "html"/],
    [['log', '-t', bob, 'r', '--grep', '(unclosed'], 2, /--grep: Invalid regular expression/],
    [['log', '-t', bob, 'nosuchroom'], 4, /nobody has joined it yet/],
  ];
  for (const [args, code, message] of cases) {
    const result = await dir.run(args);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.equal(result.stdout, '', args.join(' '));
  }
  assert.deepEqual(readdirSync(dir.path).sort(), before);
  assert.ok(!existsSync(dir.file('room-r-bob.cursor')));
});

test('the default format is text on a terminal, ndjson otherwise', async (t) => {
  const { dir, bob, first } = await room(t);
  const piped = await dir.run(['log', '-t', bob, 'r', '--user', 'alice']);
  assert.equal(JSON.parse(lines(piped.stdout)[0]!).id, first.id);
  // script(1) gives the command a terminal.
  const terminal = spawnSync('script', ['-qec', `'${ROOM_BIN}' log -t ${bob} r --user alice`, '/dev/null'], {
    env: dir.env,
    encoding: 'utf8',
    timeout: 15_000,
  });
  assert.equal(terminal.status, 0, terminal.stdout);
  assert.match(
    terminal.stdout,
    new RegExp(
      `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${first.id.slice(0, 4)}  alice  first: the parser is flaky\\r?$`,
      'm',
    ),
  );
});
