// JSON over the room's Unix socket for the one-shot commands: one HTTP/1.1
// exchange on node:net (client/http-over-net.ts), which starts faster than
// node:http (bench/README.md "Cold start"). The long-lived clients (TUI,
// agent mode) use node:http with a keep-alive Agent instead.
import { type RoomError, roomError } from '../shared/errors.ts';
import { errorFromResponse } from '../shared/error-response.ts';
import { roomOfSocket } from '../shared/paths.ts';
import { checkSocketPath } from '../shared/safe-fs.ts';
import { exchange } from './http-over-net.ts';

export interface Response {
  readonly status: number;
  readonly body: string;
}

export interface RequestOptions {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly token?: string;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Turns an error response (`{code, message}`) into a RoomError. */
export function errorFrom(response: Response): RoomError {
  return errorFromResponse(response.status, response.body);
}

/** What to say when nobody listens: how to bring the room back, on one line. */
function notRunning(socketPath: string): RoomError {
  const room = roomOfSocket(socketPath);
  if (room === undefined) return roomError('broker_unreachable.not_running', { socket: socketPath });
  return roomError('broker_unreachable.room_not_running', { room });
}

export async function request(socketPath: string, options: RequestOptions): Promise<Response> {
  checkSocketPath(socketPath); // not a symlink, a socket, ours: else someone else would get our token
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  // A line break or control character cannot go into a header (and no token has one).
  if (options.token !== undefined && /[\x00-\x1f\x7f]/.test(options.token))
    throw roomError('invalid_token.control_character');
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const answer = await exchange(socketPath, { method: options.method, path: options.path, headers, body });
    return { status: answer.status, body: answer.body.toString('utf8') };
  } catch (error) {
    if (error instanceof TypeError) throw error; // a header or path that cannot be sent: a bug, not the broker
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      throw notRunning(socketPath);
    }
    throw roomError('broker_unreachable.failed', { socket: socketPath, detail: message });
  }
}

/**
 * Sends a request and returns the parsed body of a 2xx answer; throws the
 * broker's error otherwise. `body` is the answer's JSON line without its
 * final newline, ready to print as one line of NDJSON.
 */
export async function call<T>(
  socketPath: string,
  options: RequestOptions,
): Promise<{ status: number; body: string; value: T }> {
  const response = await request(socketPath, options);
  if (response.status < 200 || response.status >= 300) throw errorFrom(response);
  const body = response.body.endsWith('\n') ? response.body.slice(0, -1) : response.body;
  return { status: response.status, body, value: JSON.parse(body) as T };
}
