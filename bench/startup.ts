// The broker's start-up and memory on a long history (issue 12): time from
// spawning `node dist/broker.js` to its socket answering GET /health, on an
// empty history and on a 1,000,000-event one (first start: no index file, so
// the history is read tail first, the rest after listening; then again, with
// the index file the first start wrote once it had read it all), and the broker's
// RSS after start, through a 100,000-event SSE replay (Last-Event-ID), through
// a full page walk (GET /messages?after=… until the end), and idle on an
// empty room. RSS is VmRSS of /proc/<pid>/status; each phase's peak is VmHWM
// after resetting it (`echo 5 > /proc/<pid>/clear_refs`) when the phase starts.
//
//   npm run bench -- startup [--events 1000000] [--replay 100000] [--page 1000] [--rounds 5]
//   ROOM_BENCH_BEFORE=/path/to/other/dist/cli.js npm run bench -- startup   # that build beside this one
//   ROOM_BENCH_BROKER_FLAGS="" npm run bench -- startup   # other Node flags for the brokers (default: the product's)
//
// Each build gets one room on the long history, started once first (the
// "first start": no index file yet); then each round starts, in a random
// order, a broker on an empty room and one on the long history ("next
// start"), so load that comes and goes hits both alike. Every start of a
// build shares one Node compile cache (NODE_COMPILE_CACHE), as a user's
// brokers share theirs (client/broker-start.ts): an untimed start on an
// empty room fills it first.
// Besides the time to listen, the broker's CPU time (user + system, from
// /proc, 10 ms steps) until then: on a shared machine the wall time grows
// with the load, the CPU time much less.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
  percentile,
  sleep,
  stopProcess,
  table,
} from './lib.ts';
import { BROKER_ENV, BROKER_NODE_FLAGS } from '../client/broker-start.ts';
import { writeEvents } from './history-load.ts';

export const name = 'startup';
export const summary = 'broker start-up (spawn to /health) and RSS on an empty and a 1,000,000-event history';

const ROOM = 'big';
/** The index file's layout (server/log/index-file.ts): a header, then a record per event. */
const INDEX_HEADER_BYTES = 32;
const INDEX_RECORD_BYTES = 24;

interface Build {
  readonly name: string;
  readonly script: string;
}

interface Running {
  readonly pid: number;
  readonly ms: number;
  /** CPU milliseconds the broker had used when /health answered. */
  readonly cpuMs: number;
}

/** MiB from a /proc/<pid>/status field (VmRSS, VmHWM). */
function statusMiB(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? Number.NaN : Number(match[1]) / 1024;
}

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat (10 ms resolution). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Starts a peak-RSS phase: VmHWM is reset to the current RSS (Linux). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** The broker's Node flags: the product's (client/broker-start.ts), or ROOM_BENCH_BROKER_FLAGS when set (empty: none). */
function brokerFlags(): readonly string[] {
  const given = process.env.ROOM_BENCH_BROKER_FLAGS;
  return given === undefined ? BROKER_NODE_FLAGS : given.split(' ').filter((f) => f !== '');
}

