// The broker process: `node dist/broker.js [--chat <path>] -- <room-id>`.
// Clients start it detached (its own process group, output to the room's
// log file), so closing the terminal that started it does not end the room.
// SIGTERM, SIGINT, the host's /exit and idleness stop it cleanly and remove
// the socket.
//
// One broker per room, for its whole life: before anything else it takes
// the room's pid lock (room-<id>.pid, shared/pid-lock.ts) and keeps it until
// it exits; a second broker for the room refuses to start. If its socket
// file is deleted while it runs (a /tmp cleaner, a user), it recreates it
// at once (SocketKeeper), so clients never see a room without its broker.
//
// A shared room (issue 16: its state names a NATS server) connects to NATS
// before it listens, and keeps its history as a mirror of the room's
// JetStream stream (server/nats/event-stream.ts). The first start, which
// creates the room, must reach that server (else nats_unreachable, exit 3,
// and no room); a later start that cannot reach it starts all the same,
// serves reads from the history, refuses writes, and connects once it can.
import { existsSync, lstatSync, statSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import type { CloseReason, NatsState } from '../shared/api.ts';
import type { RoomEvent } from '../shared/events.ts';
import { RoomError, roomError } from '../shared/errors.ts';
import { roomDirFrom, roomPaths, type RoomPaths } from '../shared/paths.ts';
import { emptyState, readRoomState, type RoomState } from '../shared/room-state.ts';
import { GRACE_MS, tryLock, unlock } from '../shared/pid-lock.ts';
import { checkSocketPath, removeFile, writeFileAtomic } from '../shared/safe-fs.ts';
import { probeSocket } from '../shared/socket.ts';
import { userFilePath } from '../shared/user-file.ts';
import { VERSION } from '../shared/version.ts';
import { buildApp } from './app.ts';
import { Broker } from './broker.ts';
import { claimSettingsFrom, type ClaimSettings } from './claims.ts';
import { natsSetting } from '../shared/nats-url.ts';
import type { SharedState } from './nats/shared-state.ts';
import { replicasFrom } from './nats/state-settings.ts';
import { describeDurability, durabilityFrom } from './log/durability.ts';
import { FileLog } from './log/file-log.ts';
import { MemoryRelease } from './memory-release.ts';
import { Registry } from './registry.ts';
import { type SharedStateSettings, sharedStateSettingsFrom } from './nats/state-settings.ts';
import { generated } from './precompiled/generated.ts';
import { precompiledPool } from './precompiled/route-validators.ts';

const log = (message: string): void => console.log(`${new Date().toISOString()} ${message}`);

interface BrokerConfig {
  readonly paths: RoomPaths;
  readonly chat: string | undefined;
  /** The NATS server(s) to share the room through, when this start creates it (--nats, else ROOM_NATS_URL). */
  readonly nats: string | undefined;
  /** ROOM_NATS_REPLICAS: the replicas of a stream this broker creates. */
  readonly natsReplicas: number;
  readonly heartbeatMs: number;
  readonly maxBuffer: number;
  readonly stallMs: number;
  /** Stop after this long with no live session and no request; 0: never. */
  readonly idleMs: number;
  /** ROOM_IDLE_SECONDS was set (a shared room's broker stops when idle only then). */
  readonly idleSet: boolean;
  readonly claims: ClaimSettings;
  readonly requestTimeoutMs: number | undefined;
  /** How a room shared through NATS keeps its state (server/nats/). */
  readonly sharedState: SharedStateSettings;
}

/** ROOM_IDLE_SECONDS: how long a broker with no live session and no request lives on (README). */
export const DEFAULT_IDLE_SECONDS = 300;

function idleMsFrom(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_IDLE_SECONDS * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw roomError('usage.idle_seconds', { value });
  return seconds * 1000;
}

function configFrom(argv: string[], env: NodeJS.ProcessEnv): BrokerConfig {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { chat: { type: 'string' }, nats: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw roomError('usage.broker_argv');
  const paths = roomPaths(roomDirFrom(env), positionals[0]!);
  const nats = values.nats ?? (env.ROOM_NATS_URL === '' ? undefined : env.ROOM_NATS_URL);
  return {
    paths,
    chat: values.chat,
    nats: nats === undefined ? undefined : natsSetting(nats),
    natsReplicas: replicasFrom(env),
    heartbeatMs: Number(env.ROOM_HEARTBEAT_MS ?? 15_000),
    maxBuffer: Number(env.ROOM_SSE_MAX_BUFFER ?? 1 << 20),
    stallMs: Number(env.ROOM_SSE_STALL_MS ?? 30_000),
    idleMs: idleMsFrom(env.ROOM_IDLE_SECONDS),
    idleSet: env.ROOM_IDLE_SECONDS !== undefined && env.ROOM_IDLE_SECONDS !== '',
    // Checked here, before any file is touched: a bad setting changes nothing.
    claims: claimSettingsFrom(env, paths.claims),
    sharedState: sharedStateSettingsFrom(env),
    requestTimeoutMs: env.ROOM_REQUEST_TIMEOUT_MS === undefined ? undefined : Number(env.ROOM_REQUEST_TIMEOUT_MS),
  };
}

/** When each user last polled or watched: their cursor file's mtime. */
function cursorTimes(paths: RoomPaths, names: readonly string[]): Map<string, Date> {
  const times = new Map<string, Date>();
  for (const name of names) {
    try {
      times.set(name, lstatSync(userFilePath(paths, name, 'cursor')).mtime);
    } catch {
      // never polled
    }
  }
  return times;
}

/** Removes a socket file nobody listens on (left by a crash); refuses anything that is not ours. */
async function clearStaleSocket(path: string): Promise<void> {
  checkSocketPath(path);
  const state = await probeSocket(path);
  if (state === 'alive') throw roomError('broker_unreachable.already_listening', { path });
  if (state === 'stale') {
    log(`removing stale socket ${path}`);
    removeFile(path);
  }
}

/** Runs `create` with umask 0177, so a socket it creates is born 0600, with no chmod race. */
async function privately<T>(create: () => Promise<T>): Promise<T> {
  const previous = process.umask(0o177);
  try {
    return await create();
  } finally {
    process.umask(previous);
  }
}

/**
 * Takes the room for this process's whole life; a second broker for the
 * room refuses to run. A lock file that names no holder (empty, garbage) is
 * waited on for its grace period, then broken.
 */
async function holdRoom(paths: RoomPaths): Promise<void> {
  const deadline = Date.now() + GRACE_MS * 2;
  for (;;) {
    const lock = tryLock(paths.pid);
    if (lock.held) break;
    if (lock.holder !== null || Date.now() > deadline) {
      const where = { room: paths.room, lock: paths.pid };
      throw lock.holder === null
        ? roomError('broker_unreachable.lock_starting', where)
        : roomError('broker_unreachable.already_running', { ...where, pid: lock.holder.pid });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Released on every exit but SIGKILL; after that the next broker finds the holder dead.
  process.on('exit', () => unlock(paths.pid));
}

/**
 * Connections the kernel queues before the broker accepts them. A Unix
 * socket with a full queue refuses at once (EAGAIN) instead of retrying like
 * TCP, so Node's default (511) turned subscribers away when a thousand
 * connected at once; Linux caps it at net.core.somaxconn (4096 by default).
 */
const LISTEN_BACKLOG = 4096;

/** How often the broker checks that its socket file is still there. */
const SOCKET_CHECK_MS = 250;

/**
 * A history of more than 16 MiB with no index file to trust (its first
 * start with this build, or the file deleted) is opened tail first: the
 * broker indexes its last 256 KiB (some 1,000 events: a new session shows
 * 20), listens, and indexes the rest between requests; the first one that
 * reaches further back waits for it. Indexing a line costs some 4 µs (15 in
 * a process that just started), so reading all of 1,000,000 events first
 * kept every client waiting ~4 s.
 */
const TAIL_FIRST = { minBytes: 16 << 20, tailBytes: 1 << 18 } as const;

/** A number of bytes, said in MiB. */
const mib = (bytes: number): string => `${(bytes / (1 << 20)).toFixed(2)} MiB`;

/**
 * Keeps the broker's socket at its path. When the file is gone, a new
 * listener is bound there whose connections go to the same HTTP server, so
 * the room keeps its one broker (the pid lock stops any other from starting
 * meanwhile; a client that finds no socket waits for this one: client/broker-start.ts).
 * Anything else found at the path (a file our user put there) is left alone.
 */
class SocketKeeper {
  readonly #app: FastifyInstance;
  readonly #path: string;
  readonly #timer: NodeJS.Timeout;
  readonly #extra: Server[] = [];
  #restoring = false;

  constructor(app: FastifyInstance, path: string) {
    this.#app = app;
    this.#path = path;
    this.#timer = setInterval(() => void this.#check(), SOCKET_CHECK_MS);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    if (this.#restoring) return;
    this.#restoring = true;
    try {
      if (lstatSync(this.#path, { throwIfNoEntry: false }) !== undefined) return;
      const server = createServer((connection) => this.#app.server.emit('connection', connection));
      await privately(
        () =>
          new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen({ path: this.#path, backlog: LISTEN_BACKLOG }, resolve);
          }),
      );
      this.#extra.push(server);
      log(`socket ${this.#path} was deleted: recreated it`);
    } catch (error) {
      log(`socket ${this.#path} was deleted and could not be recreated: ${(error as Error).message}`);
    } finally {
      this.#restoring = false;
    }
  }

  /** Stops listening; resolves when the extra listeners' connections are gone, or after 3 s. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const closed = Promise.all(this.#extra.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
  }
}

/**
 * Stops the broker once it has had no live session and no connection for
 * `idleMs`. A session's end counts as activity: the clock starts then.
 */
function watchIdle(app: FastifyInstance, sessions: () => number, idleMs: number, stop: () => void): void {
  if (idleMs === 0) return;
  let lastActive = Date.now();
  // Every connection counts, not only requests: a client's probe just before
  // its request (client/broker-start.ts) keeps the broker from stopping under it.
  app.server.on('connection', () => {
    lastActive = Date.now();
  });
  const timer = setInterval(
    () => {
      if (sessions() > 0) lastActive = Date.now();
      else if (Date.now() - lastActive >= idleMs) {
        clearInterval(timer);
        log(`idle for ${idleMs / 1000} s (no session, no connection): stopping`);
        stop();
      }
    },
    Math.min(Math.max(idleMs / 4, 50), 10_000),
  );
  timer.unref();
}

async function main(): Promise<void> {
  const config = configFrom(process.argv.slice(2), process.env);
  const { paths } = config;
  await holdRoom(paths);
  await clearStaleSocket(paths.socket);

  const existing = readRoomState(paths);
  const state: RoomState = existing ?? {
    ...emptyState(paths.room, resolve(config.chat ?? paths.defaultChat)),
    ...(config.nats === undefined ? {} : { nats: config.nats }),
  };
  if (existing !== null && config.chat !== undefined && resolve(config.chat) !== existing.chat) {
    log(`room ${paths.room} already uses ${existing.chat}; ignoring --chat ${config.chat}`);
  }
  // The NATS clients are loaded only for a shared room: a local broker starts without them
  // (they cost about 100 ms and 20 MB: bench/README.md "Broker start-up and memory").
  const natsCode = state.nats === undefined ? undefined : await loadNatsCode();
  // Before the state file is written: a first start that cannot reach NATS leaves no room behind.
  const natsName = `room ${paths.room} broker ${process.pid}`;
  let nats: NatsConnection | undefined;
  if (state.nats !== undefined && natsCode !== undefined) {
    const creating = existing === null;
    nats = await connectShared(natsCode, state.nats, natsName, false).catch((error: unknown) => {
      if (creating) throw error;
      log(`${(error as Error).message}; serving reads from the history, refusing writes until it can be reached`);
      return undefined;
    });
  }
  // A first start that fails before it writes the state file (a NATS server without JetStream, a
  // stream it may not create) leaves no room behind: the history and index files it created go
  // too. A history file that was there before (`--chat`) is never removed.
  let roomSaved = existing !== null;
  const createdFiles = roomSaved ? [] : [state.chat, paths.index].filter((path) => !existsSync(path));
  process.on('exit', () => {
    if (!roomSaved) for (const path of createdFiles) removeFile(path);
  });
  const durability = durabilityFrom(process.env);
  // ROOM_DEBUG_FSYNC=1 logs every fsync of the history (test/fault-history.test.ts checks `always` with it).
  const onSync = process.env.ROOM_DEBUG_FSYNC === '1' ? (seq: number) => log(`fsync through seq ${seq}`) : undefined;
  const { log: history, report } = FileLog.open(state.chat, {
    durability,
    onSync,
    indexPath: paths.index,
    isRoomEvent: generated?.isRoomEvent,
    passSkippedSeqs: state.nats === undefined,
    onRead: new MemoryRelease().noteRead,
    tailFirst: state.nats === undefined ? TAIL_FIRST : undefined,
    onHeadRead: ({ events, skipped }) =>
      log(
        `history ${state.chat}: read the rest, ${events} events before its tail${skipped > 0 ? `, ${skipped} bad lines skipped` : ''}`,
      ),
  });
  const events =
    report.headBytes > 0
      ? `${report.events} events in its last ${mib(statSync(state.chat).size - report.headBytes)}, the ${mib(report.headBytes)} before them indexed after listening`
      : `${report.events} events (${report.fromIndexFile} from the index file)`;
  log(
    `history ${state.chat}: ${events}${report.skipped > 0 ? `, ${report.skipped} bad lines skipped` : ''}${report.tornTail ? ' (torn last line ignored)' : ''}; epoch ${history.epoch}; fsync ${describeDurability(durability)}`,
  );
  const stream =
    state.nats === undefined || natsCode === undefined
      ? undefined
      : new natsCode.EventStream({
          room: paths.room,
          url: state.nats,
          replicas: config.natsReplicas,
          log: history,
          say: log,
        });
  if (stream !== undefined && nats !== undefined)
    await stream.attach(nats).catch((error: unknown) => {
      history.close(); // its files go at exit (createdFiles, above)
      throw error;
    });
  // The registry writes the users and host, and keeps the fields it does not manage (chat, nats) as they are.
  const saveState = (next: RoomState) =>
    writeFileAtomic(paths.state, `${JSON.stringify(next, null, 2)}\n`, { durable: true });
  const registry = new Registry(state, saveState);
  // Records the history path for poll, watch and restarts; clears a previous /exit's mark.
  if (existing === null || existing.stopped !== undefined) saveState({ ...state, stopped: undefined });
  roomSaved = true;

  let app: FastifyInstance | undefined;
  let keeper: SocketKeeper | undefined;
  let stopping: Promise<void> | undefined;
  const room = new Broker({
    id: paths.room,
    log: history,
    registry,
    heartbeatMs: config.heartbeatMs,
    maxBuffer: config.maxBuffer,
    stallMs: config.stallMs,
    say: log,
    polledAt: (names) => cursorTimes(paths, names),
    requestExit: () => void stop('exit'),
    claims: config.claims,
    sequencer: stream,
  });
  let shared: SharedState | undefined;
  if (stream !== undefined && natsCode !== undefined) {
    // Until the state is attached to NATS, a change to it (join, kick, claim) is refused:
    // made here alone it would hold on this machine only.
    natsCode.refuseSharedChanges(room);
    room.hub.setNats('unreachable'); // until the stream starts (EventStream.start says connected)
    const sink = {
      fanOut: (events: readonly RoomEvent[], lines: readonly string[]) => room.hub.publish(events, lines),
      cleared: () => room.hub.cleared(),
      checkLog: () => room.room.checkLog(),
      reach: (state: NatsState) => room.hub.setNats(state),
    };
    const share = async (nc: NatsConnection, attached: boolean) => {
      if (!attached) await stream.attach(nc);
      await stream.start(sink);
      log(`history mirrors the stream of room ${paths.room} on ${state.nats}, through seq ${history.state.lastSeq}`);
      // The room's state (tokens, host, kicks, claims, presence) lives in key-value buckets beside the stream.
      shared = await natsCode.shareRoomState(nc, paths.room, room, {
        ...config.sharedState,
        replicas: config.natsReplicas,
        log,
      });
      log(`room state shared through NATS ${state.nats}`);
    };
    // Catches up with the stream before listening, so the first client sees the room as it is.
    if (nats !== undefined) await share(nats, true);
    else
      void connectShared(natsCode, state.nats!, natsName, true)
        .then(async (nc) => {
          nats = nc;
          await share(nc, false);
        })
        .catch((error: unknown) => log(`cannot share room ${paths.room}: ${(error as Error).message}`));
  }

  const stop = (reason: CloseReason): Promise<void> => {
    stopping ??= (async () => {
      log(`stopping (${reason})`);
      room.closing = true;
      await room.room.settled(); // what was accepted is stored and seen before the streams end
      if (reason === 'exit') {
        try {
          registry.markExited();
        } catch (error) {
          log(`could not record the /exit in ${paths.state}: ${(error as Error).message}`);
        }
      }
      room.hub.end(
        reason,
        reason === 'exit' ? `${paths.room} was shut down by the host` : `the broker of ${paths.room} stopped`,
      );
      await room.hub.drained(3000);
      room.hub.stop();
      room.claims.stop();
      await shared?.close(); // before the stream and the connection: it removes this broker's presence
      const keeperClosed = keeper?.close(); // its connections belong to the app, which closes them
      await app?.close();
      await keeperClosed;
      await stream?.close();
      if (nats !== undefined) await closeNats(nats);
      history.close();
      log('stopped');
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void stop('shutdown'));
  process.on('SIGINT', () => void stop('shutdown'));
  process.on('SIGHUP', () => {});
  process.on('uncaughtException', (error) => log(`uncaught: ${error.stack ?? String(error)}`));

  // The validators and the OpenAPI document the build generated (bundled): nothing to compile at start.
  app = await buildApp({
    room,
    version: VERSION,
    requestTimeoutMs: config.requestTimeoutMs,
    validators: generated === undefined ? undefined : precompiledPool(generated.routes),
    openapi: generated?.openapi,
  });
  const listening = app;
  await privately(() => listening.listen({ path: paths.socket, backlog: LISTEN_BACKLOG }));
  keeper = new SocketKeeper(app, paths.socket);
  // A shared room's broker is what keeps this machine's history current (poll, watch and log read
  // it): it does not stop when idle, unless ROOM_IDLE_SECONDS says so.
  const idleMs = stream !== undefined && !config.idleSet ? 0 : config.idleMs;
  watchIdle(
    app,
    () => room.hub.size + room.channels.size,
    idleMs,
    () => void stop('shutdown'),
  );
  log(`room ${paths.room} listening on ${paths.socket} (pid ${process.pid}, version ${VERSION})`);
  history.readInBackground();
  // Node writes its compile cache (NODE_COMPILE_CACHE, set by the CLI that
  // starts brokers) at exit; a broker killed before that would leave the next
  // start to compile everything again, so it is written now, off the start's path.
  setImmediate(() => flushCompileCache?.());
}

/**
 * Connects to a shared room's NATS server with the standard NATS credentials
 * (server/nats/connect.ts); `patiently`: keeps trying until it succeeds.
 */
async function connectShared(
  code: NatsCode,
  setting: string,
  name: string,
  patiently: boolean,
): Promise<NatsConnection> {
  const access = code.natsAccess(setting, process.env);
  const nc = await code.connectNats(access, name, patiently);
  log(`room shared through NATS ${setting} (credentials: ${access.source})`);
  return nc;
}

/** The code of a shared room (server/nats/), loaded when the room has a NATS server. */
async function loadNatsCode() {
  const [connect, eventStream, sharedState] = await Promise.all([
    import('./nats/connect.ts'),
    import('./nats/event-stream.ts'),
    import('./nats/shared-state.ts'),
  ]);
  return {
    connectNats: connect.connectNats,
    natsAccess: connect.natsAccess,
    EventStream: eventStream.EventStream,
    refuseSharedChanges: sharedState.refuseSharedChanges,
    shareRoomState: sharedState.shareRoomState,
  };
}
type NatsCode = Awaited<ReturnType<typeof loadNatsCode>>;

/** Drains the NATS connection (what it still has to send goes out), but gives up after a second: NATS may be down. */
async function closeNats(nc: NatsConnection): Promise<void> {
  const drained = nc.drain().catch(() => {});
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  if (!nc.isClosed()) await nc.close().catch(() => {});
}

// A failed start ends with one machine-readable line, after any stack trace:
// `<ts> broker failed to start: <code>: <message on one line>`. The client
// that started this broker finds it in the log and reports the same error
// (client/broker-start.ts), so keep its shape.
main().catch((error: unknown) => {
  const roomError = error instanceof RoomError ? error : null;
  if (roomError === null) console.error(error);
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ').trim();
  console.error(`${new Date().toISOString()} broker failed to start: ${roomError?.code ?? 'internal'}: ${message}`);
  process.exit(roomError?.exitCode ?? 1);
});
