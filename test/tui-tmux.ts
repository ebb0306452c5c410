// A private tmux server for end-to-end tests of the terminal UI in a real
// terminal: one window per user, each running `sh` at a fixed size, keys
// sent with send-keys, the screen read with capture-pane. The server is
// killed when the test ends. Waits poll the screen with a deadline.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { sleep } from './helpers.ts';

const run = promisify(execFile);

export const COLUMNS = 100;
export const ROWS = 30;

export class Tmux {
  /** The server's socket, in a directory of its own (tmux -L would leave it in /tmp/tmux-<uid>). */
  readonly socket: string;
  #started = false;

  constructor(t: TestContext) {
    const dir = mkdtempSync(join(tmpdir(), 'room-tmux-'));
    this.socket = join(dir, 'tmux');
    t.after(async () => {
      await this.tmux('kill-server').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    });
  }

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], { timeout: 10_000 });
    return stdout;
  }

  /** A window running `sh` with this environment (ROOM_TOKEN never inherited). */
  async window(name: string, env: Record<string, string | undefined>): Promise<void> {
    const vars = Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const command = ['env', '-u', 'ROOM_TOKEN', ...vars, 'PS1=$ ', 'sh'];
    if (!this.#started) {
      await this.tmux(
        'new-session',
        '-d',
        '-s',
        'e2e',
        '-n',
        name,
        '-x',
        String(COLUMNS),
        '-y',
        String(ROWS),
        ...command,
      );
      this.#started = true;
    } else {
      await this.tmux('new-window', '-d', '-t', 'e2e', '-n', name, ...command);
    }
  }

  /** Types text literally (no key names). */
  type(window: string, text: string): Promise<string> {
    return this.tmux('send-keys', '-t', `e2e:${window}`, '-l', text);
  }

  /** Sends keys by name (Enter, C-c, PageUp, …). */
  keys(window: string, ...keys: string[]): Promise<string> {
    return this.tmux('send-keys', '-t', `e2e:${window}`, ...keys);
  }

  /** Types a line and presses Enter (as two writes, like a person). */
  async line(window: string, text: string): Promise<void> {
    await this.type(window, text);
    await this.keys(window, 'Enter');
  }

  screen(window: string): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', `e2e:${window}`);
  }

  /** Everything the pane holds, scrollback and screen, one string per line with trailing blanks and blank lines at the end dropped. */
  async history(window: string): Promise<string[]> {
    const lines = (await this.tmux('capture-pane', '-p', '-S', '-', '-t', `e2e:${window}`))
      .split('\n')
      .map((l) => l.trimEnd());
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return lines;
  }

  /** Resizes the window (as a terminal emulator's window being resized would). */
  resize(window: string, columns: number, rows: number): Promise<string> {
    return this.tmux('resize-window', '-t', `e2e:${window}`, '-x', String(columns), '-y', String(rows));
  }

  /** A tmux format about the window's pane (e.g. #{alternate_on}). */
  async format(window: string, format: string): Promise<string> {
    return (await this.tmux('display-message', '-p', '-t', `e2e:${window}`, format)).trim();
  }

  /** Polls the screen until `predicate` holds; returns that screen. `refresh` runs before each look. */
  async waitFor(
    window: string,
    predicate: (screen: string) => boolean | Promise<boolean>,
    what: string,
    timeoutMs = 20_000,
    refresh?: () => Promise<void>,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      await refresh?.();
      screen = await this.screen(window);
      if (await predicate(screen)) return screen;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what} in window ${window}; the screen:\n${screen}`);
  }

  /** Waits until the text appears on the window's screen. */
  waitForText(window: string, text: string | RegExp, timeoutMs?: number): Promise<string> {
    const test = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
    return this.waitFor(window, test, JSON.stringify(String(text)), timeoutMs);
  }
}

/** The pane's rows as a terminal shows them, trailing spaces dropped (one string per row). */
export function rows(screen: string): string[] {
  const lines = screen.split('\n').map((l) => l.trimEnd());
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
