// Generates the API document from the route schemas, without a socket: the
// broker app is built over a throwaway room. `npm run openapi` writes it to
// openapi/openapi.json; test/openapi.test.ts fails when that file is stale.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyState } from '../shared/room-state.ts';
import { VERSION } from '../shared/version.ts';
import { buildApp } from './app.ts';
import { History } from './history.ts';
import { Registry } from './registry.ts';
import { Room } from './room.ts';

export async function generateOpenApi(): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'room-openapi-'));
  const { history } = History.open(join(dir, 'doc.chat'));
  const room = new Room({
    id: 'doc',
    history,
    registry: new Registry(emptyState('doc', join(dir, 'doc.chat')), () => {}),
    heartbeatMs: 60_000,
    maxBuffer: 1 << 20,
    polledAt: () => new Map(),
    requestExit: () => {},
  });
  try {
    const app = await buildApp({ room, version: VERSION });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return document;
  } finally {
    room.hub.stop();
    room.claims.stop();
    history.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The document as committed: pretty JSON with a final newline. */
export function formatOpenApi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
