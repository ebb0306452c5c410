// Generates, at build time, what the broker would otherwise make at each
// start: the code of every validator it runs (Ajv's standalone code: plain
// functions, no Ajv at run time) and its OpenAPI document. scripts/build.ts
// bundles the result into the broker in place of
// server/precompiled/generated.ts; it is never written to the source tree,
// so it cannot go stale.
//
// - The routes' validators: the app is built over a throwaway room with
//   @fastify/ajv-compiler's StandaloneValidator (write mode), which compiles
//   each route part as the app would at start and hands over its source.
// - The history's line check (server/log/file-log.ts): the Event schema
//   compiled with the formats of shared/validate.ts, whose verdicts it must
//   repeat exactly (test/validate.test.ts holds both to that).
// - The document: the same app's, as server/openapi.ts makes the one
//   openapi/openapi.json holds (test/broker-start-lean.test.ts checks that a
//   broker serves exactly that).
import { StandaloneValidator } from '@fastify/ajv-compiler';
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { EVENT_SCHEMAS, Event } from '../../shared/events.ts';
import { FORMATS } from '../../shared/validate.ts';
import { withDetachedApp } from '../openapi.ts';
import { type RoutePart, routePartKey, type ValidatorPool } from './route-validators.ts';

export interface GeneratedCode {
  /** Each route part's validator (CommonJS source, exporting it), by routePartKey. */
  readonly routes: ReadonlyMap<string, string>;
  /** The history line check, `isRoomEvent` (CommonJS source). */
  readonly historyEvent: string;
  readonly openapi: unknown;
}

export async function generateCode(): Promise<GeneratedCode> {
  const routes = new Map<string, string>();
  const pool = StandaloneValidator({
    readMode: false,
    storeFunction: (route, code) => {
      const key = routePartKey(route as RoutePart);
      if (routes.has(key) && routes.get(key) !== code) throw new Error(`two route parts are named ${key}`);
      routes.set(key, code);
    },
  }) as unknown as ValidatorPool;
  // One app gives both: its validators as it compiles them, and its document (the validators play no part in it).
  const openapi = await withDetachedApp({ validators: pool }, (app) => app.swagger());
  if (routes.size === 0) throw new Error('the app compiled no route validator');
  return { routes, historyEvent: historyEventCode(), openapi };
}

/**
 * The Event schema as shared/validate.ts checks it: its formats (not
 * ajv-formats', which also check dates), no coercion, nothing removed or
 * defaulted, an integer finite (`strictNumbers`: a line may say 1e309,
 * which JSON.parse reads as Infinity); lengths in code points and patterns
 * with the `u` flag, as there (Ajv's defaults).
 */
function historyEventAjv(): Ajv {
  const ajv = new Ajv({
    discriminator: true,
    strict: false,
    strictNumbers: true,
    formats: { ...FORMATS },
    code: { source: true },
  });
  for (const schema of EVENT_SCHEMAS) ajv.addSchema(schema);
  return ajv;
}

/** The standalone code of the history line check (CommonJS: `module.exports` is the function). */
export function historyEventCode(): string {
  const ajv = historyEventAjv();
  return standalone.default(ajv, ajv.compile(Event)); // a CommonJS module: its export is `default` here
}

/**
 * The module that takes server/precompiled/generated.ts's place in the
 * bundle: it imports each validator from `<namespace>:<name>` (the build
 * resolves those to the sources above) and exports them as `generated`.
 */
export function generatedModule(code: GeneratedCode, namespace: string): string {
  const keys = [...code.routes.keys()];
  return [
    ...keys.map((_, i) => `import route${i} from '${namespace}:route${i}';`),
    `import historyEvent from '${namespace}:historyEvent';`,
    'export const generated = {',
    '  routes: {',
    ...keys.map((key, i) => `    ${JSON.stringify(key)}: route${i},`),
    '  },',
    '  isRoomEvent: historyEvent,',
    `  openapi: ${JSON.stringify(code.openapi)},`,
    '};',
  ].join('\n');
}

/** The source of `<namespace>:<name>` in generatedModule. */
export function validatorSource(code: GeneratedCode, name: string): string | undefined {
  if (name === 'historyEvent') return code.historyEvent;
  const match = /^route(\d+)$/.exec(name);
  return match === null ? undefined : [...code.routes.values()][Number(match[1])];
}
