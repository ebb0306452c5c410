// The broker under load: a broker on a temporary socket, 10 SSE subscribers
// (another process: bench/sse-subscribers.ts) and a load generator posting
// messages (this process, node:http keep-alive). Issue 2 asks for the
// figures only; a later issue sets targets.
//
//   npm run bench -- broker [--runs 3] [--messages 10000] [--connections 8] [--rate 1000] [--seconds 8] [--subscribers 10]
//
// (a) Throughput: --messages messages, at most --connections in flight,
//     from the first send until the last subscriber has the last message.
//     Every message is persisted (the broker acks after writing the line)
//     and fanned out to every subscriber.
// (b) Latency at a fixed rate: --rate messages per second for --seconds,
//     each sent on schedule; send→receive p50/p99 over all deliveries (the
//     send time travels in the content, on the wall clock both processes share).
// The broker's CPU time per message comes from /proc/<pid>/stat.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import {
  BenchDir,
  NODE,
  ROOT,
  fmt,
  httpJson,
  load,
  machine,
  median,
  numberOptions,
  percentile,
  sleep,
  wallMs,
} from './lib.ts';

export const name = 'broker';
export const summary = 'broker: msgs/s fanned out to 10 SSE subscribers; send→receive p50/p99 at 1,000 msg/s';

