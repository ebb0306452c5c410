// The terminal UI under load, in a real terminal (tmux, 100x30): its memory
// (RSS of the UI process, from /proc/<pid>/status) idle, with `--events`
// messages loaded, and during a flood of `--rate` messages a second for
// `--seconds`; and keystroke echo latency during the flood: a letter is
// typed (tmux send-keys) and the pane is read (capture-pane, every ~2 ms)
// until the letter shows in the input box, `--keys` times.
//
//   npm run bench -- tui-flood [--events 20000] [--rate 2000] [--seconds 8] [--keys 30]
import { execFile } from 'node:child_process';
import { Agent } from 'node:http';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { BenchDir, httpJson, numberOptions, ROOM_BIN, sleep } from './lib.ts';

const exec = promisify(execFile);

export const name = 'tui-flood';
export const summary = 'TUI RSS with many events loaded, keystroke echo latency under a message flood';

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { events: 20_000, rate: 2000, seconds: 8, keys: 30 });
  const dir = new BenchDir();
  const tmuxSocket = dir.file('tmux');
  const tmux = (...args: string[]) =>
    exec('tmux', ['-S', tmuxSocket, '-f', '/dev/null', ...args], { timeout: 10_000 }).then((r) => r.stdout);
  try {
    const carl = dir.join('demo', 'carl');
    const socket = dir.socket('demo');
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const post = (content: string) => httpJson(socket, 'POST', '/messages', { type: 'message', content }, carl, agent);
    // Preload: `events` messages, 8 in flight.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < options.events) await post(`preloaded message ${++next}, long enough to wrap on a narrow pane`);
      }),
    );
    const env = Object.entries({ ...dir.env, ROOM_TOKEN: undefined })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    await tmux(
      'new-session',
      '-d',
      '-s',
      'b',
      '-x',
      '100',
      '-y',
      '30',
      'env',
      ...env,
      ROOM_BIN,
      'demo',
      'alice',
      '-n',
      String(options.events),
    );
    const pid = Number((await tmux('display-message', '-p', '-t', 'b', '#{pane_pid}')).trim());
    const screen = () => tmux('capture-pane', '-p', '-t', 'b');
    const openedAt = performance.now();
    while (!(await screen()).includes(`preloaded message ${options.events},`)) {
      if (performance.now() - openedAt > 120_000)
        throw new Error(`the UI did not show the history:\n${await screen()}`);
      await sleep(50);
    }
    const openMs = performance.now() - openedAt;
    await sleep(1000);
    const loaded = rssMb(pid);

    // The flood, paced, while letters are typed and their echo timed.
    const total = options.rate * options.seconds;
    let sent = 0;
    const start = performance.now();
    const flood = (async () => {
      const inflight = new Set<Promise<unknown>>();
      while (sent < total) {
        const due = Math.floor(((performance.now() - start) / 1000) * options.rate);
        while (sent < Math.min(due, total) && inflight.size < 64) {
          const p: Promise<unknown> = post(`flood ${++sent}`).finally(() => inflight.delete(p));
          inflight.add(p);
        }
        await (inflight.size >= 64 ? Promise.race(inflight) : sleep(2));
      }
      await Promise.all(inflight);
    })();
    const echoes: number[] = [];
    let peak = loaded;
    let typed = '';
    for (let i = 0; i < options.keys && sent < total; i++) {
      const letter = String.fromCharCode(97 + (i % 26));
      typed += letter;
      const t0 = performance.now();
      await tmux('send-keys', '-t', 'b', '-l', letter);
      for (;;) {
        if ((await screen()).includes(`│ ${typed} `)) break;
        if (performance.now() - t0 > 10_000) throw new Error(`no echo of ${typed}:\n${await screen()}`);
      }
      echoes.push(performance.now() - t0);
      peak = Math.max(peak, rssMb(pid));
      await sleep(100);
    }
    await flood;
    const floodSeconds = (performance.now() - start) / 1000;
    peak = Math.max(peak, rssMb(pid));
    await sleep(2000);
    const after = rssMb(pid);
    await tmux('send-keys', '-t', 'b', 'C-c');
    agent.destroy();
    echoes.sort((a, b) => a - b);
    return [
      `### TUI under a flood (${name})`,
      '',
      `UI in tmux 100x30 opened with \`-n ${options.events}\` on ${options.events} messages (${(openMs / 1000).toFixed(1)} s until the newest showed); ` +
        `${total} messages posted at a target ${options.rate}/s (achieved ${(sent / floodSeconds).toFixed(0)}/s over ${floodSeconds.toFixed(1)} s), ` +
        `${echoes.length} letters typed during it.`,
      '',
      '| RSS loaded MB | RSS peak in flood MB | RSS 2 s after MB | echo p50 ms | echo p90 ms | echo max ms |',
      '| --- | --- | --- | --- | --- | --- |',
      `| ${loaded.toFixed(0)} | ${peak.toFixed(0)} | ${after.toFixed(0)} | ${pct(echoes, 50).toFixed(0)} | ${pct(echoes, 90).toFixed(0)} | ${echoes.at(-1)!.toFixed(0)} |`,
    ].join('\n');
  } finally {
    await tmux('kill-server').catch(() => {});
    await dir.cleanup();
  }
}
