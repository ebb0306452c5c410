// Starting the broker on demand. Every entry point that needs a live broker
// (join, the TUI, agent mode) calls ensureBroker: if nobody answers on the
// socket, one client takes the room's start lock (room-<id>.lock, a pid lock:
// shared/pid-lock.ts), checks again, starts the broker detached and waits
// until it answers. Everyone else waits for the socket. Twenty clients
// started at once on a fresh room therefore produce exactly one broker. A
// lock left by a client that died is recognised by its dead holder and broken.
// A broker that is alive (it holds room-<id>.pid) but has no socket right now
// (deleted under it: it recreates it within a moment) is waited for, never
// doubled: a second broker would refuse to run anyway.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RoomError, isErrorCode } from '../shared/errors.ts';
import type { RoomPaths } from '../shared/paths.ts';
import { lockHolder, tryLock, unlock } from '../shared/pid-lock.ts';
import { readRoomState } from '../shared/room-state.ts';
import { checkSocketPath, openForAppend, readFileSafe } from '../shared/safe-fs.ts';
import { probeSocket } from '../shared/socket.ts';

// A broker reads its index file back (room-<id>.idx) and listens within a
// fraction of a second; without one (the first start on a history written
// elsewhere) it parses the whole history first: about 6 s for a million
// events on this project's 2-core machine (bench/README.md). A broker that
// crashes is noticed at once (its exit), so the wait can be generous.
const START_TIMEOUT_MS = 30_000;

/**
 * Node flags of the broker process. `--max-semi-space-size=1` (MiB) caps
 * V8's young generation, which otherwise grows to tens of MiB under the
 * allocation of a long replay or page walk and is kept: measured on a
 * 1,000,000-event history, peak RSS through a full page walk 159 → 119 MiB,
 * through a 100,000-event replay 124 → 110, idle 81.5 → 76; broker CPU per
 * message with 10 subscribers unchanged within the noise (3 rounds each);
 * bench/README.md, "Broker start-up and memory".
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
const POLL_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The broker's entry script: beside this chunk in the bundle, or the source when run from source. */
function brokerScript(): string {
  const url = import.meta.url.endsWith('.ts')
    ? new URL('../server/main.ts', import.meta.url)
    : new URL('./broker.js', import.meta.url);
  return fileURLToPath(url);
}

/** The broker's last words on a failed start (server/main.ts): `broker failed to start: <code>: <message>`. */
const FAILURE_LINE = /broker failed to start: ([a-z_]+): (.*)$/;

/**
 * Why a broker that exited before answering failed, from what it wrote to the
 * log since `offset` (the log is shared by every start of the room). Its
 * RoomError comes back as such (a symlinked history is unsafe_path, exit 1);
 * anything else is a failed start (exit 3) pointing at the log.
 */
function startFailure(paths: RoomPaths, offset: number, exitCode: number): RoomError {
  const text = readFileSafe(paths.log)?.subarray(offset).toString('utf8') ?? '';
  const report = text.split('\n').findLast((line) => FAILURE_LINE.test(line));
  const [, code, message] = report === undefined ? [] : FAILURE_LINE.exec(report)!;
  if (isErrorCode(code) && code !== 'internal' && message !== undefined) return new RoomError(code, message);
  const why = message ?? `it exited with code ${exitCode} before answering`;
  return new RoomError(
    'broker_unreachable',
    `the broker for ${paths.room} failed to start: ${why} (log: ${paths.log})`,
  );
}

/** A `-f` history must be a file in an existing folder: checked here so the user gets a usage error, not a broker crash. */
function checkChatFolder(chat: string): void {
  if (fs.statSync(chat, { throwIfNoEntry: false })?.isDirectory() === true)
    throw new RoomError('usage', `cannot use ${chat} as the history file: it is a folder`);
  const folder = dirname(chat);
  let isDir: boolean;
  try {
    isDir = fs.statSync(folder).isDirectory();
  } catch {
    throw new RoomError('usage', `cannot create the history file ${chat}: no such folder ${folder}`);
  }
  if (!isDir) throw new RoomError('usage', `cannot create the history file ${chat}: ${folder} is not a folder`);
}

/**
 * The detached broker's environment: what Node and the broker need, and
 * room's settings, but no client secret (ROOM_TOKEN, or anything else the
 * user's shell holds, such as API keys): the broker outlives the client and
 * its environment is readable in /proc by the user's other processes.
 */
export function brokerEnv(env: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    const keep =
      /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|TZ|TMPDIR|LC_[A-Z_]+|NODE_[A-Z0-9_]+)$/.test(name) ||
      (name.startsWith('ROOM_') && name !== 'ROOM_TOKEN');
    if (keep) kept[name] = value;
  }
  return { ...kept, ROOM_DIR: dir };
}

