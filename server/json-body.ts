// A JSON body (a request's, or a channel line) parsed as Fastify parses one
// by default, with secure-json-parse (a `__proto__` or
// `constructor.prototype` key is refused), but the refusal says why:
// Fastify's own answers every bad body with the same sentence. JSON is UTF-8
// (RFC 8259): bytes that are not are refused, not stored as U+FFFD.
import secureJsonParse from 'secure-json-parse';
import { roomError } from '../shared/errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes as UTF-8 text; undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The value of a JSON body given as bytes; invalid_json with the reason otherwise. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  const text = decodeUtf8(bytes);
  if (text === undefined) throw roomError('invalid_json.not_utf8');
  return parseJsonBody(text);
}

/** The value of a JSON text; invalid_json with the reason otherwise. */
export function parseJsonBody(text: string): unknown {
  if (text === '') throw roomError('invalid_json', { detail: 'the body is empty' });
  try {
    return secureJsonParse(text, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw roomError('invalid_json', { detail: error instanceof Error ? error.message : String(error) });
  }
}
