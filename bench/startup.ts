// The broker's start-up and memory on a long history (issue 12): time from
// spawning `node dist/broker.js` to its socket answering GET /health, on an
// empty history and on a 1,000,000-event one (first start: no index file;
// then again, with the index file the first start wrote), and the broker's
// RSS after start, through a 100,000-event SSE replay (Last-Event-ID), through
// a full page walk (GET /messages?after=… until the end), and idle on an
// empty room. RSS is VmRSS of /proc/<pid>/status; each phase's peak is VmHWM
// after resetting it (`echo 5 > /proc/<pid>/clear_refs`) when the phase starts.
//
//   npm run bench -- startup [--events 1000000] [--replay 100000] [--page 1000] [--rounds 3]
//   ROOM_BENCH_BEFORE=/path/to/other/dist/cli.js npm run bench -- startup   # that build beside this one
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import {
  BenchDir,
  NODE,
  ROOT,
  fmt,
  httpJson,
  machine,
  median,
  numberOptions,
  sleep,
  stopProcess,
  table,
} from './lib.ts';
import { writeEvents } from './history-load.ts';

export const name = 'startup';
export const summary = 'broker start-up (spawn to /health) and RSS on an empty and a 1,000,000-event history';

const ROOM = 'big';

interface Build {
  readonly name: string;
  readonly script: string;
}

interface Running {
  readonly pid: number;
  readonly ms: number;
}

/** MiB from a /proc/<pid>/status field (VmRSS, VmHWM). */
function statusMiB(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? Number.NaN : Number(match[1]) / 1024;
}