/** Spawns the broker detached and waits until it answers on the socket. */
async function startBroker(paths: RoomPaths, chat: string | undefined, node: string): Promise<void> {
  // `-f` only matters when it creates the room (a broker with state ignores it).
  if (chat !== undefined && !fs.existsSync(paths.state)) checkChatFolder(chat);
  const logFd = openForAppend(paths.log);
  const offset = fs.fstatSync(logFd).size;
  // Options, then `--`: a room id may start with `-` (`room join -- -dash x`).
  const args = [
    ...BROKER_NODE_FLAGS,
    brokerScript(),
    ...(chat === undefined ? [] : [`--chat=${chat}`]),
    '--',
    paths.room,
  ];
  const child = spawn(node, args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: brokerEnv(process.env, paths.dir),
  });
  fs.closeSync(logFd);
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await probeSocket(paths.socket)) === 'alive') return;
    if (exited !== null) {
      // Another broker holds the room (its socket was deleted and is coming back): wait for it.
      if (lockHolder(paths.pid) !== null) return waitForSocket(paths, deadline);
      const failure = startFailure(paths, offset, exited);
      // A first start that failed leaves no log behind (the error says why).
      if (offset === 0 && !fs.existsSync(paths.state)) fs.rmSync(paths.log, { force: true });
      throw failure;
    }
    await sleep(POLL_MS);
  }
  throw new RoomError(
    'broker_unreachable',
    `the broker for ${paths.room} did not answer within ${START_TIMEOUT_MS / 1000} s (log: ${paths.log})`,
  );
}

/** Waits for the socket of a broker that holds the room (room-<id>.pid) but is not answering yet. */
async function waitForSocket(paths: RoomPaths, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if ((await probeSocket(paths.socket)) === 'alive') return;
    if (lockHolder(paths.pid) === null) return; // it stopped: the caller starts one
    await sleep(POLL_MS);
  }
  throw new RoomError(
    'broker_unreachable',
    `the broker of ${paths.room} (pid lock ${paths.pid}) did not answer within ${START_TIMEOUT_MS / 1000} s`,
  );
}

/**
 * Creates ROOM_DIR (0700) if it is missing, but only its last component: a
 * mistyped ROOM_DIR whose parent does not exist is an error, not a new tree.
 */
function ensureRoomDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!fs.statSync(dir).isDirectory()) throw new RoomError('usage', `ROOM_DIR ${dir} is not a folder`);
      return;
    }
    if (code === 'ENOENT')
      throw new RoomError('usage', `ROOM_DIR ${dir} does not exist (its parent ${dirname(dir)} is missing)`);
    if (code === 'ENOTDIR')
      throw new RoomError('usage', `ROOM_DIR ${dir} cannot be created (its parent ${dirname(dir)} is not a folder)`);
    throw new RoomError('usage', `ROOM_DIR ${dir} cannot be created: ${(error as Error).message}`);
  }
}

export interface EnsureOptions {
  /** The history path for a room being created (`-f`); ignored when it exists. */
  readonly chat?: string;
  /** The Node binary to run the broker with (defaults to the current one). */
  readonly node?: string;
}

/** Makes sure a broker answers on the room's socket; returns true if this call started it. */
export async function ensureBroker(paths: RoomPaths, options: EnsureOptions = {}): Promise<boolean> {
  ensureRoomDir(paths.dir); // a fresh ROOM_DIR is private
  checkSocketPath(paths.socket);
  if ((await probeSocket(paths.socket)) === 'alive') return false;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (lockHolder(paths.pid) !== null) {
      await waitForSocket(paths, deadline);
      if ((await probeSocket(paths.socket)) === 'alive') return false;
      continue;
    }
    if (tryLock(paths.lock).held) {
      try {
        if ((await probeSocket(paths.socket)) === 'alive') return false;
        await startBroker(paths, options.chat, options.node ?? process.execPath);
        return true;
      } finally {
        unlock(paths.lock);
      }
    }
    if ((await probeSocket(paths.socket)) === 'alive') return false;
    await sleep(POLL_MS);
  }
  throw new RoomError(
    'broker_unreachable',
    `timed out waiting for another client to start the broker for ${paths.room} (lock: ${paths.lock})`,
  );
}

/**
 * After a request failed as broker_unreachable: if the room exists (it has a
 * state file), was not stopped by its host (/exit), and no broker answers (it
 * stopped idle, or crashed), starts one and returns true, so the caller can
 * retry a request that never reached any broker. A room nobody created is
 * not created here.
 */
export async function restartStopped(paths: RoomPaths, error: unknown): Promise<boolean> {
  if (!(error instanceof RoomError) || error.code !== 'broker_unreachable') return false;
  const state = readRoomState(paths);
  if (state === null || state.stopped === 'exit' || (await probeSocket(paths.socket)) === 'alive') return false;
  await ensureBroker(paths);
  return true;
}
