// The one decoder of the broker's error bodies, for both HTTP clients
// (client/http.ts on node:net, client/live/broker-client.ts on node:http):
// `{code, message}` with a known code becomes that RoomError; anything else
// (a proxy's page, a truncated body, a code this client does not know) is
// an `internal` error quoting the start of the body.
import { isErrorCode, type RoomError, receivedError, roomError } from './errors.ts';

export function errorFromResponse(status: number, body: string): RoomError {
  try {
    const { code, message } = JSON.parse(body) as { code?: unknown; message?: unknown };
    if (isErrorCode(code) && typeof message === 'string') return receivedError(code, message);
  } catch {
    // not JSON: fall through
  }
  return roomError('internal.unexpected_answer', { status, body: body.trim().slice(0, 200) });
}
