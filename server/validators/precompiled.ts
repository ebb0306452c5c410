// The validators the build generated (server/validators/generate.ts), for
// the bundled broker. Here, in the source, there are none: scripts/build.ts
// bundles the generated code in this module's place, with the same exports,
// so dist/broker.js has them. Run from source (the OpenAPI generator, tests
// that import server code), the app compiles its validators with Ajv and
// the history is checked by shared/validate.ts.
import type { RoomEvent } from '../../shared/events.ts';
import type { Validate } from './route-validators.ts';

export interface Precompiled {
  /** Each route part's validator, by routePartKey. */
  readonly routes: Readonly<Record<string, Validate>>;
  /** The Event schema's check, with shared/validate.ts's verdicts (for history lines). */
  readonly isRoomEvent: (value: unknown) => value is RoomEvent;
}

export const precompiled: Precompiled | undefined = undefined;
