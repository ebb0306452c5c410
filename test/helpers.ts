// Test helpers: every test gets a fresh ROOM_DIR, runs the real CLI (the
// bundled `bin/room`) as child processes against a real broker, and leaves
// nothing behind: brokers are stopped and the directory removed afterwards.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ROOM_BIN = join(ROOT, 'bin', 'room');

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

/** A fresh room directory; brokers started in it are stopped and it is removed when the test ends. */
export class RoomDir {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  static create(t: TestContext): RoomDir {
    const dir = new RoomDir(mkdtempSync(join(tmpdir(), 'room-t-')));
    t.after(() => dir.cleanup());
    return dir;
  }

  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ROOM_DIR: this.path, ROOM_HEARTBEAT_MS: '1000' };
    delete env.ROOM_TOKEN;
    return env;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  socket(room: string): string {
    return this.file(`room-${room}.sock`);
  }

  /** Runs `room <args>` to completion. */
  run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return runRoom(args, { ...options, env: { ...this.env, ...options.env } });
  }

  /** Starts `room <args>` and leaves it running (killed at cleanup if still alive). */
  spawn(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(ROOM_BIN, args, { stdio: 'pipe', ...options, env: { ...this.env, ...options.env } });
    this.#children.push(child);
    return child;
  }

  /** `room join`, returning the token. */
  async join(room: string, user: string): Promise<string> {
    const result = await this.run(['join', room, user]);
    if (result.code !== 0) throw new Error(`room join ${room} ${user} failed (${result.code}): ${result.stderr}`);
    return (JSON.parse(result.stdout) as { token: string }).token;
  }

  /** Pids of the brokers started in this directory (from their logs). */
  brokerPids(): number[] {
    const pids: number[] = [];
    for (const name of readdirSync(this.path)) {
      if (!name.endsWith('.log')) continue;
      for (const match of readFileSync(this.file(name), 'utf8').matchAll(/listening on .* \(pid (\d+)/g))
        pids.push(Number(match[1]));
    }
    return pids;
  }

  readonly #children: ChildProcess[] = [];
  readonly #beforeCleanup: Array<() => unknown> = [];

  /**
   * Runs `stop` (awaited) before the directory's processes are killed and it is
   * removed: for clients that must end first, or they may write into it again
   * (a CLI recreates a missing ROOM_DIR) after it is gone.
   */
  beforeCleanup(stop: () => unknown): void {
    this.#beforeCleanup.push(stop);
  }

  async cleanup(): Promise<void> {
    for (const stop of this.#beforeCleanup) await stop();
    for (const child of this.#children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of this.brokerPids()) await stopProcess(pid);
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Alive and not a zombie (a detached broker is reaped by init, which may take a while here). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs = 3000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(20);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(10);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runRoom(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ROOM_BIN, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A command that never reads stdin may exit before this write (EPIPE):
    // its exit status and output tell the test what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Parses NDJSON output: one JSON object per non-empty line. */
export function ndjson<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON they expect
  json<T = any>(): T;
}

/** An answer read whole. */
function resultOf(res: IncomingMessage): Promise<HttpResult> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    res.on('end', () =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) }),
    );
  });
}

/** One HTTP request over a Unix socket. */
export function http(
  socketPath: string,
  method: string,
  path: string,
  options: { token?: string; body?: string | object; contentType?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] =
      options.contentType ?? (typeof options.body === 'string' ? 'text/plain' : 'application/json');
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest({ socketPath, method, path, headers, agent: false }, (res) => {
      answered = true;
      void resultOf(res).then(resolve);
    });
    // The broker may answer (e.g. 413) and close before a large body is fully sent.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!answered && !(error.code === 'EPIPE' || error.code === 'ECONNRESET')) reject(error);
      else if (!answered) setTimeout(() => answered || reject(error), 1000);
    });
    req.end(body);
  });
}

/**
 * POSTs each body to /messages as plain text, all pipelined on one connection
 * and written with one write, so the broker reads them in one event-loop turn
 * (one group commit: server/room.ts). Resolves with the answers, in order.
 */
export function pipelinedPosts(
  socketPath: string,
  token: string,
  contents: readonly string[],
): Promise<Array<{ status: number; body: string }>> {
  return pipelinedRequests(
    socketPath,
    contents.map((content) => rawRequest('POST', '/messages', token, content)),
  );
}

