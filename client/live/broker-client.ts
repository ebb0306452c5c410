// HTTP to the broker for long-lived clients (TUI, agent mode), on node:http
// over the room's socket, one keep-alive Agent for the session. Not undici:
// its module graph and its HTTP parser (llhttp in WebAssembly, compiled
// again by V8's optimizing compiler once a long replay makes it hot) cost
// a session ~25 MB of memory that node:http, whose parser is native, does
// not (bench/README.md, "Terminal UI under a flood").
import type { Claim } from '../../shared/claims.ts';
import { randomUUID } from 'node:crypto';
import { Agent, type ClientRequestArgs, type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { json, text } from 'node:stream/consumers';
import type { Inbound, TokenResponse, Users } from '../../shared/api.ts';
import { RoomError, roomError } from '../../shared/errors.ts';
import { errorFromResponse } from '../../shared/error-response.ts';
import type { Notice, RoomEvent } from '../../shared/events.ts';
import { roomOfSocket } from '../../shared/paths.ts';
import { checkSocketPath } from '../../shared/safe-fs.ts';
import { channelAnswer, PostChannel } from './post-channel.ts';

export type PostAnswer =
  | { readonly stored: true; readonly event: RoomEvent }
  | { readonly stored: false; readonly notice: Notice };

/** A 2xx answer: its status, and its body as a stream (read it whole with readJson, or chunk by chunk). */
export interface BrokerResponse {
  readonly statusCode: number;
  readonly body: IncomingMessage;
}

/** The body of an answer, read whole and parsed as JSON. */
export const readJson = async <T>(response: BrokerResponse): Promise<T> => (await json(response.body)) as T;

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
  // A cut has a transport error behind it (ECONNRESET, EPIPE…); nobody listening is not a cut.
  const code = (error.cause as { code?: string } | undefined)?.code;
  return code !== undefined && code !== 'ENOENT' && code !== 'ECONNREFUSED';
}

/** Runs `attempt`, and again up to CUT_RETRIES times while it fails on a cut connection. */
async function retryingCuts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= CUT_RETRIES || !wasCut(error)) throw error;
    }
  }
}

/**
 * Connects to the room's socket. Every connection (requests, streams and the
 * publish channel; reconnects after a broker restart included) checks the
 * socket first (shared/safe-fs.ts): a socket planted by another user while
 * the broker was away must not receive our token. Throws what the check finds.
 */
function connectChecked(socketPath: string): Duplex {
  checkSocketPath(socketPath);
  return connect(socketPath);
}

/** Keep-alive connections to the room's socket, each made by connectChecked. */
class SocketAgent extends Agent {
  readonly #socketPath: string;

  constructor(socketPath: string) {
    super({ keepAlive: true });
    this.#socketPath = socketPath;
  }

  override createConnection(
    _options: ClientRequestArgs,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): Duplex | undefined {
    try {
      return connectChecked(this.#socketPath);
    } catch (error) {
      // The agent hands the error to the request (its 'error' event).
      callback?.(error as Error, undefined as unknown as Duplex);
      return undefined;
    }
  }
}

export class BrokerClient {
  readonly socketPath: string;
  readonly #agent: Agent;
  /** Where posts go: the broker's publish channel (client/live/post-channel.ts), one per token. */
  readonly #channels = new Map<string, PostChannel>();
  #closed = false;
  /** Requests not yet closed (answer read, or connection gone): close() waits for them. */
  readonly #open = new Set<Promise<void>>();

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.#agent = new SocketAgent(socketPath);
  }

  /** The token's channel; once close() began, posts are over (a cut one is not tried again). */
  #openChannelFor(token: string): PostChannel {
    if (this.#closed) throw roomError('broker_unreachable.session_over', { room: roomOfSocket(this.socketPath) ?? '' });
    let channel = this.#channels.get(token);
    if (channel === undefined) {
      const socketPath = this.socketPath;
      channel = new PostChannel(socketPath, token, () => connectChecked(socketPath));
      this.#channels.set(token, channel);
    }
    return channel;
  }

