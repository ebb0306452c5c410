// A small checker for the subset of JSON Schema that shared/events.ts and
// shared/api.ts use, so clients check history lines and SSE payloads against
// the same schemas the broker validates with Ajv, without loading Ajv on the
// one-shot path. test/validate.test.ts holds it to Ajv's verdicts.
//
// Length keywords count code points, as JSON Schema (and Ajv) do.
import { EVENT_SCHEMAS, Event, type RoomEvent } from './events.ts';

type Schema = Readonly<Record<string, unknown>>;

/** The formats the schemas use, as this checker reads them (the broker's history check uses them too: server/precompiled/generate.ts). */
export const FORMATS: Readonly<Record<string, RegExp>> = {
  uuid: /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$/,
};

const patterns = new Map<string, RegExp>();
function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (re === undefined) {
    re = new RegExp(source, 'u');
    patterns.set(source, re);
  }
  return re;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: unknown, type: unknown): boolean {
  const actual = typeOf(value);
  const allowed = Array.isArray(type) ? type : [type];
  return allowed.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export class SchemaChecker {
  readonly #byId = new Map<string, Schema>();

  constructor(schemas: readonly Schema[]) {
    for (const s of schemas) this.#byId.set(String(s.$id), s);
  }

  check(schema: Schema, value: unknown): boolean {
    if (typeof schema.$ref === 'string') return this.check(this.#resolve(schema), value);
    if ('const' in schema && value !== schema.const) return false;
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return false;
    if (schema.type !== undefined && !hasType(value, schema.type)) return false;
    if (typeof value === 'string' && !this.#checkString(schema, value)) return false;
    if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) return false;
    if (Array.isArray(value) && !this.#checkArray(schema, value)) return false;
    if (typeOf(value) === 'object' && !this.#checkObject(schema, value as Record<string, unknown>)) return false;
    if (Array.isArray(schema.oneOf)) return this.#checkOneOf(schema, schema.oneOf as Schema[], value);
    return true;
  }

  #resolve(schema: Schema): Schema {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const target = this.#byId.get(ref.replace(/#$/, ''));
    if (target === undefined) throw new Error(`unknown schema ${ref}`);
    return target;
  }

  // With a discriminator only the branch whose tag matches is tried, as Ajv does.
  #checkOneOf(schema: Schema, branches: Schema[], value: unknown): boolean {
    const tag = (schema.discriminator as { propertyName?: string } | undefined)?.propertyName;
    if (tag !== undefined) {
      if (typeOf(value) !== 'object') return false;
      const actual = (value as Record<string, unknown>)[tag];
      const branch = branches
        .map((b) => this.#resolve(b))
        .find((b) => (b.properties as Record<string, Schema> | undefined)?.[tag]?.const === actual);
      return branch !== undefined && this.check(branch, value);
    }
    return branches.filter((s) => this.check(s, value)).length === 1;
  }

  #checkString(schema: Schema, value: string): boolean {
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength && codePoints(value) > schema.maxLength)
      return false;
    if (typeof schema.minLength === 'number' && codePoints(value) < schema.minLength) return false;
    if (typeof schema.pattern === 'string' && !pattern(schema.pattern).test(value)) return false;
    const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
    return format === undefined || format.test(value);
  }

  #checkArray(schema: Schema, value: unknown[]): boolean {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return false;
    const items = schema.items as Schema | undefined;
    return items === undefined || value.every((v) => this.check(items, v));
  }

  #checkObject(schema: Schema, value: Record<string, unknown>): boolean {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    if (Array.isArray(schema.required) && !schema.required.every((k: string) => Object.hasOwn(value, k))) return false;
    for (const [key, v] of Object.entries(value)) {
      // Own properties only: a key such as `__proto__` or `toString` is not one the schema names.
      const sub = Object.hasOwn(props, key) ? props[key] : undefined;
      if (sub === undefined) {
        if (schema.additionalProperties === false) return false;
      } else if (!this.check(sub, v)) {
        return false;
      }
    }
    return true;
  }
}

const events = new SchemaChecker(EVENT_SCHEMAS);

/** True when `value` is a well-formed history event. */
export function isRoomEvent(value: unknown): value is RoomEvent {
  return events.check(Event, value);
}

/** Parses one history line or SSE payload; `null` when it is not a valid event (by `check`: this checker unless given). */
export function parseEvent(
  line: string,
  check: (value: unknown) => value is RoomEvent = isRoomEvent,
): RoomEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  return check(value) ? value : null;
}
