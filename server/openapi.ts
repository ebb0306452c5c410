// Generates the API document from the route schemas, without a socket: the
// broker app is built over a throwaway room with an in-memory log. `npm run openapi` writes it to
// openapi/openapi.json; test/openapi.test.ts fails when that file is stale.
import { emptyState } from '../shared/room-state.ts';
import { VERSION } from '../shared/version.ts';
import { buildApp } from './app.ts';
import { Broker } from './broker.ts';
import { MemoryLog } from './log/memory-log.ts';
import { Registry } from './registry.ts';

export async function generateOpenApi(): Promise<unknown> {
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
    const app = await buildApp({ room, version: VERSION, checkSchemas: true });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return document;
  } finally {
    room.hub.stop();
    room.claims.stop();
  }
}

/** The document as committed: pretty JSON with a final newline. */
export function formatOpenApi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
