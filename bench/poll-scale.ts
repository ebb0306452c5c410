// `room poll` with a valid cursor on a long history against a short one.
// Goal (issue 2): on 1,000,000 events ≤ 1.2× the same poll on 1,000 events.
//
//   npm run bench -- poll-scale [--small 1000] [--large 1000000] [--rounds 30] [--warmup 2] [--verify 1]
//
// The histories are written directly as the broker writes them (one event
// per line, JSON.stringify of {type, id, room, user, ts, seq, …}), with a
// room state file holding the users and their tokens, so poll needs no
// broker. `--verify 1` then starts a real broker on each room, which indexes
// every line and must report no bad line, and must accept the reader's token
// from the state file: the generated files are what the broker would have
// written. Each round polls both rooms twice,
// in a random order: with nothing new (the cursor is on the last event) and
// with 3 new events (the cursor is moved back 3 events before the run).
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import {
  BenchDir,
  ROOM_BIN,
  fmt,
  httpJson,
  load,
  machine,
  median,
  numberOptions,
  pairedRatios,
  roundRobin,
  run,
  stats,
  table,
  type Variant,
} from './lib.ts';

export const name = 'poll-scale';
export const summary = 'room poll with a valid cursor: 1,000,000-event history vs 1,000';

const USERS = ['alice', 'bob', 'carol', 'dave'];
const NEW_EVENTS = 3;

export interface Room {
  readonly id: string;
  readonly events: number;
  readonly token: string;
  readonly bytes: number;
  /** Cursor file contents for "nothing new" and for "3 new". */
  readonly atEnd: string;
  readonly before3: string;
}

