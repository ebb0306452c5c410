// Real NATS servers for the tests of shared rooms (issue 16): Debian's
// `nats-server` with JetStream, started by the test on loopback with its own
// storage directory, stopped (and its directory removed) when the test ends.
// Readiness is the server's own "Server is ready" line, never a sleep.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const NATS_SERVER_BIN = process.env.ROOM_NATS_SERVER ?? 'nats-server';

/** A port nothing listens on right now (the kernel's pick; the server binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

export interface NatsServerOptions {
  /** Server name (JetStream clusters need one per node). */
  readonly name?: string;
  /** Cluster membership: this node's route port, the cluster's name and every node's route port. */
  readonly cluster?: { readonly name: string; readonly port: number; readonly routes: readonly number[] };
  /** More arguments for nats-server (authorization flags, `-c <config>`). */
  readonly args?: readonly string[];
  /** false: a plain NATS server, without JetStream (a room cannot be shared through it). */
  readonly jetstream?: boolean;
}

/** One `nats-server -js` on 127.0.0.1; `restart()` brings it back on the same port and storage. */
export class NatsServer {
  readonly port: number;
  readonly storeDir: string;
  readonly #options: NatsServerOptions;
  #child: ChildProcess | null = null;
  #log = '';
  /** Where the current run's output starts in #log. */
  #runStart = 0;
  #waiters: Array<{ readonly text: string; readonly resolve: () => void }> = [];

  private constructor(port: number, storeDir: string, options: NatsServerOptions) {
    this.port = port;
    this.storeDir = storeDir;
    this.#options = options;
  }

  /** Starts a server for this test; it is killed and its storage removed when the test ends. */
  static async start(t: TestContext, options: NatsServerOptions = {}): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'room-nats-')), options);
    t.after(() => server.destroy());
    await server.restart();
    return server;
  }

  /**
   * Starts a JetStream cluster of `size` nodes on loopback; resolves once
   * every node is ready and knows the cluster's metadata leader (before
   * that, JetStream requests time out).
   */
  static async cluster(t: TestContext, size: number): Promise<NatsServer[]> {
    const routes = await Promise.all(Array.from({ length: size }, () => freePort()));
    const name = `room-test-${process.pid}`;
    const nodes = await Promise.all(
      routes.map((port, i) => NatsServer.start(t, { name: `n${i + 1}`, cluster: { name, port, routes } })),
    );
    // One node logs the election; a node whose routes come up after it may learn of the leader
    // without saying so, so waiting for every node to log it can wait forever.
    await Promise.any(nodes.map((node) => node.logged('metadata leader')));
    return nodes;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** What the server logged so far (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** (Re)starts the server; resolves when it says it is ready. */
  async restart(): Promise<void> {
    if (this.#child !== null) throw new Error('nats-server is already running');
    const { name, cluster, args: extra = [], jetstream = true } = this.#options;
    const args = [...(jetstream ? ['-js'] : []), '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir];
    args.push(...extra);
    if (name !== undefined) args.push('--server_name', name);
    if (cluster !== undefined) {
      const others = cluster.routes.filter((port) => port !== cluster.port);
      args.push('--cluster_name', cluster.name, '--cluster', `nats://127.0.0.1:${cluster.port}`);
      args.push('--routes', others.map((port) => `nats://127.0.0.1:${port}`).join(','));
    }
    const child = spawn(NATS_SERVER_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    this.#runStart = this.#log.length;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.#log += chunk;
      const output = this.#log.slice(this.#runStart);
      const met = this.#waiters.filter((waiter) => output.includes(waiter.text));
      this.#waiters = this.#waiters.filter((waiter) => !met.includes(waiter));
      for (const waiter of met) waiter.resolve();
    });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => {
        this.#child = null;
        reject(new Error(`nats-server exited (${code}) before it was ready:\n${this.#log}`));
      };
      child.once('error', reject);
      child.once('exit', onExit);
      void this.logged('Server is ready').then(() => {
        child.off('exit', onExit);
        resolve();
      });
    });
    child.once('exit', () => {
      if (this.#child === child) this.#child = null;
    });
  }

  /**
   * Resolves once the running server has logged `text` (since it last started);
   * rejects with what it logged after `timeoutMs`, so a server that never gets
   * there fails the test instead of hanging it.
   */
  logged(text: string, timeoutMs = 60_000): Promise<void> {
    if (this.#log.slice(this.#runStart).includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter.resolve !== done);
        reject(new Error(`nats-server did not log "${text}" within ${timeoutMs} ms:\n${this.#log}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push({ text, resolve: done });
    });
  }

  /** Freezes the running server (SIGSTOP): its connections stay open and nothing is answered. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Lets a paused server go on (SIGCONT): it then handles what it was sent meanwhile. */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Stops the server (SIGKILL by default: a crash); resolves once it has exited. Storage stays. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.#child = null;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
