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
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Health } from '../shared/api.ts';
import { isErrorCode, RoomError, roomError, receivedError } from '../shared/errors.ts';
import { natsSetting } from '../shared/nats-url.ts';
import { compileCacheDir, type RoomPaths } from '../shared/paths.ts';
import { lockHolder, tryLock, unlock } from '../shared/pid-lock.ts';
import { readRoomState } from '../shared/room-state.ts';
import { checkSocketPath, openForAppend, readFileSafe } from '../shared/safe-fs.ts';
import { probeSocket } from '../shared/socket.ts';
import { request } from './http.ts';

// A broker listens within a fraction of a second: it reads its index file
// back (room-<id>.idx), or, with none, indexes a long history's tail first
// and the rest after listening. A history that is parsed whole first (a
// shared room's copy with no index file, or one whose lines before the tail
// hold no event) takes seconds: about 4 s for a million lines on this
// project's 2-core machine (bench/README.md). A broker that crashes is
// noticed at once (its exit), so the wait can be generous.
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

/**
 * Environment the broker process gets besides what brokerEnv keeps. glibc
 * gives each thread that allocates its own malloc arena, and what V8's
 * compiler and GC threads free stays resident there: one arena takes
 * 0.4–1.3 MiB off an idle broker, with no change in broker CPU per message
 * beyond the noise. A fixed mmap threshold (128 KiB, glibc's default, which
 * glibc otherwise raises up to 32 MiB once a block that large is freed)
 * keeps every block of 128 KiB or more (a page's read buffer, the index's
 * columns) in a mapping of its own, given back when freed, instead of in
 * the heap, where freeing it left holes the heap kept: with the collections
 * of server/memory-release.ts, a full page walk of 1,000,000 events peaks at
 * 90–96 MiB instead of 95–114, an idle broker holds 0.3 MiB less, and
 * broker CPU per message did not change beyond the noise (bench/README.md,
 * "Broker start-up and memory"). A user's own setting of either is kept.
 */
export const BROKER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_MMAP_THRESHOLD_: '131072',
};
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
  if (isErrorCode(code) && code !== 'internal' && message !== undefined) return receivedError(code, message);
  const where = { room: paths.room, log: paths.log };
  if (message === undefined) return roomError('broker_unreachable.start_exited', { ...where, exit: exitCode });
  return roomError('broker_unreachable.start_failed', { ...where, why: message });
}

/** A `-f` history must be a file in an existing folder: checked here so the user gets a usage error, not a broker crash. */
function checkChatFolder(chat: string): void {
  if (fs.statSync(chat, { throwIfNoEntry: false })?.isDirectory() === true)
    throw roomError('usage.chat_is_folder', { path: chat });
  const folder = dirname(chat);
  let isDir: boolean;
  try {
    isDir = fs.statSync(folder).isDirectory();
  } catch {
    throw roomError('usage.chat_no_folder', { path: chat, folder });
  }
  if (!isDir) throw roomError('usage.chat_not_folder', { path: chat, folder });
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
      /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|TZ|TMPDIR|LC_[A-Z_]+|NODE_[A-Z0-9_]+|MALLOC_ARENA_MAX|MALLOC_MMAP_THRESHOLD_)$/.test(
        name,
      ) ||
      // Where a shared room's NATS credentials are (paths and a context name: server/nats/connect.ts).
      /^(NATS_CREDS|NATS_CONTEXT|XDG_CONFIG_HOME)$/.test(name) ||
      (name.startsWith('ROOM_') && name !== 'ROOM_TOKEN');
    if (keep) kept[name] = value;
  }
  // The broker's bundle is large: V8's code for it, cached by the first
  // start, saves every later start ~30 ms. A NODE_COMPILE_CACHE of the
  // user's own (or NODE_DISABLE_COMPILE_CACHE) is kept as it is.
  if (kept.NODE_COMPILE_CACHE === undefined) {
    const { homedir } = process.getBuiltinModule('node:os');
    kept.NODE_COMPILE_CACHE = compileCacheDir(env, homedir());
  }
  return { ...BROKER_ENV, ...kept, ROOM_DIR: dir };
}

/**
 * The NATS server a start names (`--nats`, else ROOM_NATS_URL), checked
 * before anything starts: a bad URL is a usage error; so is `--nats` for a
 * room that exists here without it, or with another server (a room's
 * history cannot move between NATS systems). ROOM_NATS_URL only matters
 * when the room is created. Returns the setting to create the room with.
 */
function natsChoice(paths: RoomPaths, given: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env.ROOM_NATS_URL === undefined || env.ROOM_NATS_URL === '' ? undefined : env.ROOM_NATS_URL;
  const wanted = given ?? fromEnv;
  if (wanted === undefined) return undefined;
  const setting = natsSetting(wanted);
  const state = readRoomState(paths);
  if (state === null || given === undefined) return setting;
  if (state.nats === undefined) throw roomError('usage.nats_room_local', { room: paths.room, setting });
  if (state.nats !== setting) throw roomError('usage.nats_room_other', { room: paths.room, nats: state.nats, setting });
  return setting;
}

