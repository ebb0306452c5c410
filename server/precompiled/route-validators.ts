// The validators of the routes' request parts (bodies, query strings,
// headers, params), and the two Ajv configurations they come from. Fastify
// asks its `buildValidator` factory for one validator per route and part;
// here that factory is made from a *pool* with @fastify/ajv-compiler's
// signature, `(externalSchemas, options) => (route) => validate`, which is
// one of:
// - Ajv compiling at start (`compilingPool`): the OpenAPI generator, which
//   also checks every schema against the meta-schema;
// - Ajv compiling and handing each validator's source to a store
//   (@fastify/ajv-compiler's StandaloneValidator, write mode): the build
//   (server/precompiled/generate.ts);
// - the code the build generated (`precompiledPool`, what StandaloneValidator
//   does in read mode): the bundled broker, which thus starts without
//   generating code or creating Ajv instances.
// The same options reach Ajv in the first two, so the code the build
// generates behaves as the validators compiled at start.

/** A route's request part, as Fastify hands it to the validator compiler (the typings say less). */
export interface RoutePart {
  readonly schema: unknown;
  readonly method?: string | readonly string[];
  readonly url?: string;
  readonly httpPart?: string;
  /** A body schema given per media type (`content`) is compiled once per type. */
  readonly contentType?: string;
}

/** What a validator compiler makes: Ajv's ValidateFunction, as far as Fastify uses it. */
export type Validate = ((data: unknown) => boolean) & { errors?: unknown };

/** @fastify/ajv-compiler's shape: a compiler per set of shared schemas and Ajv options. */
export type ValidatorPool = (
  externalSchemas: Record<string, unknown>,
  options: { customOptions: Record<string, unknown> },
) => (route: RoutePart) => Validate;

/**
 * Bodies are validated strictly: no coercion (`content: 123` is a 400), and
 * a field the schema does not name is an error, not removed in silence.
 * Query strings and headers are text on the wire, so their numbers are
 * converted (and unknown parameters are refused by the routes, which name
 * the known ones). Both on top of @fastify/ajv-compiler's defaults
 * (useDefaults, removeAdditional, ajv-formats).
 */
const STRICT = { coerceTypes: false, removeAdditional: false, discriminator: true } as const;
const COERCING = { coerceTypes: 'array', discriminator: true } as const;

/**
 * Fastify's `buildValidator` from a pool: bodies from the strict Ajv
 * configuration, the other parts from the coercing one. Checking the
 * schemas against JSON Schema's meta-schema costs each Ajv ~60 ms of CPU
 * (it compiles the meta-schema first), so only the OpenAPI generator asks
 * for it (`checkSchemas`): the schemas are fixed in the code, and
 * test/openapi.test.ts runs that generator on every test run.
 */
export function routeValidators(pool: ValidatorPool, { checkSchemas = false }: { checkSchemas?: boolean } = {}) {
  return (externalSchemas: Record<string, unknown>) => {
    const strict = pool(externalSchemas, { customOptions: { ...STRICT, validateSchema: checkSchemas } });
    const coercing = pool(externalSchemas, { customOptions: { ...COERCING, validateSchema: checkSchemas } });
    return (route: RoutePart) => (route.httpPart === 'body' ? strict : coercing)(route);
  };
}

/**
 * routeValidators that also keeps what it made, by route part: the app
 * checks a channel line with the validator of a POST /messages body
 * (server/channel.ts), the very function Fastify got, not a second compile.
 */
export function keptValidators(pool: ValidatorPool, options: { checkSchemas?: boolean } = {}) {
  const made = new Map<string, Validate>();
  const build = routeValidators(pool, options);
  return {
    buildValidator: (externalSchemas: Record<string, unknown>) => {
      const forRoute = build(externalSchemas);
      return (route: RoutePart) => {
        const validate = forRoute(route);
        made.set(routePartKey(route), validate);
        return validate;
      };
    },
    /** The validator made for this route part; throws if Fastify asked for none. */
    made: (route: RoutePart): Validate => {
      const validate = made.get(routePartKey(route));
      if (validate === undefined) throw new Error(`no validator was made for ${routePartKey(route)}`);
      return validate;
    },
  };
}

/** Names a route's part: the key of its validator in the build's table. */
export function routePartKey(route: RoutePart): string {
  const method = Array.isArray(route.method) ? route.method.join(',') : String(route.method);
  return [method, route.url, route.httpPart, route.contentType].filter((s) => s !== undefined).join(' ');
}

/**
 * Ajv, loaded when asked for: a broker started from the build's code never
 * loads it. One pool per app: it keeps one Ajv per set of schemas and
 * options, as Fastify's own does.
 */
export async function compilingPool(): Promise<ValidatorPool> {
  const { default: AjvCompiler } = await import('@fastify/ajv-compiler');
  return AjvCompiler() as unknown as ValidatorPool;
}

/**
 * The validators the build generated, by `routePartKey`. A route part with
 * none is a build older than the routes (or a route added at run time):
 * refused at start, before listening, rather than served unchecked.
 */
export function precompiledPool(table: Readonly<Record<string, Validate>>): ValidatorPool {
  return () => (route) => {
    const validate = table[routePartKey(route)];
    if (validate === undefined)
      throw new Error(`no validator was generated for ${routePartKey(route)}: rebuild (npm run build)`);
    return validate;
  };
}
