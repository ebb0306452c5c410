// The broker beside the references issue 12 names, in one harness: room,
// Redis (XADD + XREAD BLOCK, append-only file on, as room persists every
// message) and two plain Node brokers (bench/ref-broker.ts: one write per
// event, and one write per event-loop turn). Each system gets the same load
// from the same code:
//
//   npm run bench -- broker [--rounds 3] [--messages 10000] [--publishers 10] [--subscribers 10]
//                           [--rate 1000] [--seconds 5] [--size 200] [--users 20] [--crowd 1000]
//                           [--only room,requests,crowded,keyed,redis,node,batched]
//   ROOM_BENCH_BEFORE=/path/to/other/dist/cli.js npm run bench -- broker --only room,before,…
//
// room's publishers send over its publish channel (GET /channel upgraded to
// JSON lines, server/channel.ts), as a Redis client sends over its
// connection; `requests` is the same broker sent a POST /messages per
// message (keep-alive); `before` is sent as `room` is (a build from before
// the channel, stop 12, cannot be measured so).
//
// Per round, every system runs (a) as fast as it goes: --messages messages of
// --size bytes from --publishers connections (one message in flight each),
// timed from the first send until the last of --subscribers subscribers (one
// process of their own, bench/subscribers.ts) has the last message; broker CPU
// per message is the broker's CPU time over (a), all its threads, from
// /proc/<pid>/task/*/schedstat (nanoseconds), with the share of it spent in
// the kernel (/proc/<pid>/stat's stime against utime: the system calls) and
// its write system calls per message (/proc/<pid>/io); and (b) paced at --rate msg/s
// for --seconds, send→receive p50/p99 over all deliveries. The order of the
// systems rotates each round, so load that comes and goes hits them alike.
// --users pads the room to that many members; `crowded` is this build's
// broker on a room of --crowd members, beside `room` (publish cost must not
// grow with the number of members: the report gives the ratio); `keyed` is
// `room` with every line carrying an idempotency key, as `room send` and the
// live clients key their sends. When redis-server is not installed, the benchmark says so and
// runs the rest. With ROOM_BENCH_BEFORE (another build's dist/cli.js), the
// system `before` is that build's broker, measured beside this one.
// ROOM_BENCH_NODE_ARGS adds flags to room's brokers (`--perf-basic-prof` lets
// `perf record -g -p <pid>` name JavaScript frames).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { dirname, join } from 'node:path';
import { BenchDir, NODE, ROOT, fmt, httpJson, load, machine, median, sleep, wallMs } from './lib.ts';
import { Resp } from './resp.ts';
import type { Protocol } from './subscribers.ts';

export const name = 'broker';
export const summary =
  'broker beside Redis XADD+XREAD and plain Node brokers: msgs/s, broker CPU/msg, paced p50/p99 (issue 12)';

interface Options {
  rounds: number;
  messages: number;
  publishers: number;
  subscribers: number;
  rate: number;
  seconds: number;
  size: number;
  users: number;
  crowd: number;
  only: string[];
}

const SYSTEMS = ['room', 'requests', 'crowded', 'keyed', 'before', 'redis', 'node', 'batched'] as const;
type SystemName = (typeof SYSTEMS)[number];

const LABELS: Record<SystemName, string> = {
  room: 'room (publish channel)',
  requests: 'room, a POST /messages per message',
  crowded: 'room, with --crowd members',
  keyed: 'room, each send with an idempotency key',
  before: 'room, the build in ROOM_BENCH_BEFORE',
  redis: 'Redis XADD + XREAD (appendonly, fsync everysec)',
  node: 'plain Node broker (a write per event)',
  batched: 'plain Node broker (a write per loop turn)',
};

interface Publisher {
  send(content: string): Promise<void>;
  close(): void;
}

