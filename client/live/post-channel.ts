// The long-lived clients' sends, over the broker's publish channel
// (server/channel.ts: GET /channel upgraded to JSON lines): one connection
// for a session's sends instead of an HTTP request each, which costs the
// broker about a third as much per message (bench/README.md). Opened on the
// first send, and again after it closes (a broker restart).
//
// Invariants:
// - answers come back in the order the lines were written, so the first
//   answer owed is the next one read;
// - a line written but not answered when the channel closes is rejected
//   as a cut connection (ECONNRESET): the broker may have stored it, so the
//   caller retries it with the same idempotency key;
// - a broker without a channel (an older build, still running) answers the
//   upgrade with a 404: `send` then resolves null and the caller posts over
//   HTTP, for as long as this client lives;
// - answers are split into lines as bytes, then decoded: a character may
//   arrive split between two reads.
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import { errorFromResponse } from '../../shared/error-response.ts';

/** What the broker answers a channel it does not have: an older build, before /channel. */
const NO_CHANNEL = new Set(['not_found', 'method_not_allowed']);

interface Owed {
  readonly resolve: (line: string) => void;
  readonly reject: (error: unknown) => void;
}

/** A line written, or about to be, on a channel that closed: the broker may have it (retry with its key). */
const cut = () => Object.assign(new Error('the channel closed before the broker answered'), { code: 'ECONNRESET' });

/** One token's channel (a client keeps one per token it posts with). */
export class PostChannel {
  readonly #socketPath: string;
  readonly #token: string;
  readonly #connect: () => Duplex;
  /** The channel being opened or open (null: the broker has none). */
  #socket: Promise<Duplex | null> | undefined;
  /** The open channel's socket, once it has switched. */
  #live: Duplex | undefined;
  /** The upgrade request while it waits for its answer. */
  #opening: ClientRequest | undefined;
  #owed: Owed[] = [];
  #unsupported = false;

  /** `connect` makes the connection (it checks the socket before the token goes to it). */
  constructor(socketPath: string, token: string, connect: () => Duplex) {
    this.#socketPath = socketPath;
    this.#token = token;
    this.#connect = connect;
  }

  /**
   * Writes one line (a JSON value, without its newline) and resolves with
   * the broker's answer line; null when the broker has no channel. A refused
   * upgrade rejects with the broker's RoomError; a transport failure with
   * Node's error (its `code` says which).
   */
  async send(line: string): Promise<string | null> {
    if (this.#unsupported) return null;
    this.#socket ??= this.#open();
    const opening = this.#socket;
    let socket: Duplex | null;
    try {
      socket = await opening;
    } catch (error) {
      if (this.#socket === opening) this.#socket = undefined;
      throw error;
    }
    if (socket === null) return null;
    // Closed while this send waited for it: the line goes on the next channel (the caller retries a cut).
    if (socket.destroyed || this.#live !== socket) throw cut();
    return new Promise((resolve, reject) => {
      this.#owed.push({ resolve, reject });
      socket.write(`${line}\n`);
    });
  }

  /** Ends the channel: the broker answers what it was sent, then closes it; an upgrade still unanswered is given up. */
  async close(): Promise<void> {
    this.#opening?.destroy();
    const socket = await this.#socket?.catch(() => null);
    if (socket === null || socket === undefined || socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end();
    const timer = setTimeout(() => socket.destroy(), 2000);
    await closed;
    clearTimeout(timer);
  }

  #open(): Promise<Duplex | null> {
    return new Promise((resolve, reject) => {
      const req: ClientRequest = request({
        socketPath: this.#socketPath,
        path: '/channel',
        headers: { connection: 'Upgrade', upgrade: 'room-channel', authorization: `Bearer ${this.#token}` },
        createConnection: () => this.#connect(),
      });
      this.#opening = req; // until it is answered (destroying it after that, or after an error, does nothing)
      req.on('upgrade', (_response, socket, head) => {
        this.#opening = undefined;
        this.#live = socket;
        this.#read(socket, head);
        resolve(socket);
      });
      req.on('response', (response: IncomingMessage) => {
        this.#opening = undefined;
        void text(response)
          .catch(() => '')
          .then((body) => {
            req.destroy(); // the upgrade's connection is kept for nothing else
            const error = errorFromResponse(response.statusCode ?? 0, body);
            if (NO_CHANNEL.has(error.code)) {
              this.#unsupported = true;
              resolve(null);
            } else reject(error);
          });
      });
      req.on('error', reject);
      req.end();
    });
  }

  #read(socket: Duplex, head: Buffer): void {
    let pending: Buffer[] = [];
    const take = (chunk: Buffer) => {
      let start = 0;
      for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
        const answer = Buffer.concat([...pending, chunk.subarray(start, newline)]).toString('utf8');
        pending = [];
        start = newline + 1;
        this.#owed.shift()?.resolve(answer);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    };
    socket.on('data', take);
    socket.on('error', () => {});
    socket.once('close', () => {
      if (this.#live === socket) this.#drop();
    });
    if (head.length > 0) take(head);
  }

  /** Forgets the channel: the lines still owed an answer are rejected as cut; the next send opens another. */
  #drop(): void {
    const owed = this.#owed;
    this.#live?.destroy();
    this.#owed = [];
    this.#socket = undefined;
    this.#live = undefined;
    for (const { reject } of owed) reject(cut());
  }
}

/**
 * A channel answer line as what a POST would have said: a stored event (it
 * has a seq; a 201), a private notice (none; a 200), or the broker's refusal,
 * thrown as its RoomError.
 */
export function channelAnswer(line: string): { readonly stored: boolean; readonly value: object } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // not JSON: errorFromResponse says so
  }
  const value = parsed as { type?: unknown; seq?: unknown } | null | undefined;
  if (typeof value !== 'object' || value === null || typeof value.type !== 'string') throw errorFromResponse(200, line);
  return { stored: value.seq !== undefined, value };
}
