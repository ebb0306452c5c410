// The broker process: `node dist/broker.js <room-id> [--chat <path>]`.
// Clients start it detached (its own process group, output to the room's
// log file), so closing the terminal that started it does not end the room.
// SIGTERM, SIGINT and the host's /exit stop it cleanly and remove the socket.
import { lstatSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { CloseReason } from '../shared/api.ts';
import { RoomError } from '../shared/errors.ts';
import { cursorPath, roomDirFrom, roomPaths, type RoomPaths } from '../shared/paths.ts';
import { emptyState, readRoomState, type RoomState } from '../shared/room-state.ts';
import { removeFile, writeFileAtomic } from '../shared/safe-fs.ts';
import { checkSocketPath, probeSocket } from '../shared/socket.ts';
import { VERSION } from '../shared/version.ts';
import { buildApp } from './app.ts';
import { History } from './history.ts';
import { Registry } from './registry.ts';
import { Room } from './room.ts';

const log = (message: string): void => console.log(`${new Date().toISOString()} ${message}`);

interface BrokerConfig {
  readonly paths: RoomPaths;
  readonly chat: string | undefined;
  readonly heartbeatMs: number;
  readonly maxBuffer: number;
  readonly requestTimeoutMs: number | undefined;
}

function configFrom(argv: string[], env: NodeJS.ProcessEnv): BrokerConfig {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { chat: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new RoomError('usage', 'usage: broker <room-id> [--chat <path>]');
  return {
    paths: roomPaths(roomDirFrom(env), positionals[0]!),
    chat: values.chat,
    heartbeatMs: Number(env.ROOM_HEARTBEAT_MS ?? 15_000),
    maxBuffer: Number(env.ROOM_SSE_MAX_BUFFER ?? 1 << 20),
    requestTimeoutMs: env.ROOM_REQUEST_TIMEOUT_MS === undefined ? undefined : Number(env.ROOM_REQUEST_TIMEOUT_MS),
  };
}

/** When each user last polled or watched: their cursor file's mtime. */
function cursorTimes(paths: RoomPaths, names: readonly string[]): Map<string, Date> {
  const times = new Map<string, Date>();
  for (const name of names) {
    try {
      times.set(name, lstatSync(cursorPath(paths, name)).mtime);
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
  if (state === 'alive') throw new RoomError('broker_unreachable', `a broker is already listening on ${path}`);
  if (state === 'stale') {
    const st = statSync(path);
    if (!st.isSocket() && !st.isFile()) throw new RoomError('unsafe_path', `refusing to replace ${path}: not a socket`);
    log(`removing stale socket ${path}`);
    removeFile(path);
  }
}

async function listen(app: FastifyInstance, path: string): Promise<void> {
  // umask 0177 while the socket is created: it is born 0600, with no chmod race.
  const previous = process.umask(0o177);
  try {
    await app.listen({ path });
  } finally {
    process.umask(previous);
  }
}

async function main(): Promise<void> {
  const config = configFrom(process.argv.slice(2), process.env);
  const { paths } = config;
  await clearStaleSocket(paths.socket);

  const existing = readRoomState(paths);
  const state: RoomState = existing ?? emptyState(paths.room, resolve(config.chat ?? paths.defaultChat));
  if (existing !== null && config.chat !== undefined && resolve(config.chat) !== existing.chat) {
    log(`room ${paths.room} already uses ${existing.chat}; ignoring --chat ${config.chat}`);
  }
  const { history, report } = History.open(state.chat);
  log(
    `history ${state.chat}: ${report.events} events${report.skipped > 0 ? `, ${report.skipped} bad lines skipped` : ''}${report.tornTail ? ' (torn last line ignored)' : ''}`,
  );
  const saveState = (next: RoomState) =>
    writeFileAtomic(paths.state, `${JSON.stringify(next, null, 2)}\n`, { durable: true });
  const registry = new Registry(state, saveState);
  if (existing === null) saveState(state); // records the history path for poll, watch and restarts

  let app: FastifyInstance | undefined;
  let stopping: Promise<void> | undefined;
  const room = new Room({
    id: paths.room,
    history,
    registry,
    heartbeatMs: config.heartbeatMs,
    maxBuffer: config.maxBuffer,
    polledAt: (names) => cursorTimes(paths, names),
    requestExit: () => void stop('exit'),
  });

  const stop = (reason: CloseReason): Promise<void> => {
    stopping ??= (async () => {
      log(`stopping (${reason})`);
      room.closing = true;
      room.hub.end(
        reason,
        reason === 'exit' ? `${paths.room} was shut down by the host` : `the broker of ${paths.room} stopped`,
      );
      await room.hub.drained(3000);
      room.hub.stop();
      await app?.close();
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

  app = await buildApp({ room, version: VERSION, requestTimeoutMs: config.requestTimeoutMs });
  await listen(app, paths.socket);
  log(`room ${paths.room} listening on ${paths.socket} (pid ${process.pid}, version ${VERSION})`);
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