interface System {
  readonly name: SystemName;
  readonly pid: number;
  readonly socket: string;
  readonly protocol: Protocol;
  /** What the subscriber process is given: a name each, and a token for room. */
  readonly subscribers: Array<{ user: string; token?: string }>;
  readonly publishers: Publisher[];
  stop(): Promise<void>;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    rounds: 3,
    messages: 10_000,
    publishers: 10,
    subscribers: 10,
    rate: 1000,
    seconds: 5,
    size: 200,
    users: 20,
    crowd: 1000,
    only: SYSTEMS.filter((s) => s !== 'before' && s !== 'crowded' && s !== 'keyed'),
  };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!.replace(/^--/, '');
    const value = argv[++i];
    if (value === undefined) throw new Error(`--${key} needs a value`);
    if (key === 'only') {
      const names = value.split(',');
      for (const n of names) if (!(SYSTEMS as readonly string[]).includes(n)) throw new Error(`unknown system ${n}`);
      options.only = names;
    } else if (Object.hasOwn(options, key) && key !== 'only') {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key} needs a positive number`);
      (options as unknown as Record<string, number>)[key] = n;
    } else {
      throw new Error(`unknown option --${key}`);
    }
  }
  return options;
}

/** CPU time of every thread of a process, in ms (nanosecond counters, unlike /proc/<pid>/stat's 10 ms ticks). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

/**
 * The share of a process's CPU time spent in the kernel (system calls: the
 * socket and file writes, waking readers), from /proc/<pid>/stat's utime and
 * stime (clock ticks, 10 ms: enough over a run of seconds).
 */
function cpuTicks(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/** How many write system calls (write, writev, …) a process has made: `syscw` of /proc/<pid>/io. */
function writeCalls(pid: number): number {
  return Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? Number.NaN);
}

/** Waits for a line on a child's stdout that satisfies `ready`. */
function waitForLine(child: ChildProcess, ready: (line: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.split('\n').some(ready)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${what} exited ${code}: ${stderr.trim() || buffer.trim()}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** A keep-alive HTTP client (POST /messages), one request in flight. */
function httpPublisher(socket: string, token: string | undefined): Publisher {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    async send(content) {
      const message = { type: 'message', content };
      const answer = await httpJson(socket, 'POST', '/messages', message, token, agent);
      if (answer.status !== 201) throw new Error(`send: ${answer.status} ${answer.body}`);
    },
    close: () => agent.destroy(),
  };
}

/**
 * A publish channel (GET /channel upgraded to JSON lines), one line in flight,
 * as room's own clients send; `keyed`: each line with an idempotency key.
 */
async function channelPublisher(socket: string, token: string, keyed = false): Promise<Publisher> {
  const channel = await new Promise<Socket>((resolve, reject) => {
    const headers = { connection: 'Upgrade', upgrade: 'room-channel', authorization: `Bearer ${token}` };
    const req = request({ socketPath: socket, path: '/channel', headers });
    req.on('upgrade', (_response, upgraded) => resolve(upgraded));
    req.on('response', (response) => reject(new Error(`channel: ${response.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  const waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  let buffer = '';
  const decoder = new StringDecoder('utf8');
  channel.on('error', () => {});
  channel.on('data', (chunk: Buffer) => {
    buffer += decoder.write(chunk);
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const answer = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const waiter = waiting.shift()!;
      if (answer.startsWith('{"code"')) waiter.reject(new Error(`send: ${answer}`));
      else waiter.resolve();
    }
  });
  return {
    send(content) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        const line = keyed ? { type: 'message', content, idempotency_key: randomUUID() } : { type: 'message', content };
        channel.write(`${JSON.stringify(line)}\n`);
      });
    },
    close: () => channel.destroy(),
  };
}

