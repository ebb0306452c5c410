// A JSON body (a request's, or a channel line) parsed as Fastify parses one
// by default, with secure-json-parse (a `__proto__` or
// `constructor.prototype` key is refused), but the refusal says why:
// Fastify's own answers every bad body with the same sentence.
import secureJsonParse from 'secure-json-parse';
import { roomError } from '../shared/errors.ts';

/** The value of a JSON text; invalid_json with the reason otherwise. */
export function parseJsonBody(text: string): unknown {
  if (text === '') throw roomError('invalid_json', { detail: 'the body is empty' });
  try {
    return secureJsonParse(text, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw roomError('invalid_json', { detail: error instanceof Error ? error.message : String(error) });
  }
}