/** Spawns the broker detached and waits until it answers on the socket. */
async function startBroker(
  paths: RoomPaths,
  chat: string | undefined,
  nats: string | undefined,
  node: string,
): Promise<void> {
  // `-f` only matters when it creates the room (a broker with state ignores it).
  if (chat !== undefined && !fs.existsSync(paths.state)) checkChatFolder(chat);
  const logFd = openForAppend(paths.log);
  const offset = fs.fstatSync(logFd).size;
  // Options, then `--`: a room id may start with `-` (`room join -- -dash x`).
  const args = [
    ...BROKER_NODE_FLAGS,
    brokerScript(),
    ...(chat === undefined ? [] : [`--chat=${chat}`]),
    ...(nats === undefined ? [] : [`--nats=${nats}`]),
    '--',
    paths.room,
  ];
  // Loaded only when a broker is started: it costs a one-shot whose broker runs (nearly every
  // `room send`) ~1.5 ms of its start.
  const { spawn } = process.getBuiltinModule('node:child_process');
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
  throw roomError('broker_unreachable.start_timeout', {
    room: paths.room,
    seconds: START_TIMEOUT_MS / 1000,
    log: paths.log,
  });
}

/** Waits for the socket of a broker that holds the room (room-<id>.pid) but is not answering yet. */
async function waitForSocket(paths: RoomPaths, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if ((await probeSocket(paths.socket)) === 'alive') return;
    if (lockHolder(paths.pid) === null) return; // it stopped: the caller starts one
    await sleep(POLL_MS);
  }
  throw roomError('broker_unreachable.lock_timeout', {
    room: paths.room,
    lock: paths.pid,
    seconds: START_TIMEOUT_MS / 1000,
  });
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
      if (!fs.statSync(dir).isDirectory()) throw roomError('usage.room_dir_not_folder', { dir });
      return;
    }
    if (code === 'ENOENT') throw roomError('usage.room_dir_missing_parent', { dir, parent: dirname(dir) });
    if (code === 'ENOTDIR') throw roomError('usage.room_dir_parent_not_folder', { dir, parent: dirname(dir) });
    throw roomError('usage.room_dir_create', { dir, detail: (error as Error).message });
  }
}

export interface EnsureOptions {
  /** The history path for a room being created (`-f`); ignored when it exists. */
  readonly chat?: string;
  /** The NATS server(s) to share a room being created through (`--nats`; else ROOM_NATS_URL): shared/nats-url.ts. */
  readonly nats?: string;
  /** The Node binary to run the broker with (defaults to the current one). */
  readonly node?: string;
}

/** Makes sure a broker answers on the room's socket; returns true if this call started it. */
export async function ensureBroker(paths: RoomPaths, options: EnsureOptions = {}): Promise<boolean> {
  const nats = natsChoice(paths, options.nats, process.env); // a bad setting creates nothing
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
        await startBroker(paths, options.chat, nats, options.node ?? process.execPath);
        return true;
      } finally {
        unlock(paths.lock);
      }
    }
    if ((await probeSocket(paths.socket)) === 'alive') return false;
    await sleep(POLL_MS);
  }
  throw roomError('broker_unreachable.start_wait', { room: paths.room, lock: paths.lock });
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

/**
 * A shared room's history file is a mirror that its broker keeps current
 * (server/nats/event-stream.ts; such a broker does not stop when idle).
 * Before poll or watch read it, this starts the broker if none runs (it
 * catches up with the room's stream before it answers). When it cannot
 * start, the file is read as it is, with a line on stderr.
 */
export async function ensureMirror(paths: RoomPaths, warn: (line: string) => void): Promise<void> {
  if ((await probeSocket(paths.socket)) !== 'alive') {
    // Stopped on purpose here (room stop, /exit): the room goes on on the other machines without this copy.
    if (readRoomState(paths)?.stopped === 'exit') {
      warn(
        `room: the broker of shared room ${paths.room} was stopped (room stop or /exit): reading this machine's copy, which may be behind (room join or room ${paths.room} <name> starts it again)`,
      );
      return;
    }
    try {
      await ensureBroker(paths);
    } catch (error) {
      warn(
        `room: the broker of shared room ${paths.room} could not start (${(error as Error).message}): reading this machine's copy as it is`,
      );
      return;
    }
  }
  // A broker that cannot reach NATS (now, or since it started) has not caught up with the other machines.
  const health = await request(paths.socket, { method: 'GET', path: '/health' }).catch(() => null);
  if (health?.status === 200 && (JSON.parse(health.body) as Health).nats === 'unreachable')
    warn(
      `room: the broker of shared room ${paths.room} cannot reach its NATS server: reading this machine's copy, which may be behind (it catches up once NATS is back)`,
    );
}
