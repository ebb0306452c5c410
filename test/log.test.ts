// room log: the visible history with filters and formats, read from the file
// (no broker needed), touching no cursor.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { findByIdPrefix, offsetAfterSeq } from '../client/history-file.ts';
import { ROOM_BIN, RoomDir, idPrefix, ndjson, waitUntil } from './helpers.ts';

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

test('--since and --until take an id prefix or a seq, as GET /messages does', async (t) => {
  const { dir, bob, first, second, last, history } = await room(t);
  const all = ndjson<{ id: string; seq: number }>(history);
  const log = async (...args: string[]) => {
    const result = await dir.run(['log', 'r', ...args], { env: { ROOM_TOKEN: bob } });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return ndjson<{ id: string }>(result.stdout).map((e) => e.id);
  };
  const ids = all.map((e) => e.id);
  const at = (id: string) => ids.indexOf(id);
  const seq = (id: string) => String(all[at(id)]!.seq);
  assert.deepEqual(
    await log('--since', idPrefix(first.id, 8)),
    ids.slice(at(first.id) + 1),
    'a prefix: that event excluded',
  );
  assert.deepEqual(await log('--until', idPrefix(second.id, 6).toUpperCase()), ids.slice(0, at(second.id) + 1));
  assert.deepEqual(await log('--since', seq(first.id)), ids.slice(at(first.id) + 1), 'a seq: that event excluded');
  assert.deepEqual(await log('--until', seq(second.id)), ids.slice(0, at(second.id) + 1), 'a seq: that event included');
  assert.deepEqual(
    await log('--since', seq(first.id), '--until', idPrefix(last.id, 4)),
    ids.slice(at(first.id) + 1, at(last.id) + 1),
    'a seq and a prefix together',
  );
  assert.deepEqual(await log('--since', '0'), ids, 'seq 0 is the start');
  assert.deepEqual(await log('--since', seq(last.id)), []);
  assert.deepEqual(await log('--since', '999999999'), [], "a seq need not be an event's");
  assert.deepEqual(await log('--until', '0'), []);
});

