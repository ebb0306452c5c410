// `room watch` wake latency: how long after another user's message the
// watcher prints it. Goal (issue 2): p50 ≤ 50 ms, p99 ≤ 200 ms.
//
//   npm run bench -- watch-latency [--iterations 150] [--settle 50]
//
// Each iteration starts `room watch` (the real launcher) as bob, waits until
// it is watching the history file (an inotify descriptor in /proc/<pid>/fd,
// then `--settle` ms for its first read), sends a message as alice over the
// broker's socket, and times until the message's line appears on the
// watcher's stdout. Measured from just before the send (so the HTTP round
// trip is included) and from the send's answer. The watcher's own cold start
// is not part of the figure: it is already waiting when the message is sent.
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { Agent } from 'node:http';
import {
  BenchDir,
  ROOM_BIN,
  fmt,
  httpJson,
  load,
  machine,
  numberOptions,
  percentile,
  sleep,
  stats,
  table,
} from './lib.ts';

export const name = 'watch-latency';
export const summary = "room watch: from another user's send to the line on stdout, p50/p99";

/** True once the process holds an inotify descriptor (fs.watch is set up). */
function watching(pid: number): boolean | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined; // no /proc here, or the process is gone
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify';
    } catch {
      return false;
    }
  });
}

interface Sample {
  readonly fromSend: number;
  readonly fromAnswer: number;
}

async function once(
  dir: BenchDir,
  socket: string,
  aliceToken: string,
  bobToken: string,
  agent: Agent,
  settleMs: number,
  i: number,
): Promise<Sample> {
  const child = spawn(ROOM_BIN, ['watch', 'wl', '--timeout', '20'], {
    env: { ...dir.env, ROOM_TOKEN: bobToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const marker = `wake ${i} ${process.pid}`;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const seen = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes(marker)) resolve(performance.now());
    });
    void exited.then((code) => reject(new Error(`watch exited ${code} before printing the message: ${stderr.trim()}`)));
  });
  seen.catch(() => {}); // reported below when awaited
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = watching(child.pid!);
    if (state === true) break;
    if (state === undefined) {
      await sleep(500); // cannot tell: give it ample time
      break;
    }
    if (Date.now() > deadline) throw new Error('watch did not start watching within 10 s');
    await sleep(2);
  }
  await sleep(settleMs);
  const t0 = performance.now();
  const answer = await httpJson(socket, 'POST', '/messages', { type: 'message', content: marker }, aliceToken, agent);
  const t1 = performance.now();
  if (answer.status !== 201) throw new Error(`send failed: ${answer.status} ${answer.body}`);
  const t2 = await seen;
  const code = await exited;
  if (code !== 0) throw new Error(`watch exited ${code}: ${stderr.trim()}`);
  return { fromSend: t2 - t0, fromAnswer: t2 - t1 };
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { iterations: 150, settle: 50 });
  const dir = new BenchDir();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const aliceToken = dir.join('wl', 'alice');
    const bobToken = dir.join('wl', 'bob');
    const socket = dir.socket('wl');
    const loadBefore = load();
    const started = Date.now();
    const samples: Sample[] = [];
    for (let i = 0; i < options.iterations; i++)
      samples.push(await once(dir, socket, aliceToken, bobToken, agent, options.settle, i));
    const row = (label: string, values: number[]) => {
      const s = stats(values);
      const sorted = [...values].sort((a, b) => a - b);
      return [label, fmt(s.median), fmt(percentile(sorted, 90)), fmt(s.p99), fmt(s.max)];
    };
    return [
      `### Watch wake latency (${options.iterations} wakes, ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${load()}.`,
      '',
      table(
        ['measured from', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
        [
          row(
            'just before the send',
            samples.map((s) => s.fromSend),
          ),
          row(
            "the send's answer",
            samples.map((s) => s.fromAnswer),
          ),
        ],
      ),
      '',
      'Goal: p50 ≤ 50 ms, p99 ≤ 200 ms.',
    ].join('\n');
  } finally {
    agent.destroy();
    await dir.cleanup();
  }
}