interface SubscriberResult {
  readonly deliveries: number;
  readonly complete: boolean;
  readonly dropped: string[];
  readonly outOfOrder: number;
  readonly lastDelivery: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Starts the subscriber process and resolves once every stream is live. */
async function subscribe(
  socket: string,
  tokens: Array<{ user: string; token: string }>,
  marker: string,
  expected: number,
  timeoutMs: number,
) {
  const child = spawn(
    NODE,
    [join(ROOT, 'bench', 'sse-subscribers.ts'), socket, marker, String(expected), String(timeoutMs)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stdin.end(JSON.stringify(tokens));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      for (const wake of waiters.splice(0)) wake();
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      resolve();
      for (const wake of waiters.splice(0)) wake();
    }),
  );
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error(`the subscribers exited ${child.exitCode}: ${stderr.trim()}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return lines.shift()!;
  };
  const ready = await nextLine();
  if (ready !== 'ready') throw new Error(`the subscribers said ${ready}`);
  return {
    result: async () => JSON.parse(await nextLine()) as SubscriberResult,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms (USER_HZ 100)
}

interface Sender {
  send(index: number): Promise<number>;
}

function sender(socket: string, token: string, marker: string, agent: Agent): Sender {
  return {
    async send(index) {
      const started = performance.now();
      const answer = await httpJson(
        socket,
        'POST',
        '/messages',
        { type: 'message', content: `${marker} ${index} ${wallMs()}` },
        token,
        agent,
      );
      if (answer.status !== 201) throw new Error(`send ${index}: ${answer.status} ${answer.body}`);
      return performance.now() - started;
    },
  };
}

interface RunResult {
  readonly rate: number;
  readonly ackP50: number;
  readonly ackP99: number;
  readonly subs: SubscriberResult;
  readonly cpuUsPerMessage: number;
}

async function throughputRun(ctx: Context, run: number): Promise<RunResult> {
  const marker = `tp${run}-${process.pid}`;
  const subs = await subscribe(ctx.socket, ctx.tokens, marker, ctx.options.messages, 120_000);
  try {
    const s = sender(ctx.socket, ctx.loaderToken, marker, ctx.agent);
    const acks: number[] = [];
    const cpu0 = cpuMs(ctx.brokerPid);
    const t0 = wallMs();
    let next = 0;
    const worker = async () => {
      while (next < ctx.options.messages) acks.push(await s.send(next++));
    };
    await Promise.all(Array.from({ length: ctx.options.connections }, worker));
    const result = await subs.result();
    const cpu = cpuMs(ctx.brokerPid) - cpu0;
    acks.sort((a, b) => a - b);
    return {
      rate: ctx.options.messages / ((result.lastDelivery - t0) / 1000),
      ackP50: percentile(acks, 50),
      ackP99: percentile(acks, 99),
      subs: result,
      cpuUsPerMessage: (cpu * 1000) / ctx.options.messages,
    };
  } finally {
    await subs.stop();
  }
}

async function pacedRun(ctx: Context, run: number): Promise<RunResult> {
  const marker = `pc${run}-${process.pid}`;
  const total = Math.round(ctx.options.rate * ctx.options.seconds);
  const subs = await subscribe(ctx.socket, ctx.tokens, marker, total, 120_000);
  try {
    const s = sender(ctx.socket, ctx.loaderToken, marker, ctx.agent);
    const acks: number[] = [];
    const pending: Array<Promise<void>> = [];
    const cpu0 = cpuMs(ctx.brokerPid);
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * ctx.options.rate) + 1);
      while (sent < due) pending.push(s.send(sent++).then((ms) => void acks.push(ms)));
      await sleep(1);
    }
    await Promise.all(pending);
    const elapsed = (performance.now() - t0) / 1000;
    const result = await subs.result();
    const cpu = cpuMs(ctx.brokerPid) - cpu0;
    acks.sort((a, b) => a - b);
    return {
      rate: total / elapsed,
      ackP50: percentile(acks, 50),
      ackP99: percentile(acks, 99),
      subs: result,
      cpuUsPerMessage: (cpu * 1000) / total,
    };
  } finally {
    await subs.stop();
  }
}

interface Context {
  readonly options: {
    runs: number;
    messages: number;
    connections: number;
    rate: number;
    seconds: number;
    subscribers: number;
  };
  readonly socket: string;
  readonly tokens: Array<{ user: string; token: string }>;
  readonly loaderToken: string;
  readonly brokerPid: number;
  readonly agent: Agent;
}

function summarize(label: string, runs: RunResult[]): string[] {
  const m = (pick: (r: RunResult) => number) => fmt(median(runs.map(pick)), 1);
  const range = (pick: (r: RunResult) => number) =>
    `${fmt(Math.min(...runs.map(pick)), 0)}–${fmt(Math.max(...runs.map(pick)), 0)}`;
  const problems = runs.flatMap((r) => [
    ...r.subs.dropped,
    ...(r.subs.complete ? [] : ['incomplete']),
    ...(r.subs.outOfOrder > 0 ? [`${r.subs.outOfOrder} out of order`] : []),
  ]);
  return [
    label,
    `${m((r) => r.rate)} (${range((r) => r.rate)})`,
    `${m((r) => r.ackP50)} / ${m((r) => r.ackP99)}`,
    `${m((r) => r.subs.p50)} / ${m((r) => r.subs.p99)}`,
    m((r) => r.subs.max),
    m((r) => r.cpuUsPerMessage),
    problems.length === 0 ? 'none' : problems.join('; '),
  ];
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, {
    runs: 3,
    messages: 10_000,
    connections: 8,
    rate: 1000,
    seconds: 8,
    subscribers: 10,
  });
  const dir = new BenchDir();
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  try {
    const loaderToken = dir.join('bt', 'loader'); // starts the broker
    const socket = dir.socket('bt');
    const tokens: Array<{ user: string; token: string }> = [];
    for (let i = 0; i < options.subscribers; i++) {
      const user = `sub${i}`;
      const answer = await httpJson(socket, 'POST', '/join', { username: user });
      tokens.push({ user, token: (JSON.parse(answer.body) as { token: string }).token });
    }
    const brokerPid = dir.brokerPids()[0]!;
    const ctx: Context = { options, socket, tokens, loaderToken, brokerPid, agent };
    const loadBefore = load();
    const started = Date.now();
    const throughput: RunResult[] = [];
    const paced: RunResult[] = [];
    for (let run = 0; run < options.runs; run++) {
      throughput.push(await throughputRun(ctx, run));
      paced.push(await pacedRun(ctx, run));
    }
    const header = [
      'run',
      'msgs/s, median (min–max)',
      'ack p50 / p99 ms',
      'send→receive p50 / p99 ms',
      'max ms',
      'broker CPU µs/msg',
      'drops, reordering',
    ];
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [
      `### Broker throughput (${options.runs} runs of each, ${options.subscribers} SSE subscribers in another process; ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${load()}.`,
      '',
      line(header),
      line(header.map(() => '---')),
      line(
        summarize(
          `(a) as fast as it goes: ${options.messages.toLocaleString('en')} msgs, ${options.connections} connections`,
          throughput,
        ),
      ),
      line(summarize(`(b) paced at ${options.rate.toLocaleString('en')} msg/s for ${options.seconds} s`, paced)),
      '',
      'msgs/s: persisted messages per second, from the first send until the last of the subscribers had the last message (a), or the rate achieved (b).',
    ].join('\n');
  } finally {
    agent.destroy();
    await dir.cleanup();
  }
}
