// A long history with no index file to trust, opened tail first
// (server/log/file-log.ts, server/log/head-scan.ts): only its last bytes are
// indexed before open returns; the head is read in steps afterwards, or at
// once by the first call that reaches it; no position given out changes.
// Pure logic, no broker (test/history-index-broker.test.ts has the broker's).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { RoomEvent } from '../shared/events.ts';
import { messageEvent } from './log-events.ts';
import { type FileLogOptions, FileLog } from '../server/log/file-log.ts';
import { HistoryQueries } from '../server/history-queries.ts';
import { readEvents } from '../server/log/event-log.ts';

const event = (seq: number, id?: string): RoomEvent => messageEvent(seq, { id });

const line = (e: RoomEvent): string => `${JSON.stringify(e)}\n`;

/** Tail first for anything over 4 KiB, with a tail of about 2 KiB (some 20 events of these). */
const TAIL_FIRST = { minBytes: 4096, tailBytes: 2048 };

function files(t: TestContext): { history: string; index: string } {
  const dir = mkdtempSync(join(tmpdir(), 'room-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { history: join(dir, 'r.chat'), index: join(dir, 'room-r.idx') };
}

/** Opens the history tail first where it is long enough, with its index file, and starts reading the rest (as the broker does once it listens). */
function openLog(paths: { history: string; index: string }, options: Partial<FileLogOptions> = {}) {
  const opened = FileLog.open(paths.history, {
    durability: { policy: 'off' },
    indexPath: paths.index,
    tailFirst: TAIL_FIRST,
    ...options,
  });
  opened.log.readInBackground();
  return opened;
}

/** The same, closed when the test ends. */
function open(t: TestContext, paths: { history: string; index: string }) {
  const opened = openLog(paths);
  t.after(() => opened.log.close());
  return opened;
}

/** A history of `count` events (seqs 1…count) written as the broker writes them, with no index file. */
function history(paths: { history: string }, count: number): RoomEvent[] {
  const events = Array.from({ length: count }, (_, i) => event(i + 1));
  writeFileSync(paths.history, events.map(line).join(''), { mode: 0o600 });
  return events;
}

/** The broker's questions of the history, asked of this log on behalf of a user who may see everything. */
const queries = (log: FileLog) => new HistoryQueries({ log, canSee: () => true, checkLog: () => {} });

/** Resolves once the log has read its head in steps (between turns). */
async function headRead(log: FileLog): Promise<void> {
  while (log.unreadHeadBytes > 0) await new Promise((resolve) => setImmediate(resolve));
}

/** Every event the log holds, read back from the end a batch at a time until a read is empty (as the broker's pages do). */
function walkBack(log: FileLog, batch = 7): RoomEvent[] {
  const held: RoomEvent[] = [];
  for (let end = log.state.end; ; end -= batch) {
    const events = readEvents(log, end - batch, end);
    if (events.length === 0) return held;
    held.unshift(...events);
  }
}

test('tail first: open indexes only the tail; the newest events, their seqs and ids are there at once', (t) => {
  const paths = files(t);
  const events = history(paths, 3000);
  const { log, report } = open(t, paths);
  const size = statSync(paths.history).size;
  assert.ok(report.headBytes > 0 && size - report.headBytes <= TAIL_FIRST.tailBytes, 'the head is left');
  assert.ok(
    log.unreadHeadBytes > report.headBytes - 2 * 65_536,
    'of the head, only a step was read (for its first event)',
  );
  const tail = report.events;
  assert.ok(tail > 5 && tail < 3000, `${tail} events in the tail`);
  assert.equal(log.state.end, tail);
  assert.equal(log.state.firstSeq, 1, 'the first seq is known: the head is not read for it');
  assert.equal(log.state.lastSeq, 3000);
  assert.deepEqual(
    log.readLines(tail - 3, tail),
    events.slice(-3).map((e) => JSON.stringify(e)),
  );
  assert.equal(log.positionAfter(2997), tail - 3, 'a seq in the tail');
  assert.equal(log.positionOf(events[2998]!.id), tail - 2, 'an id in the tail');
  assert.ok(log.unreadHeadBytes > 0, 'none of that read the head');
});

test('tail first: the head is read in steps between turns; every event keeps its position, the head takes those below 0', async (t) => {
  const paths = files(t);
  const events = history(paths, 30_000); // ~4 MiB: several steps
  const { log, report } = openLog(paths);
  const tail = report.events;
  const newest = log.readLines(tail - 1, tail);
  const added = event(30_001);
  log.appendAll([added]);
  assert.equal(log.state.end, tail + 1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(log.unreadHeadBytes > 0 && log.unreadHeadBytes < report.headBytes, 'one step read some of the head');
  await headRead(log);
  assert.deepEqual(log.readLines(tail - 1, tail), newest, 'the same position, the same event');
  assert.deepEqual(log.state, { firstSeq: 1, lastSeq: 30_001, count: 30_001, end: tail + 1 });
  assert.equal(log.positionAfter(0), tail + 1 - 30_001, 'the first event is below 0');
  assert.equal(log.positionOf(events[0]!.id), tail + 1 - 30_001);
  assert.deepEqual(walkBack(log, 1000), [...events, added]);
  log.close();
  // The index file was written once the head was read: the next start reads it, from position 0.
  const next = open(t, paths);
  assert.equal(next.report.fromIndexFile, 30_001);
  assert.equal(next.report.headBytes, 0);
  assert.deepEqual(walkBack(next.log, 1000), [...events, added]);
  assert.equal(next.log.positionAfter(0), 0);
});

test('tail first: whatever reaches the head before the steps are done reads it at once', async (t) => {
  const asks: Record<string, (log: FileLog, events: RoomEvent[], tail: number) => void> = {
    'a read below position 0': (log, events, tail) => {
      assert.deepEqual(readEvents(log, tail - 3000, tail - 2999), [events[0]]);
    },
    'a seq before the tail': (log, events, tail) => {
      assert.equal(log.positionAfter(10), tail - 2990);
      assert.deepEqual(readEvents(log, tail - 2990, tail - 2989), [events[10]]);
    },
    'an id in the head': (log, events, tail) => {
      assert.equal(log.positionOf(events[5]!.id), tail - 2995);
    },
    'an id held nowhere (a keyed send: the history must be read to know)': (log) => {
      assert.equal(log.positionOf(randomUUID()), undefined);
    },
    'a prefix of an id': (log, events) => {
      assert.deepEqual(log.idsWithPrefix(events[7]!.id.slice(0, 8), 5), [events[7]!.id]);
    },
    'the count': (log) => {
      assert.equal(log.state.count, 3000);
    },
    'a walk back from the end': (log, events) => {
      assert.deepEqual(walkBack(log), events);
    },
    // The broker's own walks back (server/history-queries.ts), from within the tail past its start.
    "a page back across the tail's start (GET /messages?before=)": (log, events, tail) => {
      const tailFirst = 3000 - tail + 1;
      const page = queries(log).page('alice', { before: String(tailFirst + 2), limit: 5 });
      assert.deepEqual(
        page.lines,
        events.slice(tailFirst - 4, tailFirst + 1).map((e) => JSON.stringify(e)),
      );
      assert.equal(page.hasMore, true);
    },
    'the last n events, more than the tail holds (where a replay starts)': (log, _events, tail) => {
      assert.equal(queries(log).seqBeforeLastVisible(tail + 10, 'alice'), 3000 - tail - 10);
    },
  };
  for (const [name, ask] of Object.entries(asks)) {
    await t.test(name, (t) => {
      const paths = files(t);
      const events = history(paths, 3000);
      const { log, report } = open(t, paths);
      assert.ok(log.unreadHeadBytes > 0);
      ask(log, events, report.events);
      assert.equal(log.unreadHeadBytes, 0, 'the head was read');
      assert.equal(log.state.count, 3000);
    });
  }
});

test('tail first: where the head disagrees with the tail, the head gives way (its seq not below the tail, an id the tail holds)', async (t) => {
  const paths = files(t);
  const events = Array.from({ length: 400 }, (_, i) => event(i + 1));
  // Written by hand: a head line with a seq past the tail's, and one repeating an id the tail has.
  const late = event(100_000);
  const twin = event(50, events[399]!.id);
  const lines = events.map(line);
  lines.splice(100, 0, line(late));
  lines.splice(200, 0, line(twin));
  writeFileSync(paths.history, lines.join(''), { mode: 0o600 });
  const { log } = open(t, paths);
  assert.equal(log.state.lastSeq, 400, 'the tail says where seqs are');
  const appended = event(401);
  log.appendAll([appended]);
  await headRead(log);
  assert.deepEqual(
    walkBack(log),
    [...events, appended],
    'both head lines skipped; every tail event and the append kept',
  );
  assert.equal(log.positionOf(events[399]!.id), log.state.end - 2);
});

test('tail first: a short history, or one with an index file to trust, is read whole as before', (t) => {
  const paths = files(t);
  history(paths, 20);
  assert.ok(statSync(paths.history).size < TAIL_FIRST.minBytes);
  assert.equal(open(t, paths).report.headBytes, 0, 'under minBytes');
  const long = files(t);
  const events = history(long, 2000);
  const first = openLog(long).log;
  assert.deepEqual(walkBack(first), events);
  first.close();
  const again = open(t, long);
  assert.equal(again.report.headBytes, 0, 'the index file is trusted');
  assert.equal(again.report.fromIndexFile, 2000);
});

test('tail first: /clear, a truncation and a close while the head is unread', async (t) => {
  await t.test('/clear forgets the head; seqs go on', async (t) => {
    const paths = files(t);
    history(paths, 2000);
    const { log } = open(t, paths);
    log.clear();
    assert.equal(log.unreadHeadBytes, 0);
    assert.deepEqual(log.state, { firstSeq: 2001, lastSeq: 2000, count: 0, end: 0 });
    const after = event(2001);
    log.appendAll([after]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(walkBack(log), [after]);
  });
  await t.test('a truncation under it: the history is read again, whole', (t) => {
    const paths = files(t);
    const events = history(paths, 2000);
    const { log } = open(t, paths);
    const kept = events.slice(0, 1500);
    truncateSync(paths.history, Buffer.byteLength(kept.map(line).join('')));
    assert.match(log.verify()?.message ?? '', /truncated/);
    assert.equal(log.unreadHeadBytes, 0);
    assert.deepEqual(walkBack(log), kept);
  });
  await t.test('grown under it: the new lines join the tail, the head is still read after', async (t) => {
    const paths = files(t);
    const events = history(paths, 2000);
    const { log } = open(t, paths);
    const more = [event(2001), event(2002)];
    appendFileSync(paths.history, more.map(line).join(''));
    assert.match(log.verify()?.message ?? '', /2 events added/);
    assert.ok(log.unreadHeadBytes > 0);
    await headRead(log);
    assert.deepEqual(walkBack(log), [...events, ...more]);
  });
  await t.test('closed before the head is read: no index file is written, the next start is tail first again', (t) => {
    const paths = files(t);
    const events = history(paths, 2000);
    const { log } = openLog(paths);
    log.appendAll([event(2001)]);
    log.close();
    assert.equal(readFileSync(paths.index).length, 32, 'the index file holds only its header');
    const next = open(t, paths);
    assert.ok(next.report.headBytes > 0);
    assert.equal(next.log.state.lastSeq, 2001);
    assert.equal(walkBack(next.log).length, events.length + 1);
  });
});

test('tail first: the first seq is that of the first event the head keeps (a resume from before it is not told the history was cleared)', (t) => {
  const paths = files(t);
  const events = Array.from({ length: 3000 }, (_, i) => event(i + 1));
  // The file's first event has a seq past the tail's: the head gives it way, so the first kept is seq 1.
  writeFileSync(paths.history, [event(5_000_000), ...events].map(line).join(''), { mode: 0o600 });
  const { log, report } = open(t, paths);
  assert.ok(report.headBytes > 0);
  assert.equal(log.state.firstSeq, 1);
  assert.ok(log.unreadHeadBytes > 0, 'known before the head is read');
});

test("tail first: a head line that gives way passes its seq on (a room's own seqs): no later event takes it", async (t) => {
  const paths = files(t);
  const events = Array.from({ length: 3000 }, (_, i) => event(i + 1));
  const lines = events.map(line);
  lines.splice(2000, 0, line(event(3002))); // past the first step: read after open
  writeFileSync(paths.history, lines.join(''), { mode: 0o600 });
  const heard: { events: number; skipped: number }[] = [];
  const { log } = openLog(paths, { passSkippedSeqs: true, onHeadRead: (report) => heard.push(report) });
  t.after(() => log.close());
  assert.equal(log.state.lastSeq, 3000, 'the tail says 3000 until the head is read');
  await headRead(log);
  assert.equal(heard.length, 1, 'told once');
  assert.equal(heard[0]!.skipped, 1);
  assert.equal(log.state.lastSeq, 3002, 'the skipped line carried 3002');
  assert.deepEqual(walkBack(log), events);
});

test('tail first: a head with no event in it is read whole at open (once), its lines counted as skipped', (t) => {
  const paths = files(t);
  const events = Array.from({ length: 10 }, (_, i) => event(i + 1)); // all in the tail's 2 KiB
  const legacy = Array.from({ length: 3000 }, (_, i) => `{"type":"legacy","n":${i},"text":"${'y'.repeat(60)}"}\n`);
  writeFileSync(paths.history, [...legacy, ...events.map(line)].join(''), { mode: 0o600 });
  const { log, report } = open(t, paths);
  assert.equal(report.headBytes, 0, 'nothing left to read');
  assert.ok(report.skipped >= 3000, `${report.skipped} skipped`);
  assert.equal(log.unreadHeadBytes, 0);
  assert.deepEqual(walkBack(log), events);
});