/** Spawns the broker and times until GET /health answers on its socket. */
async function start(dir: BenchDir, script: string, compileCache: string): Promise<Running> {
  const log = dir.file(`room-${ROOM}.log`);
  const fd = openSync(log, 'a', 0o600);
  const env = { ...BROKER_ENV, ...dir.env, ROOM_IDLE_SECONDS: '0', NODE_COMPILE_CACHE: compileCache };
  const started = performance.now();
  const flags = brokerFlags();
  const child = spawn(NODE, [...flags, script, ROOM], { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const socket = dir.socket(ROOM);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the broker exited ${child.exitCode}: ${readFileSync(log, 'utf8')}`);
    if (existsSync(socket)) {
      const ok = await httpJson(socket, 'GET', '/health', undefined).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return { pid: child.pid!, ms: performance.now() - started, cpuMs: cpuSeconds(child.pid!) * 1000 };
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
  const options = numberOptions(argv, { events: 1_000_000, replay: 100_000, page: 1000, rounds: 5 });
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
  const ms = (values: number[]) => `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
  try {
    for (const build of builds) {
      const memory: Record<string, number> = {};
      const big = new BenchDir('room-bench-startup-');
      try {
        writeFileSync(big.file(`${ROOM}.chat`), readFileSync(source), { mode: 0o600 });
        // On disk before the broker starts: a history written a moment ago left ~240 MB of dirty
        // pages, and the broker's first fsync (its state file) waited ~300 ms for them (ext4
        // commits a file's data with the journal), which no history a user has would cost.
        const written = openSync(big.file(`${ROOM}.chat`), 'r');
        fsyncSync(written);
        closeSync(written);
        const compileCache = history.file(`compile-cache-${builds.indexOf(build)}`);
        // An empty room first, untimed: it fills the compile cache, so the first start on the
        // long history is timed as any start after a build's very first is.
        const warm = new BenchDir('room-bench-startup-');
        try {
          await stopProcess((await start(warm, build.script, compileCache)).pid);
        } finally {
          await warm.cleanup();
        }
        const spawned = performance.now();
        const first = await start(big, build.script, compileCache);
        // A first start reads the history's head after it listens, and writes the index file once
        // it has: the next starts are timed with it.
        // Meanwhile GET /health every 20 ms: what reading the head in steps costs a request.
        const index = big.file(`room-${ROOM}.idx`);
        const waits: number[] = [];
        while (!existsSync(index) || statSync(index).size < INDEX_HEADER_BYTES + options.events * INDEX_RECORD_BYTES) {
          const asked = performance.now();
          await httpJson(big.socket(ROOM), 'GET', '/health', undefined);
          waits.push(performance.now() - asked);
          await sleep(20);
        }
        const indexedMs = performance.now() - spawned;
        waits.sort((a, b) => a - b);
        const whileReading =
          waits.length === 0
            ? ''
            : `; /health meanwhile p50 ${fmt(percentile(waits, 50), 2)} / p99 ${fmt(percentile(waits, 99), 2)} ms`;
        await stopProcess(first.pid);
        const times: Record<'empty' | 'next', number[]> = { empty: [], next: [] };
        const cpu: Record<'empty' | 'next', number[]> = { empty: [], next: [] };
        const ratios: number[] = [];
        for (let round = 0; round < options.rounds; round++) {
          const order = Math.random() < 0.5 ? (['empty', 'next'] as const) : (['next', 'empty'] as const);
          const took: Partial<Record<'empty' | 'next', number>> = {};
          for (const which of order) {
            if (which === 'empty') {
              const dir = new BenchDir('room-bench-startup-');
              try {
                const empty = await start(dir, build.script, compileCache);
                took.empty = empty.ms;
                cpu.empty.push(empty.cpuMs);
                if (round === 0) {
                  await sleep(2000);
                  memory.idle = statusMiB(empty.pid, 'VmRSS');
                  memory.idleAnon = statusMiB(empty.pid, 'RssAnon');
                  memory.idleFile = statusMiB(empty.pid, 'RssFile');
                }
                await stopProcess(empty.pid);
              } finally {
                await dir.cleanup();
              }
            } else {
              const next = await start(big, build.script, compileCache);
              took.next = next.ms;
              cpu.next.push(next.cpuMs);
              if (round === 0) await measureMemory(big, next.pid, options, memory);
              await stopProcess(next.pid);
            }
          }
          times.empty.push(took.empty!);
          times.next.push(took.next!);
          ratios.push(took.next! / took.empty!);
        }
        startRows.push([
          build.name,
          ms(times.empty),
          fmt(median(cpu.empty), 0),
          `${fmt(first.ms)} (CPU ${fmt(first.cpuMs, 0)}); all read ${(indexedMs / 1000).toFixed(1)} s${whileReading}`,
          ms(times.next),
          fmt(median(cpu.next), 0),
          `${(median(times.next) / median(times.empty)).toFixed(2)}× / ${median(ratios).toFixed(2)}×`,
        ]);
        memoryRows.push([
          build.name,
          `${fmt(memory.idle!)} (${fmt(memory.idleAnon!)} + ${fmt(memory.idleFile!)})`,
          `${fmt(memory.started!)} (${fmt(memory.startedAnon!)} anon)`,
          `${fmt(memory.replayPeak!)} / ${fmt(memory.replayAfter!)} (${memory.replayed} events, CPU ${fmt(memory.replayCpu!, 2)} s)`,
          `${fmt(memory.walkPeak!)} / ${fmt(memory.walkAfter!)} (${memory.walked} events, CPU ${fmt(memory.walkCpu!, 2)} s)`,
        ]);
      } finally {
        await big.cleanup();
      }
    }
  } finally {
    await history.cleanup();
  }
  const events = options.events.toLocaleString('en');
  const flags = brokerFlags().join(' ');
  return [
    `### Broker start-up and memory (${options.rounds} rounds)`,
    '',
    machine(),
    '',
    `History: ${events} events (generated in ${(generatedMs / 1000).toFixed(1)} s).${flags === '' ? ' No Node flags for the broker.' : ` Broker flags: \`${flags}\`.`} Time from spawn to GET /health answering, ms: median (min–max); the first start is one run ("all read": from spawn until its index file holds every event, the history read whole after listening). CPU: the broker's CPU time (user + system) by then, ms, median.`,
    '',
    table(
      [
        'build',
        'empty history',
        'CPU',
        `${events} events, first start`,
        `${events} events, next start`,
        'CPU',
        'next ÷ empty: ratio of medians / median ratio',
      ],
      startRows,
    ),
    '',
    `RSS MiB (first round): idle = an empty room 2 s after start; the rest on the ${events}-event history after its next start. Peak / after, and the broker's CPU time (user + system) for the phase. "anon" is RssAnon (the process's own memory); "file" is RssFile, nearly all of it the pages of the node binary, shared with every other Node process.`,
    '',
    table(
      [
        'build',
        'idle, empty room (anon + file)',
        'after start',
        `replay of the last ${options.replay.toLocaleString('en')} (Last-Event-ID)`,
        `page walk, ${options.page} a page`,
      ],
      memoryRows,
    ),
  ].join('\n');
}

/** RSS after start, through a replay of the last events and through a full page walk. */
async function measureMemory(
  dir: BenchDir,
  pid: number,
  options: { events: number; replay: number; page: number },
  memory: Record<string, number>,
): Promise<void> {
  const socket = dir.socket(ROOM);
  memory.started = statusMiB(pid, 'VmRSS');
  memory.startedAnon = statusMiB(pid, 'RssAnon');
  const token = await joinRoom(socket);
  resetPeak(pid);
  let cpu = cpuSeconds(pid);
  memory.replayed = await replay(socket, token, options.events - options.replay, options.events);
  memory.replayCpu = cpuSeconds(pid) - cpu;
  memory.replayPeak = statusMiB(pid, 'VmHWM');
  memory.replayAfter = statusMiB(pid, 'VmRSS');
  resetPeak(pid);
  cpu = cpuSeconds(pid);
  memory.walked = await pageWalk(socket, token, options.page);
  memory.walkCpu = cpuSeconds(pid) - cpu;
  memory.walkPeak = statusMiB(pid, 'VmHWM');
  memory.walkAfter = statusMiB(pid, 'VmRSS');
}
