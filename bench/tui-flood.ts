// The terminal UI under load, in a real terminal (tmux, 100x30): its memory
// (RSS of the UI process, from /proc/<pid>/status) with `--events` messages
// loaded, during a flood of `--rate` messages a second for `--seconds`, and
// after it; the UI's CPU during the flood; and keystroke echo latency during
// the flood: a letter is typed, `--keys` times, one every ~100 ms plus its
// echo, and timed until the UI writes a frame whose input box shows it.
// Keys are typed and the UI's output is read through one tmux control-mode
// client (`tmux -C`: commands in, `%output` lines out), as a terminal would
// see them. Polling `capture-pane` and spawning `send-keys` for each key
// started a tmux process every few milliseconds, which took the CPU the UI
// needed on a small machine and inflated the very latency it measured.
//
//   npm run bench -- tui-flood [--events 20000] [--rate 2000] [--seconds 8] [--keys 30]
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { promisify, stripVTControlCharacters } from 'node:util';
import { BenchDir, httpJson, load, numberOptions, ROOM_BIN, sleep } from './lib.ts';

const exec = promisify(execFile);

export const name = 'tui-flood';
export const summary = 'TUI RSS with many events loaded, keystroke echo latency under a message flood';

/** A field of /proc/<pid>/status in MB: VmRSS (resident), RssAnon (the process's own), RssFile (mapped files: Node's binary). */
function statusMb(pid: number, field: 'VmRSS' | 'RssAnon' | 'RssFile'): number {
  const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

const rssMb = (pid: number) => statusMb(pid, 'VmRSS');

/** CPU seconds (user + system) the process has used. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * A tmux control-mode client attached to the session: `type` sends keys to
 * the pane, `until` waits for text in what the pane's program wrote since
 * the last `reset` (escape sequences removed).
 */
class ControlClient {
  readonly #child: ChildProcessWithoutNullStreams;
  #raw = '';
  #partial = '';
  #attached = false;
  #waiter: (() => void) | undefined;

  constructor(tmuxArgs: readonly string[], session: string) {
    // ignore-size: the client must not shrink the window to its own (80x24) size.
    this.#child = spawn('tmux', [...tmuxArgs, '-C', 'attach-session', '-t', session, '-f', 'ignore-size']);
    this.#child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.#partial + chunk).split('\n');
      this.#partial = lines.pop()!;
      for (const line of lines) {
        // The server's first answer (the attach's %begin/%end, %session-changed): attached.
        if (line.startsWith('%')) this.#attached = true;
        if (!line.startsWith('%output ')) continue;
        // `%output %<pane> <value>`: bytes below space and backslash are escaped as octal \ooo.
        const value = line.slice(line.indexOf(' ', 8) + 1);
        this.#raw += value.replace(/\\([0-7]{3})/g, (_, octal: string) =>
          String.fromCharCode(Number.parseInt(octal, 8)),
        );
      }
      this.#waiter?.();
    });
  }

  type(session: string, text: string): void {
    this.#child.stdin.write(`send-keys -t ${session} -l ${text}\n`);
  }

  /** Forgets what was written so far. */
  reset(): void {
    this.#raw = '';
  }

  /** Resolves once the client is attached (its output then includes everything the pane writes). */
  attached(timeoutMs: number): Promise<void> {
    return this.#until(() => this.#attached, 'attached', timeoutMs);
  }

  /** Resolves once the text written since the last reset includes `text`. */
  until(text: string, timeoutMs: number): Promise<void> {
    return this.#until(() => stripVTControlCharacters(this.#raw).includes(text), JSON.stringify(text), timeoutMs);
  }

  async #until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`tmux control client: no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  close(): void {
    this.#child.kill();
  }
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { events: 20_000, rate: 2000, seconds: 8, keys: 30 });
  const dir = new BenchDir();
  const tmuxSocket = dir.file('tmux');
  const tmux = (...args: string[]) =>
    exec('tmux', ['-S', tmuxSocket, '-f', '/dev/null', ...args], { timeout: 10_000 }).then((r) => r.stdout);
  const loadBefore = load();
  let closeControl = () => {};
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
    // The session starts with a shell that waits, so that the control client is attached before the UI starts.
    await tmux('new-session', '-d', '-s', 'b', '-x', '100', '-y', '30', 'sleep 600');
    const control = new ControlClient(['-S', tmuxSocket, '-f', '/dev/null'], 'b');
    closeControl = () => control.close();
    await control.attached(10_000);
    await tmux('respawn-pane', '-k', '-t', 'b', 'env', ...env, ROOM_BIN, 'demo', 'alice', '-n', String(options.events));
    const pid = Number((await tmux('display-message', '-p', '-t', 'b', '#{pane_pid}')).trim());
    const openedAt = performance.now();
    await control.until(`preloaded message ${options.events},`, 120_000);
    const openMs = performance.now() - openedAt;
    await sleep(1000);
    const loaded = rssMb(pid);
    const loadedAnon = statusMb(pid, 'RssAnon');
    const loadedFile = statusMb(pid, 'RssFile');

    // The flood, paced, while letters are typed and their echo timed.
    const total = options.rate * options.seconds;
    let sent = 0;
    const cpuBefore = cpuSeconds(pid);
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
      control.reset();
      const t0 = performance.now();
      control.type('b', letter);
      await control.until(`│ ${typed} `, 10_000);
      echoes.push(performance.now() - t0);
      peak = Math.max(peak, rssMb(pid));
      await sleep(100);
    }
    await flood;
    const floodSeconds = (performance.now() - start) / 1000;
    const cpu = cpuSeconds(pid) - cpuBefore;
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
        `${echoes.length} letters typed during it; load ${loadBefore} before, ${load()} after.`,
      '',
      '| RSS loaded MB (anon + file) | RSS peak in flood MB | RSS 2 s after MB | UI CPU in flood | echo p50 ms | echo p90 ms | echo max ms |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      `| ${loaded.toFixed(0)} (${loadedAnon.toFixed(0)} + ${loadedFile.toFixed(0)}) | ${peak.toFixed(0)} | ${after.toFixed(0)} | ${((100 * cpu) / floodSeconds).toFixed(0)}% of a core | ${pct(echoes, 50).toFixed(0)} | ${pct(echoes, 90).toFixed(0)} | ${echoes.at(-1)!.toFixed(0)} |`,
    ].join('\n');
  } finally {
    closeControl();
    await tmux('kill-server').catch(() => {});
    await dir.cleanup();
  }
}
