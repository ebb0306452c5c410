// What the build generates for the bundled broker (server/precompiled/generate.ts):
// its validators as plain code and its OpenAPI document. Here, in the source,
// there is nothing: scripts/build.ts bundles the generated module in this
// one's place, with the same export, so dist/broker.js has them. Run from
// source (the OpenAPI generator, tests that import server code), the app
// compiles its validators with Ajv, @fastify/swagger makes the document, and
// the history is checked by shared/validate.ts.
import type { RoomEvent } from '../../shared/events.ts';
import type { Validate } from './route-validators.ts';

export interface Generated {
  /** Each route part's validator, by routePartKey. */
  readonly routes: Readonly<Record<string, Validate>>;
  /** The Event schema's check, with shared/validate.ts's verdicts (for history lines). */
  readonly isRoomEvent: (value: unknown) => value is RoomEvent;
  /** The document GET /openapi.json serves: server/openapi.ts's, as openapi/openapi.json holds it. */
  readonly openapi: unknown;
}

export const generated: Generated | undefined = undefined;
