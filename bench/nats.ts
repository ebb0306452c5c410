// A room shared through NATS JetStream (issue 16) beside a room on one
// machine, measured in the same run: send → receive latency (p50/p99) and
// throughput.
//
//   npm run bench -- nats [--iterations 200] [--messages 2000] [--inflight 32]
//
// Three set-ups, each with its own real brokers (started by `room join`):
// - local: a room without NATS; alice sends, bob's stream on the same broker receives;
// - shared, one broker: a room on a local nats-server -js; sender and
//   receiver on the same broker (what NATS costs a machine's own users);
// - shared, two brokers: two ROOM_DIRs standing in for two machines on that
//   one nats-server; alice sends to broker A, bob's stream is on broker B.
// Latency: `--iterations` sends one at a time (POST /messages over a
// keep-alive connection), each timed from just before the POST to its frame
// on the receiver's SSE stream (same process, same clock). Throughput:
// `--messages` sends with `--inflight` in flight at once, timed from the
// first POST to the last frame received. Loopback only: a real network adds
// its round trips to the shared figures.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/nats-server.ts';
import {
  BenchDir,
  fmt,
  httpJson,
  load,
  machine,
  numberOptions,
  percentile,
  ROOM_BIN,
  run,
  sleep,
  stats,
  table,
} from './lib.ts';

export const name = 'nats';
export const summary =
  'shared rooms: send→receive latency and throughput across two brokers on NATS, beside one machine';

/** A nats-server -js on loopback with its own storage, for the run. */
async function startNats(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'room-bench-nats-'));
  const child: ChildProcess = spawn(
    process.env.ROOM_NATS_SERVER ?? 'nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (log.includes('Server is ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${log}`)));
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGKILL');
      rmSync(store, { recursive: true, force: true });
    },
  };
}

/** The frames of message events on a user's stream: calls `onMessage` with each one's content as it arrives. */
function listen(socket: string, token: string, onMessage: (content: string) => void): { close: () => void } {
  const req = request(
    { socketPath: socket, path: '/events?n=0', headers: { authorization: `Bearer ${token}` } },
    (res) => {
      let buffer = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data === undefined) continue;
          const event = JSON.parse(data.slice(6)) as { type?: string; content?: string };
          if (event.type === 'message' && event.content !== undefined) onMessage(event.content);
        }
      });
    },
  );
  req.on('error', () => {});
  req.end();
  return { close: () => req.destroy() };
}

interface Setup {
  readonly label: string;
  readonly sendTo: string;
  readonly sender: string;
  readonly receiveOn: string;
  readonly receiver: string;
}

interface Figures {
  readonly latencies: number[];
  readonly perSecond: number;
}

async function measure(setup: Setup, iterations: number, messages: number, inflight: number): Promise<Figures> {
  const arrived = new Map<string, number>();
  let waiting: { content: string; resolve: () => void } | undefined;
  let count = 0;
  let allIn: (() => void) | undefined;
  const stream = listen(setup.receiveOn, setup.receiver, (content) => {
    arrived.set(content, performance.now());
    count++;
    if (waiting?.content === content) waiting.resolve();
    if (allIn !== undefined && count >= messages) allIn();
  });
  const agent = new Agent({ keepAlive: true, maxSockets: inflight });
  try {
    // The stream is open once a message sent now arrives on it.
    for (let i = 0; ; i++) {
      const marker = `ready-${i}`;
      const seen = new Promise<void>((resolve) => (waiting = { content: marker, resolve }));
      await httpJson(setup.sendTo, 'POST', '/messages', { type: 'message', content: marker }, setup.sender, agent);
      if (await Promise.race([seen.then(() => true), sleep(1000).then(() => false)])) break;
    }
    const latencies: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const content = `lat-${i}`;
      const seen = new Promise<void>((resolve) => (waiting = { content, resolve }));
      const start = performance.now();
      const answer = await httpJson(
        setup.sendTo,
        'POST',
        '/messages',
        { type: 'message', content },
        setup.sender,
        agent,
      );
      if (answer.status !== 201) throw new Error(`${setup.label}: send answered ${answer.status} ${answer.body}`);
      await seen;
      latencies.push(arrived.get(content)! - start);
    }
    count = 0;
    const done = new Promise<void>((resolve) => (allIn = resolve));
    const start = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < messages) {
        const i = next++;
        const answer = await httpJson(
          setup.sendTo,
          'POST',
          '/messages',
          { type: 'message', content: `tp-${i}` },
          setup.sender,
          agent,
        );
        if (answer.status !== 201) throw new Error(`${setup.label}: send answered ${answer.status} ${answer.body}`);
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    await done;
    return { latencies, perSecond: messages / ((performance.now() - start) / 1000) };
  } finally {
    stream.close();
    agent.destroy();
  }
}

function joinRoom(dir: BenchDir, room: string, user: string, nats?: string): string {
  const args = ['join', room, user, ...(nats === undefined ? [] : ['--nats', nats])];
  return (JSON.parse(run(ROOM_BIN, args, { env: dir.env }).stdout) as { token: string }).token;
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { iterations: 200, messages: 2000, inflight: 32 });
  const nats = await startNats();
  const local = new BenchDir();
  const a = new BenchDir();
  const b = new BenchDir();
  try {
    const loadBefore = load();
    const started = Date.now();
    const localAlice = joinRoom(local, 'bench', 'alice');
    const localBob = joinRoom(local, 'bench', 'bob');
    const aAlice = joinRoom(a, 'bench', 'alice', nats.url);
    const aCarol = joinRoom(a, 'bench', 'carol', nats.url);
    const bBob = joinRoom(b, 'bench', 'bob', nats.url);
    const setups: Setup[] = [
      {
        label: 'local (no NATS)',
        sendTo: local.socket('bench'),
        sender: localAlice,
        receiveOn: local.socket('bench'),
        receiver: localBob,
      },
      {
        label: 'shared, one broker',
        sendTo: a.socket('bench'),
        sender: aAlice,
        receiveOn: a.socket('bench'),
        receiver: aCarol,
      },
      {
        label: 'shared, two brokers',
        sendTo: a.socket('bench'),
        sender: aAlice,
        receiveOn: b.socket('bench'),
        receiver: bBob,
      },
    ];
    const rows: string[][] = [];
    for (const setup of setups) {
      const figures = await measure(setup, options.iterations, options.messages, options.inflight);
      const s = stats(figures.latencies);
      const sorted = [...figures.latencies].sort((x, y) => x - y);
      rows.push([
        setup.label,
        fmt(s.median, 2),
        fmt(percentile(sorted, 99), 2),
        fmt(s.max, 2),
        fmt(figures.perSecond, 0),
      ]);
    }
    return [
      `### Shared rooms on NATS (${options.iterations} timed sends, ${options.messages} for throughput with ${options.inflight} in flight; ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${load()}. nats-server -js on loopback, one node.`,
      '',
      table(['set-up', 'p50 ms', 'p99 ms', 'max ms', 'messages/s'], rows),
    ].join('\n');
  } finally {
    await local.cleanup();
    await a.cleanup();
    await b.cleanup();
    nats.stop();
  }
}