/** Starts a peak-RSS phase: VmHWM is reset to the current RSS (Linux). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Spawns the broker and times until GET /health answers on its socket. */
async function start(dir: BenchDir, script: string): Promise<Running> {
  const log = dir.file(`room-${ROOM}.log`);
  const fd = openSync(log, 'a', 0o600);
  const env = { ...dir.env, ROOM_IDLE_SECONDS: '0' };
  const started = performance.now();
  const child = spawn(NODE, [script, ROOM], { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const socket = dir.socket(ROOM);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the broker exited ${child.exitCode}: ${readFileSync(log, 'utf8')}`);
    if (existsSync(socket)) {
      const ok = await httpJson(socket, 'GET', '/health', undefined).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return { pid: child.pid!, ms: performance.now() - started };
    }
    await sleep(2);
  }
}

/** Replays the history after `after` on an SSE stream until the event with seq `last` arrives. */
function replay(socketPath: string, token: string, after: number, last: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let events = 0;
    let seen = 0;
    let partial = '';
    const req = request(
      {
        socketPath,
        path: '/events',
        headers: { authorization: `Bearer ${token}`, 'last-event-id': String(after) },
        agent: false,
      },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop()!;
          for (const line of lines) {
            if (!line.startsWith('id: ')) continue;
            events++;
            seen = Number(line.slice(4));
          }
          if (seen >= last) {
            req.destroy();
            resolve(events);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!req.destroyed) reject(error);
    });
    req.end();
  });
}

/** Pages through the whole history, oldest first; the number of events read. */
async function pageWalk(socketPath: string, token: string, limit: number): Promise<number> {
  let after = '0';
  let total = 0;
  for (;;) {
    const page = await httpJson(socketPath, 'GET', `/messages?after=${after}&limit=${limit}`, undefined, token);
    if (page.status !== 200) throw new Error(`GET /messages answered ${page.status}: ${page.body}`);
    const events = JSON.parse(page.body) as { seq: number }[];
    total += events.length;
    // A short page is the last (the has-more header says the same; this client keeps only the body).
    if (events.length < limit) return total;
    after = String(events.at(-1)!.seq);
  }
}

async function joinRoom(socket: string): Promise<string> {
  const answer = await httpJson(socket, 'POST', '/join', { username: `bench${Date.now() % 1e6}` });
  return (JSON.parse(answer.body) as { token: string }).token;
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { events: 1_000_000, replay: 100_000, page: 1000, rounds: 3 });
  const builds: Build[] = [{ name: 'this build', script: join(ROOT, 'dist', 'broker.js') }];
  const before = process.env.ROOM_BENCH_BEFORE;
  if (before !== undefined) builds.push({ name: 'before', script: join(dirname(before), 'broker.js') });
  const history = new BenchDir('room-bench-startup-');
  const source = history.file('history.chat');
  const generated = performance.now();
  writeEvents(source, options.events);
  const generatedMs = performance.now() - generated;
  const startRows: string[][] = [];
  const memoryRows: string[][] = [];
  try {
    for (const build of builds) {
      const times: Record<string, number[]> = { empty: [], first: [], again: [] };
      const memory: Record<string, number> = {};
      for (let round = 0; round < options.rounds; round++) {
        const dir = new BenchDir('room-bench-startup-');
        try {
          // Empty: a room with no history.
          const empty = await start(dir, build.script);
          times.empty!.push(empty.ms);
          if (round === 0) {
            await sleep(2000);
            memory.idle = statusMiB(empty.pid, 'VmRSS');
          }
          await stopProcess(empty.pid);
          rmSync(dir.file(`room-${ROOM}.idx`), { force: true });
          // The long history: copied in place of the room's (empty) one; the first start has no index file.
          writeFileSync(dir.file(`${ROOM}.chat`), readFileSync(source), { mode: 0o600 });
          const first = await start(dir, build.script);
          times.first!.push(first.ms);
          await stopProcess(first.pid);
          const again = await start(dir, build.script);
          times.again!.push(again.ms);
          if (round === 0) {
            const { pid } = again;
            const socket = dir.socket(ROOM);
            memory.started = statusMiB(pid, 'VmRSS');
            const token = await joinRoom(socket);
            resetPeak(pid);
            const replayed = await replay(socket, token, options.events - options.replay, options.events);
            memory.replayPeak = statusMiB(pid, 'VmHWM');
            memory.replayAfter = statusMiB(pid, 'VmRSS');
            memory.replayed = replayed;
            resetPeak(pid);
            memory.walked = await pageWalk(socket, token, options.page);
            memory.walkPeak = statusMiB(pid, 'VmHWM');
            memory.walkAfter = statusMiB(pid, 'VmRSS');
          }
          await stopProcess(again.pid);
        } finally {
          await dir.cleanup();
        }
      }
      const ms = (values: number[]) =>
        `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
      startRows.push([
        build.name,
        ms(times.empty!),
        ms(times.first!),
        ms(times.again!),
        `${(median(times.again!) / median(times.empty!)).toFixed(2)}×`,
      ]);
      memoryRows.push([
        build.name,
        fmt(memory.idle!),
        fmt(memory.started!),
        `${fmt(memory.replayPeak!)} / ${fmt(memory.replayAfter!)} (${memory.replayed} events)`,
        `${fmt(memory.walkPeak!)} / ${fmt(memory.walkAfter!)} (${memory.walked} events)`,
      ]);
    }
  } finally {
    await history.cleanup();
  }
  return [
    `### Broker start-up and memory (${options.rounds} rounds)`,
    '',
    machine(),
    '',
    `History: ${options.events.toLocaleString('en')} events (generated in ${(generatedMs / 1000).toFixed(1)} s). Time from spawn to GET /health answering, ms: median (min–max).`,
    '',
    table(
      [
        'build',
        'empty history',
        `${options.events.toLocaleString('en')} events, first start`,
        `${options.events.toLocaleString('en')} events, next start`,
        'next start ÷ empty',
      ],
      startRows,
    ),
    '',
    `RSS MiB (first round): idle = an empty room 2 s after start; the rest on the ${options.events.toLocaleString('en')}-event history after its next start. Peak / after.`,
    '',
    table(
      [
        'build',
        'idle, empty room',
        'after start',
        `replay of the last ${options.replay.toLocaleString('en')} (Last-Event-ID)`,
        `page walk, ${options.page} a page`,
      ],
      memoryRows,
    ),
  ].join('\n');
}