/** Writes `<id>.chat` and `room-<id>.state` for `count` events; the reader is bob. */
export function makeRoom(dir: BenchDir, id: string, count: number): Room {
  const chat = dir.file(`${id}.chat`);
  const fd = openSync(chat, 'w', 0o600);
  const start = Date.UTC(2026, 0, 1);
  const ends: Array<{ id: string; start: number; end: number }> = [];
  let offset = 0;
  let batch: string[] = [];
  const flush = () => {
    const text = batch.join('');
    writeSync(fd, text);
    batch = [];
    return text;
  };
  for (let seq = 1; seq <= count; seq++) {
    const user = USERS[seq % USERS.length]!;
    const ts = new Date(start + seq * 1000).toISOString();
    const eventId = randomUUID();
    const event =
      seq % 50 === 0
        ? {
            type: 'dm',
            id: eventId,
            room: id,
            user,
            ts,
            seq,
            to: USERS[(seq + 1) % USERS.length]!,
            content: `a direct message, number ${seq}`,
          }
        : {
            type: 'message',
            id: eventId,
            room: id,
            user,
            ts,
            seq,
            content: `message ${seq}: the quick brown fox jumps over the lazy dog, again and again`,
          };
    const line = `${JSON.stringify(event)}\n`;
    const length = Buffer.byteLength(line);
    if (seq > count - NEW_EVENTS - 1) ends.push({ id: eventId, start: offset, end: offset + length });
    offset += length;
    batch.push(line);
    if (batch.length >= 10_000) flush();
  }
  flush();
  closeSync(fd);
  const tokens = Object.fromEntries(USERS.map((u) => [u, randomUUID()]));
  const state = {
    version: 1,
    room: id,
    chat,
    host: USERS[0],
    users: Object.fromEntries(
      USERS.map((u) => [u, { token: tokens[u], kicked: false, joined: new Date(start).toISOString() }]),
    ),
  };
  const stateFd = openSync(dir.file(`room-${id}.state`), 'w', 0o600);
  writeSync(stateFd, `${JSON.stringify(state, null, 2)}\n`);
  closeSync(stateFd);
  const cursor = (entry: { id: string; start: number; end: number }) =>
    `${JSON.stringify({ ...entry, room: id, user: 'bob' })}\n`;
  return {
    id,
    events: count,
    token: tokens.bob!,
    bytes: offset,
    atEnd: cursor(ends.at(-1)!),
    before3: cursor(ends[0]!),
  };
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { small: 1000, large: 1_000_000, rounds: 30, warmup: 2, verify: 1 });
  const dir = new BenchDir();
  try {
    const t0 = performance.now();
    const rooms = [makeRoom(dir, 'ps-small', options.small), makeRoom(dir, 'ps-large', options.large)];
    const generated = performance.now() - t0;
    const notes: string[] = [
      `Generated ${rooms.map((r) => `${r.events.toLocaleString('en')} events (${(r.bytes / 1e6).toFixed(1)} MB)`).join(' and ')} in ${(generated / 1000).toFixed(1)} s.`,
    ];
    if (options.verify > 0) {
      for (const room of rooms) {
        const ms = await dir.startBroker(room.id);
        const log = readFileSync(dir.file(`room-${room.id}.log`), 'utf8');
        const report = /history .*: (\d+) events(.*)/.exec(log);
        if (report === null || Number(report[1]) !== room.events || report[2] !== '')
          throw new Error(`the broker did not accept ${room.id}'s history: ${log}`);
        const answer = await httpJson(dir.socket(room.id), 'GET', '/users', undefined, room.token);
        if (answer.status !== 200)
          throw new Error(`the broker of ${room.id} refused bob's token: ${answer.status} ${answer.body}`);
        notes.push(
          `A broker indexed ${room.id} (${Number(report[1]).toLocaleString('en')} events, no bad line) and listened after ${(ms / 1000).toFixed(1)} s; it accepts the state file's tokens.`,
        );
      }
    }

    const cursorPath = (room: Room) => dir.file(`room-${room.id}-bob.cursor`);
    const poll = (room: Room, expected: number) => () => {
      const result = run(ROOM_BIN, ['poll', room.id], { env: { ...dir.env, ROOM_TOKEN: room.token } });
      const lines = result.stdout === '' ? 0 : result.stdout.trimEnd().split('\n').length;
      // The reader sees its own messages and the DMs to or from it; count only that the right number arrived.
      if (expected === 0 ? lines !== 0 : lines === 0 || lines > expected)
        throw new Error(`poll ${room.id} printed ${lines} lines, expected ${expected}`);
      return result.ms;
    };
    const setCursor = (room: Room, text: string) => () => {
      const fd = openSync(cursorPath(room), 'w', 0o600);
      writeSync(fd, text);
      closeSync(fd);
    };
    const variants: Variant[] = rooms.flatMap((room) => [
      { name: `${room.id}: nothing new`, before: setCursor(room, room.atEnd), run: poll(room, 0) },
      { name: `${room.id}: ${NEW_EVENTS} new`, before: setCursor(room, room.before3), run: poll(room, NEW_EVENTS) },
    ]);

    const loadBefore = load();
    const started = Date.now();
    const samples = roundRobin(variants, options.rounds, options.warmup);
    const rows = variants.map((v) => {
      const s = stats(samples.get(v.name)!);
      return [v.name, fmt(s.median), `${fmt(s.min)}–${fmt(s.max)}`];
    });
    const ratio = (kind: string) => {
      const small = `ps-small: ${kind}`;
      const large = `ps-large: ${kind}`;
      return [
        kind,
        `${fmt(median(samples.get(large)!) / median(samples.get(small)!), 2)}×`,
        `${fmt(median(pairedRatios(samples, large, small)), 2)}×`,
      ];
    };
    return [
      `### Poll scale (${options.rounds} rounds + ${options.warmup} warm-up, round-robin, shuffled; ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${load()}.`,
      '',
      ...notes,
      '',
      table(['variant', 'median ms', 'min–max ms'], rows),
      '',
      table(
        [
          'poll',
          `${options.large.toLocaleString('en')} vs ${options.small.toLocaleString('en')} events: ratio of medians`,
          'median per-round ratio',
        ],
        [ratio('nothing new'), ratio(`${NEW_EVENTS} new`)],
      ),
      '',
      'Goal: ≤ 1.2×.',
    ].join('\n');
  } finally {
    await dir.cleanup();
  }
}