async function startRoom(
  dir: BenchDir,
  options: Options,
  name: 'room' | 'requests' | 'crowded' | 'keyed' | 'before',
  brokerScript?: string,
): Promise<System> {
  const roomId = `fan${name}`;
  const users = name === 'crowded' ? options.crowd : options.users;
  // ROOM_BENCH_PROFILE=<dir>: the broker writes a V8 CPU profile there when it stops (bench/profile.ts reads it).
  const profile = process.env.ROOM_BENCH_PROFILE;
  const nodeArgs: string[] =
    profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`, '--cpu-prof-interval=100'];
  // ROOM_BENCH_NODE_ARGS: more flags for room's brokers (e.g. `--perf-basic-prof`, for `perf record -g -p <pid>`).
  nodeArgs.push(...(process.env.ROOM_BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''));
  await dir.startBroker(roomId, 120_000, brokerScript, nodeArgs);
  const socket = dir.socket(roomId);
  const joinUser = async (user: string) => {
    const answer = await httpJson(socket, 'POST', '/join', { username: user });
    if (answer.status !== 201) throw new Error(`join ${user}: ${answer.status} ${answer.body}`);
    return (JSON.parse(answer.body) as { token: string }).token;
  };
  const subscribers: Array<{ user: string; token: string }> = [];
  for (let i = 0; i < options.subscribers; i++) subscribers.push({ user: `sub${i}`, token: await joinUser(`sub${i}`) });
  const publishers: Publisher[] = [];
  for (let i = 0; i < options.publishers; i++) {
    const token = await joinUser(`pub${i}`);
    publishers.push(
      name === 'requests' ? httpPublisher(socket, token) : await channelPublisher(socket, token, name === 'keyed'),
    );
  }
  for (let i = options.subscribers + options.publishers; i < users; i++) await joinUser(`member${i}`);
  const pid = dir.brokerPid(roomId);
  return {
    name,
    pid,
    socket,
    protocol: 'room',
    subscribers,
    publishers,
    stop: async () => {},
  };
}

async function startReference(dir: BenchDir, options: Options, batched: boolean): Promise<System> {
  const tag = batched ? 'batched' : 'node';
  const socket = dir.file(`${tag}.sock`);
  const child = spawn(
    NODE,
    [join(ROOT, 'bench', 'ref-broker.ts'), socket, dir.file(`${tag}.log`), ...(batched ? ['--batch'] : [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await waitForLine(child, (line) => line === 'listening', `the ${tag} broker`);
  return {
    name: batched ? 'batched' : 'node',
    pid: child.pid!,
    socket,
    protocol: 'sse',
    subscribers: Array.from({ length: options.subscribers }, (_, i) => ({ user: `sub${i}` })),
    publishers: Array.from({ length: options.publishers }, () => httpPublisher(socket, undefined)),
    stop: () => stopChild(child),
  };
}

function redisServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

async function startRedis(dir: BenchDir, options: Options, binary: string): Promise<System> {
  const socket = dir.file('redis.sock');
  const child = spawn(
    binary,
    [
      '--port',
      '0',
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
      '--dir',
      dir.path,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForLine(child, (line) => /ready to accept connections/i.test(line), 'redis-server');
  while (!existsSync(socket)) await sleep(5);
  const publishers: Publisher[] = [];
  for (let i = 0; i < options.publishers; i++) {
    const client = await Resp.open(socket);
    publishers.push({
      async send(content) {
        await client.command('XADD', 'room', '*', 'c', content);
      },
      close: () => client.close(),
    });
  }
  return {
    name: 'redis',
    pid: child.pid!,
    socket,
    protocol: 'redis',
    subscribers: Array.from({ length: options.subscribers }, (_, i) => ({ user: `sub${i}` })),
    publishers,
    stop: () => stopChild(child),
  };
}

interface SubscriberResult {
  readonly complete: boolean;
  /** Streams the broker cut, each resumed with Last-Event-ID (room). */
  readonly cut: number;
  readonly dropped: string[];
  readonly outOfOrder: number;
  readonly lastDelivery: number;
  readonly p50: number;
  readonly p99: number;
}

/** Starts the subscriber process and resolves once every subscriber is live. */
async function subscribe(system: System, marker: string, expected: number) {
  const child = spawn(
    NODE,
    [join(ROOT, 'bench', 'subscribers.ts'), system.protocol, system.socket, marker, String(expected), '180000'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stdin!.end(JSON.stringify(system.subscribers));
  const lines: string[] = [];
  let wake: () => void = () => {};
  let stderr = '';
  let buffer = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    wake();
  });
  child.on('exit', () => wake());
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error(`the subscribers exited ${child.exitCode}: ${stderr.trim()}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    return lines.shift()!;
  };
  const ready = await nextLine();
  if (ready !== 'ready') throw new Error(`the subscribers said ${ready}`);
  return {
    result: async () => JSON.parse(await nextLine()) as SubscriberResult,
    stop: () => stopChild(child),
  };
}

const content = (marker: string, index: number, size: number): string => {
  const head = `${marker} ${index} ${wallMs()} `;
  return head + 'x'.repeat(Math.max(0, size - head.length));
};

