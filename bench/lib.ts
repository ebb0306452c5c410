// Shared helpers for the benchmarks: a temporary ROOM_DIR that stops its
// brokers and removes itself, process timing, round-robin runs, percentiles
// and the machine description. Benchmarks run the real bundled CLI (dist/)
// on the pinned Node 24, as users do.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROKER_ENV, BROKER_NODE_FLAGS } from '../client/broker-start.ts';
import { isAlive, stopProcess } from '../test/helpers.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The project's pinned Node (the launcher prefers it too). */
export const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
export const ROOM_BIN = join(ROOT, 'bin', 'room');
export const CLI_JS = join(ROOT, 'dist', 'cli.js');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wall-clock milliseconds on a clock shared by every process of the machine. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- options

/** `--name value` pairs after the benchmark's name; every value is a number. */
export function numberOptions<T extends Record<string, number>>(argv: readonly string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const key = arg.slice(2);
    if (!Object.hasOwn(defaults, key))
      throw new Error(
        `unknown option ${arg}; known: ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    const value = Number(argv[++i]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${arg} needs a non-negative number`);
    out[key] = value;
  }
  return out as T;
}

// ---------------------------------------------------------------- temp rooms

const live = new Set<BenchDir>();

// A benchmark interrupted by Ctrl-C still leaves nothing behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const dir of live) dir.cleanupSync();
    process.exit(130);
  });
}

/** A fresh ROOM_DIR with its own compile cache; `cleanup` stops its brokers and removes it. */
export class BenchDir {
  readonly path: string;

  constructor(prefix = 'room-bench-') {
    this.path = mkdtempSync(join(tmpdir(), prefix));
    live.add(this);
  }

