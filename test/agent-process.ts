// A `room <room> <user> --agent` child process for the agent-mode tests:
// its stdout parsed as NDJSON as it arrives, stderr kept as text, stdin
// written line by line.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { RoomDir } from './helpers.ts';
import { sleep, waitUntil } from './helpers.ts';

export interface AgentEvent {
  readonly type: string;
  readonly id: string;
  readonly user: string;
  readonly seq?: number;
  readonly content?: string;
  readonly to?: string;
  readonly cmd?: string;
  readonly params?: string[];
  readonly reply_to?: string;
}

export class AgentProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** stdout, line by line, exactly as printed. */
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #partial = '';

  constructor(dir: RoomDir, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = dir.spawn([...args, '--agent'], { env }) as ChildProcessWithoutNullStreams;
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.child.stdin.on('error', () => {}); // writing to an agent that already exited
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  static start(
    dir: RoomDir,
    room: string,
    user: string,
    options: { args?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
  ): AgentProcess {
    return new AgentProcess(dir, [room, user, ...(options.args ?? [])], options.env);
  }

  /** Every line printed, parsed (each must be one JSON object). */
  events(): AgentEvent[] {
    return this.lines.map((line) => {
      const value = JSON.parse(line) as AgentEvent;
      assert.equal(typeof value, 'object', `not an object: ${line}`);
      return value;
    });
  }

  /** The stored events printed (notices have no seq). */
  stored(): AgentEvent[] {
    return this.events().filter((e) => e.seq !== undefined);
  }

  write(...lines: string[]): void {
    for (const line of lines) this.child.stdin.write(`${line}\n`);
  }

  end(): void {
    this.child.stdin.end();
  }

  async waitFor(predicate: (events: AgentEvent[]) => boolean, what: string, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events())) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`);
      await sleep(10);
    }
  }

  async waitForStderr(pattern: RegExp, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stderr)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for stderr ${pattern}; stderr:\n${this.stderr}`);
      await sleep(10);
    }
  }

  /** Waits until its own join is printed: the session is live. */
  async live(user: string): Promise<void> {
    await this.waitFor((events) => events.some((e) => e.type === 'join' && e.user === user), `the join of ${user}`);
  }

  /** Resolves with the exit code, failing if it takes longer than `timeoutMs`. */
  async exit(timeoutMs = 8000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the agent did not exit within ${timeoutMs} ms; stderr:\n${this.stderr}`)),
        timeoutMs,
      );
    });
    try {
      const { code } = await Promise.race([this.exited, timeout]);
      return code;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The history file's lines (the room's NDJSON), exactly as written. */
export function historyLines(dir: RoomDir, room: string): string[] {
  return readFileSync(dir.file(`${room}.chat`), 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/**
 * The history once its last line is `user`'s leave: the broker writes an
 * agent's leave when it sees the agent's stream close, which may come after
 * the agent process has exited.
 */
export async function historyAfterLeave(dir: RoomDir, room: string, user: string): Promise<string[]> {
  const leave = new RegExp(`"type":"leave"[^\\n]*"user":"${user}"`);
  await waitUntil(() => leave.test(historyLines(dir, room).at(-1) ?? ''), 10_000, `${user}'s leave in the history`);
  return historyLines(dir, room);
}

/** Asserts seqs increase by exactly one: nothing lost, nothing twice. */
export function assertConsecutive(seqs: readonly number[]): void {
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, `seqs jump at ${i}: ${seqs.join(',')}`);
}
