// Forwards the page's API calls (`/api/<path>`) to the broker's Unix socket
// and streams the answer back, Server-Sent Events included. The gateway adds
// nothing and keeps nothing: the broker checks the Bearer token on every
// call, as it does for any client.
//
// A broker that is not running (stopped when idle, crashed, killed) is
// started again through client/broker-start.ts, the path every client uses,
// and the call is made once more; a start that fails answers 503 with the
// reason. A stream cut by a dying broker ends the page's stream, which
// reconnects with Last-Event-ID and so lands on the new broker.
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { RoomError, roomError } from '../../shared/errors.ts';
import type { RoomPaths } from '../../shared/paths.ts';
import { ensureBroker } from '../broker-start.ts';
import { SECURITY_HEADERS } from './static-files.ts';

/** Request headers the broker needs; everything else (cookies, origin, user agent) stays behind. */
const REQUEST_HEADERS = ['authorization', 'content-type', 'accept', 'last-event-id', 'idempotency-key'];
/** Response headers worth passing on; hop-by-hop ones are the gateway's own business. */
const RESPONSE_HEADERS = ['content-type', 'cache-control', 'www-authenticate', 'retry-after', 'allow', 'location'];
/** The broker refuses far smaller bodies (64 KiB of content); this only bounds what the gateway holds. */
const MAX_BODY_BYTES = 1024 * 1024;

export function sendError(res: ServerResponse, error: RoomError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ code: error.code, message: error.message });
  res.writeHead(error.status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(roomError('body_too_large', { limit: MAX_BODY_BYTES }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isNobodyListening(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

export interface ProxyHooks {
  /** A stream (GET /events) was opened to the broker for a page, and later closed. */
  readonly streamOpened: () => void;
  readonly streamClosed: () => void;
}

export class BrokerProxy {
  readonly #paths: RoomPaths;
  readonly #hooks: ProxyHooks;

  constructor(paths: RoomPaths, hooks: ProxyHooks) {
    this.#paths = paths;
    this.#hooks = hooks;
  }

  /** Forwards `req` (its path without the /api prefix is `path`) and answers `res`. */
  async forward(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (typeof req.headers.authorization !== 'string' || !/^Bearer \S+$/i.test(req.headers.authorization)) {
      sendError(res, roomError('missing_token.api_call'));
      return;
    }
    try {
      const body = await readBody(req);
      let upstream: IncomingMessage;
      try {
        upstream = await this.#send(req, res, path, body);
      } catch (error) {
        if (!isNobodyListening(error)) throw error;
        await ensureBroker(this.#paths);
        upstream = await this.#send(req, res, path, body);
      }
      this.#relay(upstream, req, res, path);
    } catch (error) {
      sendError(
        res,
        error instanceof RoomError
          ? error
          : roomError('broker_unreachable.no_answer', { room: this.#paths.room, detail: (error as Error).message }),
      );
    }
  }

  /** The user `token` belongs to, asked of the broker (started if need be); undefined if it refuses the token. */
  async userOf(token: string): Promise<string | undefined> {
    const ask = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            socketPath: this.#paths.socket,
            path: '/users',
            headers: { authorization: `Bearer ${token}` },
            agent: false,
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    let answer: { status: number; body: string };
    try {
      answer = await ask();
    } catch (error) {
      if (!isNobodyListening(error)) throw error;
      await ensureBroker(this.#paths);
      answer = await ask();
    }
    if (answer.status !== 200) return undefined;
    return (JSON.parse(answer.body) as { you: string }).you;
  }

  #send(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): Promise<IncomingMessage> {
    const headers: Record<string, string | number> = { 'content-length': body.length };
    for (const name of REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return new Promise((resolve, reject) => {
      const upstream = request(
        { socketPath: this.#paths.socket, method: req.method, path, headers, agent: false },
        resolve,
      );
      upstream.on('error', reject);
      // The page went away (a closed tab, a reconnect): the broker's session ends with it.
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  }

  #relay(upstream: IncomingMessage, req: IncomingMessage, res: ServerResponse, path: string): void {
    const headers: Record<string, string> = { ...SECURITY_HEADERS };
    for (const name of RESPONSE_HEADERS) {
      const value = upstream.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const stream = req.method === 'GET' && path.split('?')[0] === '/events' && upstream.statusCode === 200;
    if (stream) {
      headers['x-accel-buffering'] = 'no';
      this.#hooks.streamOpened();
      res.once('close', () => this.#hooks.streamClosed());
    }
    res.writeHead(upstream.statusCode ?? 502, headers);
    if (stream) res.flushHeaders();
    upstream.pipe(res);
    // A broker that dies mid-stream: end the page's stream so it reconnects.
    upstream.on('error', () => res.destroy());
    upstream.on('close', () => {
      if (!upstream.complete) res.destroy();
    });
  }
}