interface Run {
  readonly rate: number;
  readonly cpuUsPerMessage: number;
  /** The broker's write system calls per message (throughput runs): what batching saves, whatever the load. */
  readonly writesPerMessage: number;
  /** Of the broker's CPU time over a throughput run, the share in the kernel (0–1). */
  readonly systemShare: number;
  readonly p50: number;
  readonly p99: number;
  readonly problems: string[];
}

function problemsOf(result: SubscriberResult): string[] {
  return [
    ...result.dropped,
    ...(result.complete ? [] : ['incomplete']),
    ...(result.outOfOrder > 0 ? [`${result.outOfOrder} out of order`] : []),
    ...(result.cut > 0 ? [`${result.cut} streams cut (a reader too slow), resumed`] : []),
  ];
}

async function throughputRun(system: System, options: Options, marker: string): Promise<Run> {
  const subs = await subscribe(system, marker, options.messages);
  try {
    const cpu0 = cpuMs(system.pid);
    const ticks0 = cpuTicks(system.pid);
    const writes0 = writeCalls(system.pid);
    const t0 = wallMs();
    let next = 0;
    await Promise.all(
      system.publishers.map(async (publisher) => {
        while (next < options.messages) await publisher.send(content(marker, next++, options.size));
      }),
    );
    const result = await subs.result();
    const cpu = cpuMs(system.pid) - cpu0;
    const ticks = cpuTicks(system.pid);
    const user = ticks.user - ticks0.user;
    const kernel = ticks.system - ticks0.system;
    return {
      rate: options.messages / ((result.lastDelivery - t0) / 1000),
      cpuUsPerMessage: (cpu * 1000) / options.messages,
      writesPerMessage: (writeCalls(system.pid) - writes0) / options.messages,
      systemShare: kernel / Math.max(1, user + kernel),
      p50: result.p50,
      p99: result.p99,
      problems: problemsOf(result),
    };
  } finally {
    await subs.stop();
  }
}

async function pacedRun(system: System, options: Options, marker: string): Promise<Run> {
  const total = Math.round(options.rate * options.seconds);
  const subs = await subscribe(system, marker, total);
  try {
    const cpu0 = cpuMs(system.pid);
    const pending: Array<Promise<void>> = [];
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * options.rate) + 1);
      while (sent < due) {
        const publisher = system.publishers[sent % system.publishers.length]!;
        pending.push(publisher.send(content(marker, sent++, options.size)));
      }
      await sleep(1);
    }
    await Promise.all(pending);
    const elapsed = (performance.now() - t0) / 1000;
    const result = await subs.result();
    return {
      rate: total / elapsed,
      cpuUsPerMessage: ((cpuMs(system.pid) - cpu0) * 1000) / total,
      writesPerMessage: Number.NaN,
      systemShare: Number.NaN,
      p50: result.p50,
      p99: result.p99,
      problems: problemsOf(result),
    };
  } finally {
    await subs.stop();
  }
}

