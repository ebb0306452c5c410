// Generates the API document from the route schemas, without a socket: the
// broker app is built over a throwaway room with an in-memory log. `npm run openapi` writes it to
// openapi/openapi.json; test/openapi.test.ts fails when that file is stale.
import type { FastifyInstance } from 'fastify';
import { emptyState } from '../shared/room-state.ts';
import { VERSION } from '../shared/version.ts';
import { type AppOptions, buildApp } from './app.ts';
import { Broker } from './broker.ts';
import { MemoryLog } from './log/memory-log.ts';
import { Registry } from './registry.ts';

/** Builds the broker's app over a throwaway room (no socket), readies it, hands it to `use`, then closes both. */
export async function withDetachedApp<T>(
  options: Omit<AppOptions, 'room' | 'version'>,
  use: (app: FastifyInstance) => T,
): Promise<T> {
  const room = new Broker({
    id: 'doc',
    log: new MemoryLog(),
    registry: new Registry(emptyState('doc', 'doc.chat'), () => {}),
    heartbeatMs: 60_000,
    maxBuffer: 1 << 20,
    stallMs: 30_000,
    polledAt: () => new Map(),
    requestExit: () => {},
  });
  try {
    const app = await buildApp({ ...options, room, version: VERSION });
    await app.ready();
    const result = use(app);
    await app.close();
    return result;
  } finally {
    room.hub.stop();
    room.claims.stop();
  }
}

export function generateOpenApi(): Promise<unknown> {
  return withDetachedApp({ checkSchemas: true }, (app) => app.swagger());
}

/** The document as committed: pretty JSON with a final newline. */
export function formatOpenApi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
