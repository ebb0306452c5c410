// Starting the broker on demand. Every entry point that needs a live broker
// (join, the TUI, agent mode) calls ensureBroker: if nobody answers on the
// socket, one client takes the room's lock file (O_EXCL, holding its pid),
// checks again, starts the broker detached and waits until it answers.
// Everyone else waits for the socket. Twenty clients started at once on a
// fresh room therefore produce exactly one broker. A lock left by a client
// that died is recognised by its dead pid and removed.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RoomError, isErrorCode } from '../shared/errors.ts';
import type { RoomPaths } from '../shared/paths.ts';
import { FILE_MODE, openForAppend, readFileSafe } from '../shared/safe-fs.ts';
import { checkSocketPath, probeSocket } from '../shared/socket.ts';

// A broker indexes its whole history before it listens: about 6 s for a
// million events on this project's 2-core machine (bench/README.md). A broker
// that crashes is noticed at once (its exit), so the wait can be generous.
const START_TIMEOUT_MS = 30_000;
const POLL_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The broker's entry script: beside this chunk in the bundle, or the source when run from source. */
function brokerScript(): string {
  const url = import.meta.url.endsWith('.ts')
    ? new URL('../server/main.ts', import.meta.url)
    : new URL('./broker.js', import.meta.url);
  return fileURLToPath(url);
}

function tryLock(path: string): boolean {
  try {
    const fd = fs.openSync(
      path,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      FILE_MODE,
    );
    fs.writeSync(fd, `${process.pid}\n`);
    fs.closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the lock if its holder died without releasing it. */
function breakStaleLock(path: string): void {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSafe(path)?.toString('utf8') ?? '', 10);
  } catch {
    return;
  }
  // An unreadable pid may be a lock being written right now: leave it.
  if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) fs.rmSync(path, { force: true });
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

/** A `-f` history must go in an existing folder: checked here so the user gets a usage error, not a broker crash. */
function checkChatFolder(chat: string): void {
  const folder = dirname(chat);
  let isDir: boolean;
  try {
    isDir = fs.statSync(folder).isDirectory();
  } catch {
    throw new RoomError('usage', `cannot create the history file ${chat}: no such folder ${folder}`);
  }
  if (!isDir) throw new RoomError('usage', `cannot create the history file ${chat}: ${folder} is not a folder`);
}

/** Spawns the broker detached and waits until it answers on the socket. */
async function startBroker(paths: RoomPaths, chat: string | undefined, node: string): Promise<void> {
  // `-f` only matters when it creates the room (a broker with state ignores it).
  if (chat !== undefined && !fs.existsSync(paths.state)) checkChatFolder(chat);
  const logFd = openForAppend(paths.log);
  const offset = fs.fstatSync(logFd).size;
  const args = [brokerScript(), paths.room, ...(chat === undefined ? [] : ['--chat', chat])];
  const child = spawn(node, args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, ROOM_DIR: paths.dir },
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
    if (exited !== null) throw startFailure(paths, offset, exited);
    await sleep(POLL_MS);
  }
  throw new RoomError(
    'broker_unreachable',
    `the broker for ${paths.room} did not answer within ${START_TIMEOUT_MS / 1000} s (log: ${paths.log})`,
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
    if (tryLock(paths.lock)) {
      try {
        if ((await probeSocket(paths.socket)) === 'alive') return false;
        await startBroker(paths, options.chat, options.node ?? process.execPath);
        return true;
      } finally {
        fs.rmSync(paths.lock, { force: true });
      }
    }
    breakStaleLock(paths.lock);
    if ((await probeSocket(paths.socket)) === 'alive') return false;
    await sleep(POLL_MS);
  }
  throw new RoomError(
    'broker_unreachable',
    `timed out waiting for another client to start the broker for ${paths.room} (lock: ${paths.lock})`,
  );
}