/** One HTTP/1.1 request as bytes (a text/plain body when given), for pipelinedRequests. */
export function rawRequest(
  method: string,
  path: string,
  token: string,
  content?: string,
  headers: Record<string, string> = {},
): Buffer {
  const body = Buffer.from(content ?? '');
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: room\r\nAuthorization: Bearer ${token}\r\n` +
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    (content === undefined ? '' : `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n`);
  return Buffer.concat([Buffer.from(`${head}\r\n`), body]);
}

/** Writes the requests on one connection in one write; resolves with the answers, in order. */
export function pipelinedRequests(
  socketPath: string,
  requests: readonly Buffer[],
): Promise<Array<{ status: number; body: string }>> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let received = Buffer.alloc(0);
    const answers: Array<{ status: number; body: string }> = [];
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        const headEnd = received.indexOf('\r\n\r\n');
        if (headEnd === -1) break;
        const head = received.subarray(0, headEnd).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (received.length < headEnd + 4 + length) break;
        answers.push({
          status: Number(head.split(' ')[1]),
          body: received.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8'),
        });
        received = received.subarray(headEnd + 4 + length);
      }
      if (answers.length === requests.length) {
        socket.destroy();
        resolve(answers);
      }
    });
    socket.on('close', () => {
      if (answers.length < requests.length) reject(new Error(`the connection closed after ${answers.length} answers`));
    });
    socket.write(Buffer.concat(requests));
  });
}

export interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/** An SSE stream read with a real HTTP connection; collect messages, wait for conditions, close. */
export class SseReader {
  readonly messages: SseMessage[] = [];
  status = 0;
  ended = false;
  readonly #request: ReturnType<typeof httpRequest>;
  #buffer = '';

  constructor(socketPath: string, path: string, token: string, headers: Record<string, string> = {}) {
    this.#request = httpRequest(
      { socketPath, path, method: 'GET', agent: false, headers: { authorization: `Bearer ${token}`, ...headers } },
      (res) => {
        this.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.#feed(chunk));
        res.on('end', () => (this.ended = true));
        res.on('error', () => (this.ended = true));
      },
    );
    this.#request.on('error', () => (this.ended = true));
    this.#request.end();
  }

  #feed(chunk: string): void {
    this.#buffer += chunk;
    for (let end = this.#buffer.indexOf('\n\n'); end !== -1; end = this.#buffer.indexOf('\n\n')) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const message: { id?: string; event?: string; data?: string } = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || line === '') continue;
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`;
        else if (field === 'id' || field === 'event') message[field] = value;
      }
      if (message.data !== undefined) this.messages.push(message as SseMessage);
    }
  }

  /** The event payloads received (not `close` messages). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever events they expect
  events<T = any>(): T[] {
    return this.messages.filter((m) => m.event === undefined).map((m) => JSON.parse(m.data) as T);
  }

  async waitFor(predicate: (reader: SseReader) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for SSE condition; got ${JSON.stringify(this.messages.map((m) => m.data))}`);
      await sleep(10);
    }
  }

  close(): void {
    this.#request.destroy();
  }
}

/** Polls until `predicate` holds, or throws after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A prefix of `id` at least `length` characters long that is not only digits
 * (a position of only digits is a seq: README "Positions"), lengthened until
 * it has a letter.
 */
export function idPrefix(id: string, length: number): string {
  let end = length;
  while (end < id.length && /^\d+$/.test(id.slice(0, end))) end++;
  return id.slice(0, end);
}

/**
 * A publish channel (GET /channel upgraded to JSON lines: server/channel.ts)
 * read as it arrives: send lines, wait for answers, see the broker end it.
 */
export class ChannelClient {
  readonly answers: string[] = [];
  ended = false;
  readonly #socket: import('node:net').Socket;
  /** Decodes across reads: a character may arrive split between two. */
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';

  private constructor(socket: import('node:net').Socket, head: Buffer) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#feed(chunk));
    socket.on('error', () => {});
    socket.on('close', () => (this.ended = true));
    if (head.length > 0) this.#feed(head);
  }

  /** Asks for the channel: the client once the broker switched (101), or the HTTP answer it gave instead. */
  static open(
    socketPath: string,
    token: string | undefined,
    headers: Record<string, string> = { connection: 'Upgrade', upgrade: 'room-channel' },
    path = '/channel',
  ): Promise<ChannelClient | HttpResult> {
    const all = token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` };
    return new Promise((resolve, reject) => {
      const req = httpRequest({ socketPath, path, headers: all, agent: false });
      req.on('upgrade', (_response, socket, head) => resolve(new ChannelClient(socket, head)));
      req.on('response', (res) => void resultOf(res).then(resolve));
      req.on('error', reject);
      req.end();
    });
  }

  #feed(chunk: Buffer): void {
    this.#buffer += this.#decoder.write(chunk);
    for (let nl = this.#buffer.indexOf('\n'); nl !== -1; nl = this.#buffer.indexOf('\n')) {
      this.answers.push(this.#buffer.slice(0, nl + 1));
      this.#buffer = this.#buffer.slice(nl + 1);
    }
  }

  write(text: string | Buffer): void {
    this.#socket.write(text);
  }

  /** Sends each line (a string as is, anything else as its JSON), all in one write. */
  send(...lines: unknown[]): void {
    this.write(lines.map((line) => `${typeof line === 'string' ? line : JSON.stringify(line)}\n`).join(''));
  }

  /** Ends the client's side (it sends nothing more; the broker still answers). */
  end(): void {
    this.#socket.end();
  }

  /** Resolves once `count` answers have arrived (each a line with its newline); throws if the channel ends first. */
  async waitForAnswers(count: number, timeoutMs = 10_000): Promise<string[]> {
    await waitUntil(() => this.answers.length >= count || this.ended, timeoutMs, `${count} channel answers`);
    if (this.answers.length < count)
      throw new Error(`the channel ended after ${this.answers.length} answers: ${this.answers.join('')}`);
    return this.answers.slice(0, count);
  }

  /** Resolves once the broker has closed the channel. */
  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    await waitUntil(() => this.ended, timeoutMs, 'the channel to end');
  }

  close(): void {
    this.#socket.destroy();
  }
}
