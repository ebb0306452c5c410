// JSON over the room's Unix socket for the one-shot commands, on node:http.
// node:http is loaded through createRequire: an ESM `import 'node:http'`
// costs 30-45 ms more on Node 24 (it builds the namespace, touching the
// lazy WebSocket getter), and one-shots are started thousands of times.
// The socket comes from `createConnection`, with no Agent: an Agent (even
// `agent: false` makes one) checks whether the host is an IP address, and
// compiling that IPv6 pattern costs a one-shot ~1.5 ms (bench/README.md).
// The long-lived clients (TUI, agent mode) use undici instead.
import { createRequire } from 'node:module';
import { type RoomError, roomError } from '../shared/errors.ts';
import { errorFromResponse } from '../shared/error-response.ts';
import { roomOfSocket } from '../shared/paths.ts';
import { checkSocketPath } from '../shared/safe-fs.ts';

const require = createRequire(import.meta.url);

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

export function request(socketPath: string, options: RequestOptions): Promise<Response> {
  checkSocketPath(socketPath); // not a symlink, a socket, ours: else someone else would get our token
  const http = require('node:http') as typeof import('node:http');
  const net = require('node:net') as typeof import('node:net');
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers, connection: 'close' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { createConnection: () => net.connect(socketPath), method: options.method, path: options.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        reject(notRunning(socketPath));
      } else {
        reject(roomError('broker_unreachable.failed', { socket: socketPath, detail: error.message }));
      }
    });
    req.end(body);
  });
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