  /**
   * Sends a request; resolves once the answer's head arrived. A non-2xx
   * answer becomes the broker's RoomError, a transport failure
   * `broker_unreachable`; an abort through `signal` rejects with an AbortError.
   */
  async send(
    method: 'GET' | 'POST',
    path: string,
    options: { token?: string; json?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<BrokerResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    let response: IncomingMessage;
    try {
      response = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(
          { agent: this.#agent, socketPath: this.socketPath, method, path, headers, signal: options.signal },
          resolve,
        );
        req.on('error', reject);
        const closed = new Promise<void>((done) => req.once('close', done));
        this.#open.add(closed);
        void closed.then(() => this.#open.delete(closed));
        req.end(body);
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError' || error instanceof RoomError) throw error;
      throw unreachable(this.socketPath, error);
    }
    const statusCode = response.statusCode ?? 0;
    if (statusCode >= 200 && statusCode < 300) return { statusCode, body: response };
    throw errorFromResponse(statusCode, await text(response).catch(() => ''));
  }

  async join(username: string): Promise<TokenResponse> {
    const response = await this.send('POST', '/join', { json: { username } });
    return readJson<TokenResponse>(response);
  }

  async users(token: string): Promise<Users> {
    const response = await this.send('GET', '/users', { token });
    return readJson<Users>(response);
  }

  /** The open claims (GET /claims), oldest first. */
  async claims(token: string): Promise<Claim[]> {
    const response = await this.send('GET', '/claims', { token });
    return (await readJson<{ claims: Claim[] }>(response)).claims;
  }

  /** Up to `limit` events the token's user can see just before event `id`, oldest first (GET /messages?before=). */
  async before(token: string, id: string, limit: number): Promise<RoomEvent[]> {
    const response = await this.send('GET', `/messages?before=${encodeURIComponent(id)}&limit=${limit}`, { token });
    return readJson<RoomEvent[]>(response);
  }

  /** The last `limit` events the token's user can see (GET /messages). */
  async recent(token: string, limit: number): Promise<RoomEvent[]> {
    const response = await this.send('GET', `/messages?limit=${limit}`, { token });
    return readJson<RoomEvent[]>(response);
  }

  /**
   * Posts one event with an idempotency key (a new one unless given: give
   * the same key to retry the same event later), over the publish channel
   * (as a POST /messages with an Idempotency-Key when the broker has none).
   * A post whose connection is cut is sent again at once, up to CUT_RETRIES
   * times, with the same key: the broker answers a retry it has already
   * stored with the original record.
   */
  async post(token: string, inbound: Inbound, idempotencyKey: string = randomUUID()): Promise<PostAnswer> {
    const line = JSON.stringify({ ...inbound, idempotency_key: idempotencyKey });
    const answer = await retryingCuts(() =>
      this.#openChannelFor(token)
        .send(line)
        .catch((error: unknown) => {
          throw error instanceof RoomError ? error : unreachable(this.socketPath, error);
        }),
    );
    if (answer === null) return retryingCuts(() => this.#postRequest(token, inbound, idempotencyKey));
    const { stored, value } = channelAnswer(answer);
    return stored ? { stored: true, event: value as RoomEvent } : { stored: false, notice: value as Notice };
  }

  /** post() as one POST /messages, for a broker without the publish channel. */
  async #postRequest(token: string, inbound: Inbound, idempotencyKey: string): Promise<PostAnswer> {
    const headers = { 'idempotency-key': idempotencyKey };
    const response = await this.send('POST', '/messages', { token, json: inbound, headers });
    const value = await readJson<RoomEvent | Notice>(response);
    return response.statusCode === 201
      ? { stored: true, event: value as RoomEvent }
      : { stored: false, notice: value as Notice };
  }

  /** Waits for the requests still open (a stream must have been aborted), then closes the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#open, ...[...this.#channels.values()].map((channel) => channel.close())]);
    this.#agent.destroy();
  }
}