  /** The environment for CLI runs: this ROOM_DIR, a compile cache inside it, no inherited token. */
  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ROOM_DIR: this.path, XDG_CACHE_HOME: join(this.path, 'cache') };
    delete env.ROOM_TOKEN;
    delete env.NODE_OPTIONS;
    return env;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  socket(room: string): string {
    return this.file(`room-${room}.sock`);
  }

  /** `room join` (starts the broker when none runs); returns the token. */
  join(room: string, user: string): string {
    const result = run(ROOM_BIN, ['join', room, user], { env: this.env });
    return (JSON.parse(result.stdout) as { token: string }).token;
  }

  readonly #started: number[] = [];

  /**
   * Starts the room's broker directly (`node dist/broker.js <room>`, as
   * clients do) and waits until its log says it listens: unlike `room join`,
   * which gives a broker 10 s, this waits `timeoutMs` (a long history is
   * indexed first). `nodeArgs` go before the script (e.g. `--cpu-prof`).
   * Returns the milliseconds it took.
   */
  async startBroker(
    room: string,
    timeoutMs = 120_000,
    script = join(ROOT, 'dist', 'broker.js'),
    nodeArgs: readonly string[] = [],
  ): Promise<number> {
    const log = this.file(`room-${room}.log`);
    const fd = openSync(log, 'a', 0o600);
    const started = performance.now();
    // With the flags and environment clients start it with (client/broker-start.ts), so the figures are the product's.
    const child = spawn(NODE, [...BROKER_NODE_FLAGS, ...nodeArgs, script, room], {
      env: { ...BROKER_ENV, ...this.env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.#started.push(child.pid!);
    const deadline = Date.now() + timeoutMs;
    while (!readFileSync(log, 'utf8').includes(' listening on ')) {
      if (child.exitCode !== null)
        throw new Error(`the broker of ${room} exited ${child.exitCode}: ${readFileSync(log, 'utf8').trim()}`);
      if (Date.now() > deadline) throw new Error(`the broker of ${room} did not listen within ${timeoutMs / 1000} s`);
      await sleep(20);
    }
    return performance.now() - started;
  }

  /** Pids of brokers started in this directory: from their logs, and those started by startBroker. */
  brokerPids(): number[] {
    const pids: number[] = [...this.#started];
    for (const name of readdirSync(this.path)) {
      if (!name.endsWith('.log')) continue;
      for (const match of readFileSync(this.file(name), 'utf8').matchAll(/listening on .* \(pid (\d+)/g))
        pids.push(Number(match[1]));
    }
    return [...new Set(pids)];
  }

  /** The pid of the broker of `room` (from its log). */
  brokerPid(room: string): number {
    const match = /listening on .* \(pid (\d+)/.exec(readFileSync(this.file(`room-${room}.log`), 'utf8'));
    if (match === null) throw new Error(`no broker of ${room} is listening`);
    return Number(match[1]);
  }

  /** Stops the brokers (SIGTERM, then SIGKILL after 3 s) and removes the directory. */
  async cleanup(): Promise<void> {
    for (const pid of this.brokerPids()) await stopProcess(pid);
    rmSync(this.path, { recursive: true, force: true });
    live.delete(this);
  }

  cleanupSync(): void {
    for (const pid of this.brokerPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.path, { recursive: true, force: true });
    live.delete(this);
  }
}

// Process liveness and stopping are the test suite's (a detached broker is
// reaped late: a zombie counts as gone).
export { isAlive, stopProcess };

// ---------------------------------------------------------------- processes

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, ms. */
  readonly ms: number;
}

/** Runs a command to completion and times it; throws unless it exits 0 (or `expectCode`). */
export function run(
  command: string,
  args: readonly string[],
  options: SpawnSyncOptions & { expectCode?: number } = {},
): RunResult {
  const start = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000, ...options });
  const ms = performance.now() - start;
  const code = options.expectCode ?? 0;
  if (result.error !== undefined || result.status !== code) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status ?? result.signal}: ${String(result.stderr).trim() || result.error?.message}`,
    );
  }
  return { stdout: String(result.stdout), stderr: String(result.stderr), ms };
}

/** One HTTP request with a JSON body over a Unix socket (keep-alive through `agent` when given). */
export function httpJson(
  socketPath: string,
  method: string,
  path: string,
  body: unknown,
  token?: string,
  agent?: import('node:http').Agent,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { ...extraHeaders };
  if (data !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(data));
  }
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers, agent: agent ?? false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

// ---------------------------------------------------------------- statistics

export interface Stats {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly p99: number;
  readonly mean: number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: median(sorted),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    p99: percentile(sorted, 99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

export function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface Variant {
  readonly name: string;
  /** Runs once and returns the milliseconds to record. */
  readonly run: () => number;
  /** Runs before each timed run, untimed (e.g. append the events the next run reads). */
  readonly before?: () => void;
}

/**
 * Round-robin: each round runs every variant once, in a fresh random order,
 * so load that comes and goes hits every variant alike. `warmup` rounds are
 * not recorded (compile cache, page cache).
 */
export function roundRobin(variants: readonly Variant[], rounds: number, warmup = 2): Map<string, number[]> {
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = -warmup; round < rounds; round++) {
    for (const variant of shuffle(variants)) {
      variant.before?.();
      const ms = variant.run();
      if (round >= 0) samples.get(variant.name)!.push(ms);
    }
  }
  return samples;
}

/** Per-round ratios of `name` to `base` (paired samples; robust to load drifting between rounds). */
export function pairedRatios(samples: Map<string, number[]>, name: string, base: string): number[] {
  const a = samples.get(name)!;
  const b = samples.get(base)!;
  return a.map((v, i) => v / b[i]!);
}

// ---------------------------------------------------------------- reporting

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Load average over 1 minute, to report beside noisy figures. */
export function load(): string {
  return loadavg()[0]!.toFixed(2);
}

export function machine(): string {
  const cpu = cpus();
  const node = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${node} (pinned), ${new Date().toISOString().slice(0, 16)}Z, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}