test('an id prefix names the one event the caller can see; two visible ones are refused, as are unknown ones', async (t) => {
  const { dir, alice, bob } = await room(t);
  assert.equal((await dir.run(['send', '-t', alice, 'r', '/exit'])).code, 0);
  await waitUntil(() => !existsSync(dir.socket('r')), 5000, 'the broker to stop');
  // Events whose ids share prefixes, appended as the broker writes them (rising seqs), with no broker running.
  const chat = dir.file('r.chat');
  const lastSeq = ndjson<{ seq: number }>(readFileSync(chat, 'utf8')).at(-1)!.seq;
  const ts = new Date().toISOString();
  const event = (n: number, id: string, extra: object) =>
    `${JSON.stringify({ type: 'message', id, room: 'r', user: 'alice', ts, seq: lastSeq + n, content: `shared ${n}`, ...extra })}\n`;
  appendFileSync(
    chat,
    event(1, 'abcd1234-0000-4000-8000-000000000001', {}) +
      event(2, 'abcd1234-0000-4000-8000-000000000002', {}) +
      event(3, 'beef0000-0000-4000-8000-000000000003', { type: 'dm', to: 'carol' }) +
      event(4, 'beef0000-0000-4000-8000-000000000004', {}),
  );
  const log = (who: string, ...args: string[]) => dir.run(['log', 'r', ...args], { env: { ROOM_TOKEN: who } });

  const ambiguous = await log(bob, '--since', 'abcd1234');
  assert.equal(ambiguous.code, 2, ambiguous.stderr);
  assert.match(ambiguous.stderr, /id prefix abcd1234 matches more than one message: give more characters/);
  assert.equal(ambiguous.stdout, '');
  const longer = await log(bob, '--since', 'abcd1234-0000-4000-8000-000000000001');
  assert.deepEqual(
    ndjson<{ seq: number }>(longer.stdout).map((e) => e.seq),
    [lastSeq + 2, lastSeq + 4],
  );

  // bob cannot see alice's DM to carol: for him beef0000 names only the message; the host sees both.
  const forBob = await log(bob, '--until', 'beef0000');
  assert.equal(forBob.code, 0, forBob.stderr);
  assert.equal(ndjson<{ seq: number }>(forBob.stdout).at(-1)?.seq, lastSeq + 4);
  const forHost = await log(alice, '--until', 'beef0000');
  assert.equal(forHost.code, 2);
  assert.match(forHost.stderr, /matches more than one message/);

  for (const position of ['beef0000-0000-4000-8000-000000000003', 'dddd', 'abcd1234-0000-4000-8000-00000000000f']) {
    const unknown = await log(bob, '--until', position);
    assert.equal(unknown.code, 2, position);
    assert.match(unknown.stderr, new RegExp(`no event with id ${position} in the history`));
    assert.equal(unknown.stdout, '');
  }
  const badUntil = await log(bob, '--since', '1', '--until', 'dddd');
  assert.equal(badUntil.stdout, '', 'a bad --until prints nothing, not a page and then an error');
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
    [
      ['log', '-t', bob, 'r', '--since', 'yesterday'],
      2,
      /--since takes an event id \(or at least its first 4 characters\), a seq, a time or an age/,
    ],
    [['log', '-t', bob, 'r', '--until', '12:00'], 2, /--until takes an event id \(or at least its first 4/],
    [['log', '-t', bob, 'r', '--since', 'abc'], 2, /--since takes/],
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

test('a --since seq is found by binary search: the same offset as reading every line, around gaps and bad lines', (t) => {
  const dir = RoomDir.create(t);
  const path = join(dir.path, 'seqs.chat');
  // 20,000 events (seqs rising by 1 to 3, as after a /clear or a lost line), a few lines that are not events,
  // one long line, and a torn last line: about 4 MB, so the search halves many times before reading on.
  const lines: Array<{ seq: number | null; text: string }> = [];
  let seq = 0;
  for (let i = 0; i < 20_000; i++) {
    seq += 1 + (i % 3 === 0 ? 2 : 0);
    const content = i === 7000 ? 'x'.repeat(100_000) : `message ${i}`;
    lines.push({ seq, text: JSON.stringify({ type: 'message', id: `id-${i}`, user: 'a', ts: 't', seq, content }) });
    if (i % 1000 === 500) lines.push({ seq: null, text: i % 2000 === 500 ? 'not json {' : '{"no":"seq"}' });
  }
  writeFileSync(path, `${lines.map((l) => l.text).join('\n')}\n{"type":"message","seq":`);
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += Buffer.byteLength(line.text) + 1;
  }
  const end = offset;
  const linear = (after: number) => {
    const i = lines.findIndex((l) => l.seq !== null && l.seq > after);
    return i === -1 ? end : starts[i]!;
  };
  const fd = openSync(path, 'r');
  t.after(() => closeSync(fd));
  const some = Array.from({ length: Math.ceil(seq / 331) }, (_, i) => i * 331 + (i % 5));
  for (const after of [0, 1, 2, 3, 4, 5, 10_000, 10_499, 10_500, 10_501, seq - 1, seq, seq + 1, 1e9, ...some]) {
    assert.equal(offsetAfterSeq(fd, after), linear(after), `after ${after}`);
  }
});

test('an id prefix is found by a byte search: every match once, in order, across read boundaries; torn and overlong lines are no match', (t) => {
  const dir = RoomDir.create(t);
  const path = join(dir.path, 'ids.chat');
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const ts = new Date().toISOString();
  // 6,000 events whose ids all start with 0000, about 3 MB: the search reads it in several pieces.
  const ids = Array.from({ length: 6000 }, (_, i) => `0000${hex(i, 4)}-0000-4000-8000-${hex(i, 12)}`);
  const line = (id: string, seq: number) =>
    JSON.stringify({ type: 'message', id, room: 'r', user: 'a', ts, seq, content: `m${'.'.repeat(seq % 700)}` });
  const overlong = `{"pad":"${'x'.repeat(1 << 20)}","id":"0000ffff-0000-4000-8000-000000000000"}`;
  const body = ids.map((id, i) => line(id, i + 1));
  body.splice(3000, 0, overlong);
  // A line not an event, sized so that the next line's `"id":"` starts 3 bytes before the end of the first read.
  const starts: number[] = [];
  let offset = 0;
  for (const l of body) {
    starts.push(offset);
    offset += Buffer.byteLength(l) + 1;
  }
  const needleAt = (k: number) => starts[k]! + '{"type":"message",'.length;
  const k = body.findIndex((_, i) => needleAt(i + 1) > (1 << 20) - 3 - 20);
  body.splice(k, 0, `{"f":"${'-'.repeat((1 << 20) - 3 - needleAt(k) - 1 - 8)}"}`);
  assert.equal(Buffer.from(body.join('\n')).indexOf('"id":"', (1 << 20) - 3), (1 << 20) - 3);
  writeFileSync(path, `${body.join('\n')}\n${line('0000fffe-0000-4000-8000-000000000000', 99_999).slice(0, -5)}`);
  const fd = openSync(path, 'r');
  t.after(() => closeSync(fd));

  const all = findByIdPrefix(fd, '0000', () => true, Number.POSITIVE_INFINITY);
  assert.deepEqual(
    all.map((e) => e.event.id),
    ids,
  );
  const text = readFileSync(path);
  for (const entry of all.filter((_, i) => i % 997 === 0)) {
    assert.equal(text.subarray(entry.start, entry.end).toString(), `${entry.line}\n`, entry.event.id);
  }
  assert.deepEqual(
    findByIdPrefix(fd, '0000', (e) => e.seq % 2500 === 0, 2).map((e) => e.event.seq),
    [2500, 5000],
  );
  assert.deepEqual(
    findByIdPrefix(fd, ids[5999]!, () => true, 1).map((e) => e.event.seq),
    [6000],
  );
  assert.deepEqual(
    findByIdPrefix(fd, '0000ff', () => true, 2),
    [],
    'the overlong and the torn line',
  );
});
