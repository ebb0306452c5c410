// The gateway behind `room web`: an HTTP server on 127.0.0.1 (a free port)
// that serves the page and forwards its API calls to the room's socket. The
// broker stays the only owner of the room; the gateway holds no state but
// the one-time secrets, each good once for one user's token.
//
//   GET  /, /app.js, /app.css   the page (strict CSP)
//   POST /session               {"secret"} → {"token","user","room"}, once per secret
//   POST /secrets               Bearer token → {"secret"}: a new address, for a second
//                               `room web` that reuses this gateway (the token proves who)
//   *    /api/<path>            the broker's /<path>, Bearer token required
//
// Every request first passes the Host and Origin checks (guard.ts). While it
// runs, the gateway's pid and origin are in the room's gateway record
// (shared/paths.ts webGatewayPath), removed when it ends.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RoomError, roomError } from '../../shared/errors.ts';
import type { RoomPaths } from '../../shared/paths.ts';
import { refusal } from './guard.ts';
import { Lifetime } from './lifetime.ts';
import { BrokerProxy, sendError } from './proxy.ts';
import { removeGatewayRecord, writeGatewayRecord } from './record.ts';
import { type Grant, OneTimeSecrets } from './secrets.ts';
import { SECURITY_HEADERS, StaticFiles } from './static-files.ts';

export interface GatewayOptions {
  readonly paths: RoomPaths;
  /** How long to stay up after the last page closed (ms). */
  readonly lingerMs: number;
  /** Called once when the gateway has closed because no page is left. */
  readonly onIdle: () => void;
}

export interface Gateway {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** A new address to open: the origin with a fresh one-time secret in the fragment. */
  readonly address: (grant: Grant) => string;
  readonly close: () => Promise<void>;
}

const MAX_SESSION_BODY = 1024;

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function readSecret(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_SESSION_BODY) throw roomError('body_too_large.session');
  }
  let secret: unknown;
  try {
    secret = (JSON.parse(text) as { secret?: unknown }).secret;
  } catch {
    throw roomError('invalid_json.session');
  }
  if (typeof secret !== 'string' || secret === '') throw roomError('usage.session_secret');
  return secret;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const files = new StaticFiles();
  const secrets = new OneTimeSecrets();
  let origin = '';
  let server: Server | undefined;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      lifetime.stop();
      removeGatewayRecord(options.paths);
      server?.close(() => resolve());
      server?.closeAllConnections();
    });
  const lifetime = new Lifetime({
    lingerMs: options.lingerMs,
    waiting: () => secrets.waiting,
    onIdle: () => void close().then(options.onIdle),
  });
  const proxy = new BrokerProxy(options.paths, {
    streamOpened: () => lifetime.opened(),
    streamClosed: () => lifetime.closed(),
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = refusal(req.headers, origin);
    if (refused !== undefined) throw refused;
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    if ((req.method === 'GET' || req.method === 'HEAD') && files.serve(path, req.method, res)) return;
    if (path === '/session' && req.method === 'POST') {
      const grant = secrets.redeem(await readSecret(req));
      if (grant !== undefined) lifetime.active();
      if (grant === undefined) throw roomError('invalid_token.address_used');
      sendJson(res, 200, { token: grant.token, user: grant.user, room: options.paths.room });
      return;
    }
    if (path === '/secrets' && req.method === 'POST') {
      const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (token === undefined) throw roomError('missing_token.new_address');
      const user = await proxy.userOf(token);
      if (user === undefined) throw roomError('invalid_token.not_in_room', { room: options.paths.room });
      lifetime.active();
      sendJson(res, 200, { secret: secrets.issue({ token, user }) });
      return;
    }
    if (path.startsWith('/api/')) {
      lifetime.active();
      await proxy.forward(req, res, url.slice('/api'.length));
      return;
    }
    throw roomError('not_found.page', { path });
  };

  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      sendError(res, error instanceof RoomError ? error : roomError('internal.unexpected', { detail: String(error) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeGatewayRecord(options.paths, origin);
  return { origin, address: (grant) => `${origin}/#${secrets.issue(grant)}`, close };
}