/** Publish cost with --crowd members against --users members, when both were measured. */
function crowdLine(throughput: Map<SystemName, Run[]>, options: Options): string[] {
  const room = throughput.get('room');
  const crowded = throughput.get('crowded');
  if (room === undefined || crowded === undefined) return [];
  const cpu = (runs: Run[]) => median(runs.map((r) => r.cpuUsPerMessage));
  const rate = (runs: Run[]) => median(runs.map((r) => r.rate));
  return [
    '',
    `Publish cost with ${options.crowd.toLocaleString('en')} members against ${options.users.toLocaleString('en')}: ` +
      `broker CPU ${fmt(cpu(crowded), 1)} against ${fmt(cpu(room), 1)} µs/msg (${fmt(cpu(crowded) / cpu(room), 2)}×), ` +
      `throughput ${fmt(rate(crowded) / rate(room), 2)}×.`,
  ];
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = parseOptions(argv);
  const dir = new BenchDir();
  const systems: System[] = [];
  const notes: string[] = [];
  try {
    for (const which of options.only as SystemName[]) {
      if (which === 'room' || which === 'requests' || which === 'crowded' || which === 'keyed')
        systems.push(await startRoom(dir, options, which));
      if (which === 'before') {
        const before = process.env.ROOM_BENCH_BEFORE;
        if (before === undefined) notes.push('ROOM_BENCH_BEFORE is not set: the `before` build was not measured.');
        else systems.push(await startRoom(dir, options, 'before', join(dirname(before), 'broker.js')));
      }
      if (which === 'node' || which === 'batched')
        systems.push(await startReference(dir, options, which === 'batched'));
      if (which === 'redis') {
        const binary = redisServer();
        if (binary === undefined)
          notes.push('redis-server is not installed (Debian: apt-get install redis-server): Redis was not measured.');
        else systems.push(await startRedis(dir, options, binary));
      }
    }
    const loadBefore = load();
    const started = Date.now();
    const throughput = new Map<SystemName, Run[]>(systems.map((s) => [s.name, []]));
    const paced = new Map<SystemName, Run[]>(systems.map((s) => [s.name, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = systems.map((_, i) => systems[(i + round) % systems.length]!);
      for (const system of order) {
        console.error(`round ${round + 1}/${options.rounds}: ${system.name}`);
        throughput.get(system.name)!.push(await throughputRun(system, options, `t${round}-${system.name}`));
        paced.get(system.name)!.push(await pacedRun(system, options, `p${round}-${system.name}`));
      }
    }
    const loadAfter = load();
    const med = (runs: Run[], pick: (r: Run) => number) => median(runs.map(pick));
    const base = (name: SystemName, runs: Map<SystemName, Run[]>) =>
      runs.has(name) ? med(runs.get(name)!, (r) => r.rate) : Number.NaN;
    const redisRate = base('redis', throughput);
    const batchedRate = base('batched', throughput);
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    const header = [
      'system',
      'msgs/s, median (min–max)',
      '× Redis',
      '× batched Node',
      'broker CPU µs/msg',
      'of it in the kernel',
      'broker writes/msg',
      `paced ${options.rate.toLocaleString('en')} msg/s: p50 / p99 ms`,
      'drops, reordering',
    ];
    const rows = systems.map((system) => {
      const t = throughput.get(system.name)!;
      const p = paced.get(system.name)!;
      const rate = med(t, (r) => r.rate);
      const rates = t.map((r) => r.rate);
      const problems = [...t, ...p].flatMap((r) => r.problems);
      return line([
        LABELS[system.name],
        `${fmt(rate, 0)} (${fmt(Math.min(...rates), 0)}–${fmt(Math.max(...rates), 0)})`,
        Number.isNaN(redisRate) ? '–' : `${fmt(rate / redisRate, 2)}×`,
        Number.isNaN(batchedRate) ? '–' : `${fmt(rate / batchedRate, 2)}×`,
        fmt(
          med(t, (r) => r.cpuUsPerMessage),
          1,
        ),
        `${fmt(100 * med(t, (r) => r.systemShare), 0)}%`,
        fmt(
          med(t, (r) => r.writesPerMessage),
          2,
        ),
        `${fmt(
          med(p, (r) => r.p50),
          2,
        )} / ${fmt(
          med(p, (r) => r.p99),
          2,
        )}`,
        problems.length === 0 ? 'none' : [...new Set(problems)].join('; '),
      ]);
    });
    return [
      `### Fan-out: ${options.publishers} publishers → ${options.subscribers} subscribers, ${options.size}-byte messages (${options.rounds} rounds, ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${loadAfter}. Room members: ${Math.max(options.users, options.subscribers + options.publishers)}${systems.some((s) => s.name === 'crowded') ? ` (crowded: ${Math.max(options.crowd, options.subscribers + options.publishers)})` : ''}. Throughput runs: ${options.messages.toLocaleString('en')} messages each; paced runs: ${options.seconds} s each. Medians over rounds; each round rotates the order of the systems.`,
      ...notes.map((n) => `\n${n}`),
      '',
      line(header),
      line(header.map(() => '---')),
      ...rows,
      ...crowdLine(throughput, options),
    ].join('\n');
  } finally {
    for (const system of systems) {
      for (const publisher of system.publishers) publisher.close();
      await system.stop();
    }
    await dir.cleanup();
  }
}
