// The event log's contract (server/log/event-log.ts), run against both
// implementations: the NDJSON file and the in-memory log. Pure logic, no broker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { RoomEvent } from '../shared/events.ts';
import { messageEvent } from './log-events.ts';
import { MAX_LINE_BYTES } from '../shared/history-lines.ts';
import type { EventLog } from '../server/log/event-log.ts';
import { FileLog } from '../server/log/file-log.ts';
import { MemoryLog } from '../server/log/memory-log.ts';

const event = (seq: number, content?: string): RoomEvent => messageEvent(seq, { content });

function tempFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'room-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'r.chat');
}

const IMPLEMENTATIONS: Record<string, (t: TestContext) => EventLog> = {
  file: (t) => {
    const { log } = FileLog.open(tempFile(t), { durability: { policy: 'off' } });
    t.after(() => log.close());
    return log;
  },
  memory: () => new MemoryLog(),
};

for (const [name, make] of Object.entries(IMPLEMENTATIONS)) {
  test(`${name} log: append, state, positions, range reads, ids and prefixes`, (t) => {
    const log = make(t);
    assert.deepEqual(log.state, { firstSeq: 1, lastSeq: 0, count: 0, end: 0 });
    const events = [1, 2, 3, 4, 5].map((seq) => event(seq));
    for (const e of events) assert.equal(log.append(e), JSON.stringify(e), 'append returns the line');
    assert.deepEqual(log.state, { firstSeq: 1, lastSeq: 5, count: 5, end: 5 });
    assert.equal(log.positionAfter(0), 0);
    assert.equal(log.positionAfter(3), 3);
    assert.equal(log.positionAfter(5), 5);
    assert.deepEqual(
      log.readLines(1, 3),
      events.slice(1, 3).map((e) => JSON.stringify(e)),
    );
    assert.equal(log.positionOf(events[4]!.id), 4);
    assert.equal(log.positionOf(randomUUID()), undefined);
    assert.deepEqual(log.idsWithPrefix(events[2]!.id.slice(0, 8), 10), [events[2]!.id]);
    assert.equal(log.verify(), null, 'nothing changed under it');
  });

  test(`${name} log: range reads stop at maxBytes, after at least one line`, (t) => {
    const log = make(t);
    for (let seq = 1; seq <= 10; seq++) log.append(event(seq, 'x'.repeat(1000)));
    assert.equal(log.readLines(0, 10, 2500).length, 3, 'three lines pass 2500 bytes');
    assert.equal(log.readLines(0, 10, 1).length, 1, 'one line even when it alone is over');
    assert.equal(log.readLines(0, 10).length, 10);
  });

  test(`${name} log: clear empties it, seqs go on from where they were`, (t) => {
    const log = make(t);
    log.append(event(1));
    log.append(event(2));
    log.clear();
    assert.deepEqual(log.state, { firstSeq: 3, lastSeq: 2, count: 0, end: 0 });
    log.append(event(3));
    assert.deepEqual(log.state, { firstSeq: 3, lastSeq: 3, count: 1, end: 1 });
    assert.equal(log.positionAfter(2), 0);
  });
}

test('file log: appendAll stores a batch in order with exact byte ranges (multi-byte text too), found again after a reopen', (t) => {
  const path = tempFile(t);
  const { log } = FileLog.open(path, { durability: { policy: 'always' } });
  const batch = [1, 2, 3].map((seq) => event(seq, `ünïcödé ✓ ${'é'.repeat(seq * 7)}`));
  assert.deepEqual(
    log.appendAll(batch),
    batch.map((e) => JSON.stringify(e)),
  );
  assert.equal(log.syncs, 1, 'one fsync for the batch');
  const fourth = event(4);
  log.appendAll([fourth]);
  const expected = [...batch, fourth].map((e) => JSON.stringify(e));
  assert.deepEqual(log.readLines(0, 4), expected);
  assert.equal(log.readLines(1, 2)[0], expected[1]);
  log.close();
  const reopened = FileLog.open(path, { durability: { policy: 'off' } }).log;
  t.after(() => reopened.close());
  assert.deepEqual(reopened.readLines(0, 4), expected);
  assert.deepEqual(reopened.state, { firstSeq: 1, lastSeq: 4, count: 4, end: 4 });
});

test('file log: a torn last line is ignored on load and the next append starts a fresh line', (t) => {
  const path = tempFile(t);
  const one = event(1);
  writeFileSync(path, `${JSON.stringify(one)}\n{"type":"mess`);
  const { log, report } = FileLog.open(path, { durability: { policy: 'off' } });
  t.after(() => log.close());
  assert.deepEqual(report, { events: 1, headBytes: 0, fromIndexFile: 0, skipped: 1, tornTail: true });
  const two = event(2);
  log.append(two);
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.at(-2), JSON.stringify(two));
});

