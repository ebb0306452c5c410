// HTTP to the broker for long-lived clients (TUI, agent mode), on undici
// over the room's socket. Its ~90 ms load is paid once per session.
import type { Claim } from '../../shared/claims.ts';
import { randomUUID } from 'node:crypto';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import type { Inbound, TokenResponse, Users } from '../../shared/api.ts';
import { RoomError, roomError } from '../../shared/errors.ts';
import { errorFromResponse } from '../../shared/error-response.ts';
import type { Notice, RoomEvent } from '../../shared/events.ts';
import { checkSocketPath } from '../../shared/safe-fs.ts';

export type PostAnswer =
  | { readonly stored: true; readonly event: RoomEvent }
  | { readonly stored: false; readonly notice: Notice };

const ORIGIN = 'http://room';

/** A transport failure (nobody listening, connection cut) rather than an answer. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof RoomError && (error.code === 'broker_unreachable' || error.code === 'room_closing');
}

function unreachable(socketPath: string, error: unknown): RoomError {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED')
    return roomError('broker_unreachable.not_running', { socket: socketPath }, { cause: error });
  const detail = code ?? (error as Error).message;
  return roomError('broker_unreachable.connection_failed', { detail, socket: socketPath }, { cause: error });
}

/** How many times a post whose connection was cut is sent again, with the same Idempotency-Key. */
const CUT_RETRIES = 2;

/**
 * A connection cut after it was made (the broker may have stored the post
 * before the answer was lost), as opposed to nobody listening.
 */
function wasCut(error: unknown): boolean {
  if (!(error instanceof RoomError) || error.code !== 'broker_unreachable') return false;
  const code = (error.cause as { code?: string } | undefined)?.code;
  return code !== 'ENOENT' && code !== 'ECONNREFUSED';
}

export class BrokerClient {
  readonly socketPath: string;
  readonly dispatcher: Agent;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    // Every connection, reconnects after a broker restart included, checks
    // the socket first (shared/safe-fs.ts): a socket planted by another user
    // while the broker was away must not receive our token.
    const connector = buildConnector({ socketPath });
    this.dispatcher = new Agent({
      connect: (options, callback) => {
        try {
          checkSocketPath(socketPath);
        } catch (error) {
          callback(error as Error, null);
          return;
        }
        connector(options, callback);
      },
    });
  }

  /** Sends a request; a non-2xx answer becomes the broker's RoomError, a transport failure `broker_unreachable`. */
  async send(
    method: 'GET' | 'POST',
    path: string,
    options: { token?: string; json?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${ORIGIN}${path}`, {
        dispatcher: this.dispatcher,
        method,
        headers,
        body,
        signal: options.signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError' || error instanceof RoomError) throw error;
      throw unreachable(this.socketPath, error);
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    throw errorFromResponse(response.statusCode, await response.body.text().catch(() => ''));
  }

  async join(username: string): Promise<TokenResponse> {
    const response = await this.send('POST', '/join', { json: { username } });
    return (await response.body.json()) as TokenResponse;
  }

  async users(token: string): Promise<Users> {
    const response = await this.send('GET', '/users', { token });
    return (await response.body.json()) as Users;
  }

  /** The open claims (GET /claims), oldest first. */
  async claims(token: string): Promise<Claim[]> {
    const response = await this.send('GET', '/claims', { token });
    return ((await response.body.json()) as { claims: Claim[] }).claims;
  }

  /** Up to `limit` events the token's user can see just before event `id`, oldest first (GET /messages?before=). */
  async before(token: string, id: string, limit: number): Promise<RoomEvent[]> {
    const response = await this.send('GET', `/messages?before=${encodeURIComponent(id)}&limit=${limit}`, { token });
    return (await response.body.json()) as RoomEvent[];
  }

  /** The last `limit` events the token's user can see (GET /messages). */
  async recent(token: string, limit: number): Promise<RoomEvent[]> {
    const response = await this.send('GET', `/messages?limit=${limit}`, { token });
    return (await response.body.json()) as RoomEvent[];
  }

  /**
   * Posts one event with an Idempotency-Key (a new one unless given: give the
   * same key to retry the same event later). A post whose connection is cut
   * is sent again at once, up to CUT_RETRIES times, with the same key: the
   * broker answers a retry it has already stored with the original record.
   */
  async post(token: string, inbound: Inbound, idempotencyKey: string = randomUUID()): Promise<PostAnswer> {
    const headers = { 'idempotency-key': idempotencyKey };
    for (let attempt = 0; ; attempt++) {
      let response: Dispatcher.ResponseData;
      try {
        response = await this.send('POST', '/messages', { token, json: inbound, headers });
      } catch (error) {
        if (attempt < CUT_RETRIES && wasCut(error)) continue;
        throw error;
      }
      const value = (await response.body.json()) as RoomEvent | Notice;
      return response.statusCode === 201
        ? { stored: true, event: value as RoomEvent }
        : { stored: false, notice: value as Notice };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
