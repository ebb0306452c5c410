// The history's compact index (server/log/history-index.ts) and its file
// (server/log/index-file.ts), through FileLog: what a restart reads back, and
// every way the file can disagree with the history (each costs a rebuild,
// never a wrong answer). Pure logic, no broker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { RoomEvent } from '../shared/events.ts';
import { messageEvent } from './log-events.ts';
import { FileLog } from '../server/log/file-log.ts';
import { HistoryIndex, idKey, RECORD_BYTES } from '../server/log/history-index.ts';

// Some lines with multi-byte text: byte ranges are not character counts.
const event = (seq: number, id?: string): RoomEvent =>
  messageEvent(seq, { id, content: `m${seq} ${'é'.repeat(seq % 5)}` });

function files(t: TestContext): { history: string; index: string } {
  const dir = mkdtempSync(join(tmpdir(), 'room-index-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { history: join(dir, 'r.chat'), index: join(dir, 'room-r.idx') };
}

const off = { durability: { policy: 'off' } } as const;

/** Opens the history with its index file and starts reading what it left (as the broker does once it listens); closed when the test ends. */
function open(t: TestContext, paths: { history: string; index: string }) {
  const opened = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  opened.log.readInBackground();
  t.after(() => opened.log.close());
  return opened;
}

/** Writes `count` events to a fresh history, through a FileLog that keeps the index file; returns them. */
function written(paths: { history: string; index: string }, count: number): RoomEvent[] {
  const { log } = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  const events = Array.from({ length: count }, (_, i) => event(i + 1));
  for (let i = 0; i < events.length; i += 100) log.appendAll(events.slice(i, i + 100));
  log.close();
  return events;
}

/** Everything a reader can ask the log, compared with the events it should hold. */
function assertHolds(log: FileLog, events: readonly RoomEvent[]): void {
  assert.deepEqual(log.state, {
    firstSeq: events[0]?.seq ?? 1,
    lastSeq: events.at(-1)?.seq ?? 0,
    count: events.length,
    end: events.length,
  });
  assert.deepEqual(
    log.readLines(0, events.length),
    events.map((e) => JSON.stringify(e)),
  );
  for (const i of [0, Math.floor(events.length / 2), events.length - 1]) {
    if (events[i] === undefined) continue;
    assert.equal(log.positionOf(events[i]!.id), i);
    assert.equal(log.positionAfter(events[i]!.seq - 1), i);
    assert.deepEqual(log.idsWithPrefix(events[i]!.id.slice(0, 6), 1000).includes(events[i]!.id), true);
  }
  assert.equal(log.positionOf(randomUUID()), undefined);
}

test('index: entries across blocks, seq search, ids by key (shared keys told apart by the caller), prefixes', () => {
  const index = new HistoryIndex();
  const n = (1 << 16) * 2 + 10; // three blocks
  for (let i = 0; i < n; i++) index.push(i * 100, 99, i * 2 + 1, (i * 2654435761) >>> 0);
  assert.equal(index.count, n);
  assert.equal(index.offset(n - 1), (n - 1) * 100);
  assert.equal(index.seq(70_000), 140_001);
  assert.equal(index.positionAfter(0), 0);
  assert.equal(index.positionAfter(140_000), 70_000);
  assert.equal(index.positionAfter(140_001), 70_001);
  assert.equal(index.positionAfter(Number.MAX_SAFE_INTEGER), n);
  const key = (70_000 * 2654435761) >>> 0;
  assert.equal(
    index.findKey(key, () => true),
    70_000,
  );
  assert.equal(
    index.findKey(key, () => false),
    undefined,
    'the caller rejects it',
  );
  // Two entries with one key: the test picks.
  index.push(n * 100, 99, n * 2 + 1, key);
  assert.equal(
    index.findKey(key, (i) => i === n),
    n,
  );
  const found: number[] = [];
  index.scanKeyPrefix(key >>> 16, 16, (i) => found.push(i) > 0);
  assert.ok(found.includes(70_000) && found.includes(n));
  index.clear();
  assert.equal(index.count, 0);
  assert.equal(
    index.findKey(key, () => true),
    undefined,
  );
});

test('index: records written and read back give the same entries; ids are found once the table is filled, in steps or at once', () => {
  const index = new HistoryIndex();
  const ids = Array.from({ length: 100_000 }, () => randomUUID());
  ids.forEach((id, i) => {
    index.push(i * 300, 299, i + 1, idKey(id));
  });
  const records = index.records(0, index.count);
  assert.equal(records.length, index.count * RECORD_BYTES);
  const loaded = new HistoryIndex();
  loaded.pushRecords(records, index.count);
  assert.equal(loaded.count, 100_000);
  assert.equal(loaded.hashed, false, 'a load leaves the id table for later');
  assert.equal(loaded.hashSome(40_000), false);
  assert.equal(loaded.seq(99_999), 100_000);
  assert.equal(loaded.offset(12_345), 12_345 * 300);
  assert.equal(loaded.length(12_345), 299);
  // A lookup before the table is full completes it.
  assert.equal(
    loaded.findKey(idKey(ids[99_999]!), () => true),
    99_999,
  );
  assert.equal(loaded.hashed, true);
  loaded.push(100_000 * 300, 10, 100_001, idKey('urn:uuid:not-hex'));
  assert.equal(
    loaded.findKey(idKey('urn:uuid:not-hex'), () => true),
    100_000,
  );
});

test('index: offsets and seqs past 32 bits widen their column, keeping what was there', () => {
  const index = new HistoryIndex();
  for (let i = 0; i < 70_000; i++) index.push(i * 10, 9, i + 1, i);
  index.push(2 ** 33 + 5, 9, 2 ** 40 + 1, 1);
  index.push(2 ** 33 + 20, 9, 2 ** 40 + 2, 2);
  assert.equal(index.offset(69_999), 699_990);
  assert.equal(index.seq(69_999), 70_000);
  assert.equal(index.offset(70_000), 2 ** 33 + 5);
  assert.equal(index.seq(70_001), 2 ** 40 + 2);
  assert.equal(index.positionAfter(2 ** 40 + 1), 70_001);
  const loaded = new HistoryIndex();
  loaded.pushRecords(index.records(0, index.count), index.count);
  assert.equal(loaded.offset(70_001), 2 ** 33 + 20);
  assert.equal(loaded.seq(70_000), 2 ** 40 + 1);
  assert.equal(loaded.seq(5), 6);
});

test('index: seqs are held only once they are not consecutive; a gap keeps the seqs before it', () => {
  const index = new HistoryIndex();
  // Block 1: consecutive; block 2: a gap in its middle; block 3: consecutive again, from a higher seq.
  const seqs: number[] = [];
  for (let i = 0; i < 70_000; i++) seqs.push(i + 1);
  for (let i = 70_000; i < 140_000; i++) seqs.push(i < 100_000 ? i + 1 : i + 11);
  for (let i = 140_000; i < 200_000; i++) seqs.push(i + 500);
  for (const [i, seq] of seqs.entries()) index.push(i * 10, 9, seq, i);
  for (const i of [0, 65_535, 65_536, 99_999, 100_000, 131_071, 131_072, 139_999, 140_000, 199_999])
    assert.equal(index.seq(i), seqs[i], `seq of entry ${i}`);
  assert.equal(index.positionAfter(100_000), 100_000);
  assert.equal(index.positionAfter(100_005), 100_000, 'a seq in the gap');
  assert.equal(index.positionAfter(100_011), 100_001);
  const loaded = new HistoryIndex();
  loaded.pushRecords(index.records(0, index.count), index.count);
  for (let i = 0; i < seqs.length; i += 997) assert.equal(loaded.seq(i), seqs[i]);
  assert.equal(loaded.seq(100_000), 100_011);
  assert.equal(loaded.seq(99_999), 100_000);
});

test("index: a line of 64 KiB or more widens its block's lengths, keeping the lengths before it", () => {
  const index = new HistoryIndex();
  const lengths: number[] = [];
  for (let i = 0; i < 140_000; i++) lengths.push(i === 70_000 ? 200_000 : i === 139_999 ? 65_536 : 100 + (i % 900));
  let offset = 0;
  for (const [i, length] of lengths.entries()) {
    index.push(offset, length, i + 1, i);
    offset += length + 1;
  }
  for (const i of [0, 65_535, 65_536, 69_999, 70_000, 70_001, 131_071, 131_072, 139_998, 139_999])
    assert.equal(index.length(i), lengths[i], `length of entry ${i}`);
  const loaded = new HistoryIndex();
  loaded.pushRecords(index.records(0, index.count), index.count);
  for (let i = 0; i < lengths.length; i += 997) assert.equal(loaded.length(i), lengths[i]);
  assert.equal(loaded.length(70_000), 200_000);
  assert.equal(loaded.length(139_999), 65_536);
  assert.equal(loaded.offset(139_999), index.offset(139_999));
});

test('index: a table reserved for more entries than it gets, or fewer, finds every id the same', () => {
  for (const reserved of [0, 10, 5000, 200_000]) {
    const index = new HistoryIndex();
    index.reserve(reserved);
    const ids = Array.from({ length: 3000 }, () => randomUUID());
    for (const [i, id] of ids.entries()) index.push(i * 100, 99, i + 1, idKey(id));
    for (const i of [0, 1499, 2999])
      assert.equal(
        index.findKey(idKey(ids[i]!), (j) => j === i),
        i,
        `reserved ${reserved}`,
      );
    assert.equal(
      index.findKey(idKey(randomUUID()), () => true),
      undefined,
    );
  }
});

test('id keys: the first 8 hex digits of a UUID, any case; another shape is hashed', () => {
  assert.equal(idKey('0a1b2c3d-0000-4000-8000-000000000000'), 0x0a1b2c3d);
  assert.equal(idKey('0A1B2C3D-0000-4000-8000-000000000000'), 0x0a1b2c3d);
  assert.equal(idKey('urn:uuid:0a1b2c3d'), idKey('urn:uuid:0a1b2c3d'));
  assert.notEqual(idKey('urn:uuid:0a1b2c3d'), idKey('urn:uuid:0a1b2c3e'));
});

test('index file: a restart reads the index back instead of the history, answers the same, and goes on appending', (t) => {
  const paths = files(t);
  const events = written(paths, 3000);
  assert.equal(statSync(paths.index).size, 32 + 3000 * RECORD_BYTES);
  assert.equal(statSync(paths.index).mode & 0o777, 0o600);
  const { log, report } = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  assert.deepEqual(report, { events: 3000, headBytes: 0, fromIndexFile: 3000, skipped: 0, tornTail: false });
  assertHolds(log, events);
  const more = [event(3001), event(3002)];
  log.appendAll(more);
  log.close();
  const again = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  t.after(() => again.log.close());
  assert.equal(again.report.fromIndexFile, 3002, 'closing wrote the new entries');
  assertHolds(again.log, [...events, ...more]);
});

/** Resolves once the log has read every record a start left unread (it reads them in steps between turns). */
async function allRead(log: FileLog): Promise<void> {
  while (log.unreadRecords > 0) await new Promise((resolve) => setImmediate(resolve));
}

test('index file: after a clean stop a start reads two records, then the rest in steps between turns', async (t) => {
  const paths = files(t);
  const events = written(paths, 150_000);
  const { log, report } = open(t, paths);
  assert.deepEqual(report, { events: 150_000, headBytes: 0, fromIndexFile: 150_000, skipped: 0, tornTail: false });
  assert.equal(log.unreadRecords, 150_000, 'nothing read before the caller goes on');
  assert.deepEqual(log.state, { firstSeq: 1, lastSeq: 150_000, count: 150_000, end: 150_000 }, 'known without reading');
  await new Promise((resolve) => setImmediate(resolve));
  const afterOneTurn = log.unreadRecords;
  assert.ok(afterOneTurn > 0 && afterOneTurn < 150_000, `one step read some, not all (${afterOneTurn} left)`);
  await allRead(log);
  assertHolds(log, events);
});

test('index file: anything that needs the index before the steps are done reads the rest at once', async (t) => {
  const added = event(3001);
  const asks: Record<string, (log: FileLog, events: RoomEvent[]) => RoomEvent[]> = {
    'a lookup by id': (log, events) => {
      assert.equal(log.positionOf(events[2999]!.id), 2999);
      return events;
    },
    'a read of lines': (log, events) => {
      assert.equal(log.readLines(2999, 3000)[0], JSON.stringify(events[2999]));
      return events;
    },
    'a lookup by seq': (log, events) => {
      assert.equal(log.positionAfter(2998), 2998);
      return events;
    },
    'an append': (log, events) => {
      log.appendAll([added]);
      return [...events, added];
    },
    'a /clear': (log) => {
      log.clear();
      return [];
    },
  };
  for (const [name, ask] of Object.entries(asks)) {
    await t.test(name, (t) => {
      const paths = files(t);
      const { log } = FileLog.open(paths.history, { ...off, indexPath: paths.index });
      const events = written(paths, 3000);
      log.close();
      const opened = FileLog.open(paths.history, { ...off, indexPath: paths.index });
      assert.equal(opened.log.unreadRecords, 3000);
      const expected = ask(opened.log, events);
      assert.equal(opened.log.unreadRecords, 0);
      // After a /clear seqs go on from the last one (tested with the log); here only what is held matters.
      if (expected.length > 0) assertHolds(opened.log, expected);
      else assert.deepEqual(opened.log.readLines(0, 3000), []);
      opened.log.close();
      // The next start agrees.
      const next = open(t, paths);
      assert.equal(next.report.fromIndexFile, expected.length);
      if (expected.length > 0) assertHolds(next.log, expected);
      else assert.equal(next.log.state.count, 0);
    });
  }
});

test('index file: cut under a broker that has not read it all: the history is read instead, answers unchanged', async (t) => {
  const paths = files(t);
  const events = written(paths, 100_000);
  const { log } = open(t, paths);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(log.unreadRecords > 0);
  truncateSync(paths.index, 32 + 10 * RECORD_BYTES);
  assertHolds(log, events);
  assert.equal(log.unreadRecords, 0);
  await allRead(log);
  assert.equal(statSync(paths.index).size, 32 + 100_000 * RECORD_BYTES, 'written again');
});

test('index file: cut under a broker that has not read it all, then an append: each event once, now and at the next start', (t) => {
  const paths = files(t);
  const events = written(paths, 1000);
  const { log } = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  truncateSync(paths.index, 32 + 10 * RECORD_BYTES);
  assert.equal(log.verify(), null, 'the history did not change');
  // A notice is stored without a lookup by id first: the append is what reads the index.
  const added = [event(1001), event(1002)];
  log.appendAll(added);
  assertHolds(log, [...events, ...added]);
  assert.equal(log.verify(), null, 'the size the log keeps is the file');
  log.close();
  const next = open(t, paths);
  assertHolds(next.log, [...events, ...added]);
});

test('index file: cut under a broker that has not read it all, then the history grows: the new events are counted as added', (t) => {
  const paths = files(t);
  const events = written(paths, 1000);
  const { log } = open(t, paths);
  truncateSync(paths.index, 32 + 10 * RECORD_BYTES);
  const grown = [event(1001), event(1002), event(1003)];
  appendFileSync(paths.history, grown.map((e) => `${JSON.stringify(e)}\n`).join(''));
  assert.equal(log.verify()?.message, 'grew outside the broker: 3 events added to the index');
  assertHolds(log, [...events, ...grown]);
});

test('index file: cut under a broker after it was read: not appended to at the wrong place; the next start reads the history', (t) => {
  const paths = files(t);
  const events = written(paths, 1000);
  const { log } = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  assert.equal(log.positionOf(events[0]!.id), 0, 'read whole');
  truncateSync(paths.index, 32 + 10 * RECORD_BYTES);
  const added = [event(1001), event(1002)];
  log.appendAll(added);
  log.close();
  const next = open(t, paths);
  assert.equal(next.report.fromIndexFile, 0, 'the cut file was emptied, not trusted');
  assertHolds(next.log, [...events, ...added]);
});

test('index file: closed before it read them all, a log reads nothing more (no read on a closed file)', async (t) => {
  const paths = files(t);
  written(paths, 100_000);
  const { log } = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  log.readInBackground();
  log.close();
  // The next turns would have read the rest: nothing throws, nothing more is read.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(log.unreadRecords, 100_000);
});

test('index file: lines the file does not cover yet (a crash before it was written) are read from the history', (t) => {
  const paths = files(t);
  const events = written(paths, 500);
  const later = [event(501), event(502), event(503)];
  appendFileSync(paths.history, later.map((e) => `${JSON.stringify(e)}\n`).join(''));
  // A record torn by the crash: cut off, and read from the history too.
  truncateSync(paths.index, 32 + 499 * RECORD_BYTES + 7);
  const { log, report } = open(t, paths);
  assert.deepEqual(report, { events: 503, headBytes: 0, fromIndexFile: 499, skipped: 0, tornTail: false });
  assertHolds(log, [...events, ...later]);
  assert.equal(statSync(paths.index).size, 32 + 503 * RECORD_BYTES, 'brought up to date at once');
});

test('index file: a duplicate id after what the file covers is skipped, as on a full read', (t) => {
  const paths = files(t);
  const events = written(paths, 200);
  appendFileSync(paths.history, `${JSON.stringify(event(201, events[10]!.id))}\n${JSON.stringify(event(202))}\n`);
  const { log, report } = open(t, paths);
  assert.equal(report.fromIndexFile, 200);
  assert.equal(report.events, 201);
  assert.equal(report.skipped, 1);
  assert.equal(log.positionOf(events[10]!.id), 10);
});

test('index file: one that does not match the history is not trusted; the history is read in full and the file rewritten', async (t) => {
  const cases: Record<string, (paths: { history: string; index: string }, events: RoomEvent[]) => RoomEvent[]> = {
    'history truncated below what the file covers': (paths, events) => {
      const lines = readFileSync(paths.history, 'utf8').split('\n');
      writeFileSync(paths.history, `${lines.slice(0, 100).join('\n')}\n`);
      return events.slice(0, 100);
    },
    'history replaced by another file': (paths) => {
      const other = [event(1), event(2)];
      writeFileSync(`${paths.history}.new`, other.map((e) => `${JSON.stringify(e)}\n`).join(''));
      renameSync(`${paths.history}.new`, paths.history);
      return other;
    },
    'last line changed in place (same length, other seq)': (paths, events) => {
      const text = readFileSync(paths.history, 'utf8');
      const last = JSON.stringify(events.at(-1));
      const changed = last.replace('"seq":300', '"seq":399');
      assert.equal(changed.length, last.length);
      writeFileSync(paths.history, text.replace(last, changed));
      return [...events.slice(0, -1), { ...events.at(-1)!, seq: 399 }];
    },
    'first line changed in place': (paths, events) => {
      const text = readFileSync(paths.history, 'utf8');
      const first = JSON.stringify(events[0]);
      const other = randomUUID();
      writeFileSync(paths.history, text.replace(first, first.replace(events[0]!.id, other)));
      return [{ ...events[0]!, id: other }, ...events.slice(1)];
    },
    'not an index file': (paths, events) => {
      writeFileSync(paths.index, 'garbage that is no index at all, long enough to have a header');
      return events;
    },
    'an empty file': (paths, events) => {
      writeFileSync(paths.index, '');
      return events;
    },
  };
  for (const [name, spoil] of Object.entries(cases)) {
    await t.test(name, (t) => {
      const paths = files(t);
      const expected = spoil(paths, written(paths, 300));
      const { log, report } = open(t, paths);
      assert.equal(report.fromIndexFile, 0, 'nothing taken from the file');
      assertHolds(log, expected);
      assert.equal(statSync(paths.index).size, 32 + expected.length * RECORD_BYTES, 'rewritten');
    });
  }
});

test('index file: /clear empties it with the history; a recovery under the running broker rewrites it', (t) => {
  const paths = files(t);
  written(paths, 50);
  const { log } = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  log.clear();
  assert.equal(statSync(paths.index).size, 32);
  const after = [event(51), event(52)];
  log.appendAll(after);
  log.close();
  const reopened = FileLog.open(paths.history, { ...off, indexPath: paths.index });
  t.after(() => reopened.log.close());
  assert.equal(reopened.report.fromIndexFile, 2);
  assertHolds(reopened.log, after);
  // Truncated by hand while it runs: re-indexed from the history, and the file with it.
  writeFileSync(paths.history, `${JSON.stringify(after[0])}\n`);
  assert.match(reopened.log.verify()?.message ?? '', /truncated/);
  assert.equal(statSync(paths.index).size, 32 + RECORD_BYTES);
});