test('file log: a line longer than any event is skipped on load, and what follows is indexed', (t) => {
  const path = tempFile(t);
  const one = event(1);
  const two = event(2);
  writeFileSync(path, `${JSON.stringify(one)}\n`);
  appendFileSync(path, `${'z'.repeat(MAX_LINE_BYTES * 3)}\n${JSON.stringify(two)}\n`);
  const { log, report } = FileLog.open(path, { durability: { policy: 'off' } });
  t.after(() => log.close());
  assert.equal(report.events, 2);
  assert.equal(report.skipped, 1);
  assert.equal(log.positionOf(two.id), 1);
});

test("file log: a skipped line's seq is passed when asked (a room's own seqs), not otherwise (a NATS copy's)", (t) => {
  const path = tempFile(t);
  // Written by hand: an event with a field the schema does not have (skipped), and nothing after it.
  writeFileSync(path, `${JSON.stringify(event(1))}\n${JSON.stringify({ ...event(2), extra: 1 })}\n`);
  const copy = FileLog.open(path, { durability: { policy: 'off' } });
  assert.deepEqual([copy.report.skipped, copy.log.state.lastSeq], [1, 1], 'a copy of a stream keeps its own count');
  copy.log.close();
  const { log, report } = FileLog.open(path, { durability: { policy: 'off' }, passSkippedSeqs: true });
  t.after(() => log.close());
  assert.equal(report.skipped, 1);
  assert.deepEqual(log.state, { firstSeq: 1, lastSeq: 2, count: 1, end: 1 }, 'the next event is seq 3');
  // Lines that are not JSON, or carry no usable seq, change nothing.
  appendFileSync(path, `not json\n{"seq":"9"}\n{"seq":1e300}\nnull\n`);
  assert.match(log.verify()?.message ?? '', /grew outside the broker: 0 events added to the index, 4 lines skipped/);
  assert.equal(log.state.lastSeq, 2);
});

test('file log: verify notices a file grown, truncated, deleted, replaced', (t) => {
  const path = tempFile(t);
  const { log } = FileLog.open(path, { durability: { policy: 'off' } });
  t.after(() => log.close());
  log.append(event(1));
  const epoch = log.epoch;
  appendFileSync(path, `${JSON.stringify(event(2))}\n`);
  assert.match(log.verify()?.message ?? '', /grew outside the broker: 1 events added/);
  assert.equal(log.state.lastSeq, 2);
  writeFileSync(path, '');
  assert.match(log.verify()?.message ?? '', /truncated/);
  assert.equal(log.state.count, 0);
  assert.equal(log.state.lastSeq, 2, 'seqs never go back');
  assert.equal(log.epoch, epoch, 'the same file keeps its epoch');
  rmSync(path);
  assert.match(log.verify()?.message ?? '', /deleted or renamed/);
  assert.notEqual(log.epoch, epoch, 'a new file is a new epoch');
  log.append(event(3));
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).seq, 3, 'the append went to the file at the path');
  assert.equal(log.verify(), null);
});

test('file log: onRead is told the bytes of each range read (what the broker lets go of: server/memory-release.ts)', (t) => {
  const read: number[] = [];
  const { log } = FileLog.open(tempFile(t), { durability: { policy: 'off' }, onRead: (bytes) => read.push(bytes) });
  t.after(() => log.close());
  const events = [event(1), event(2), event(3)];
  log.appendAll(events);
  assert.deepEqual(read, [], 'appends read nothing');
  log.readLines(0, 3);
  // From the first line's start to the last line's end: the newlines between them are read too.
  assert.deepEqual(read, [events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + 1, -1)]);
});

test('file log: a line that straddles a read chunk is indexed with its exact byte range', (t) => {
  const path = tempFile(t);
  const one = event(1, 'y'.repeat(60_000));
  // Garbage up to just before the first 1 MiB chunk ends, so the event's line crosses into the second.
  writeFileSync(path, `${'x'.repeat((1 << 20) - 100)}\n${JSON.stringify(one)}\n`);
  const { log, report } = FileLog.open(path, { durability: { policy: 'off' } });
  t.after(() => log.close());
  assert.deepEqual(report, { events: 1, headBytes: 0, fromIndexFile: 0, skipped: 1, tornTail: false });
  assert.deepEqual(log.readLines(0, 1), [JSON.stringify(one)]);
  const two = event(2);
  log.append(two);
  assert.deepEqual(log.readLines(0, 2), [JSON.stringify(one), JSON.stringify(two)]);
});
