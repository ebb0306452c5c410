// The publish channel: `GET /channel` upgraded (`Connection: Upgrade`,
// `Upgrade: room-channel`) to JSON lines both ways, so that a client sends
// many events over one connection instead of an HTTP request each (most of
// what a send costs the broker is Node's HTTP server: bench/README.md).
//
// Each line in is what a POST /messages JSON body is, plus an optional
// `idempotency_key` (the Idempotency-Key header's equivalent, shared with
// it: a retry over HTTP with the same key finds the channel's send). Each
// line out answers one line in, byte for byte what that POST would have
// answered: the stored event's history line (201), a private notice (200),
// or an error `{code, message}`. Blank lines (JSON whitespace only) are
// skipped; the end of the client's side ends its last line.
//
// Invariants:
// - answers leave in the order of the lines, whatever order the sends
//   complete in; events of one channel are stored in the order sent;
// - a line is answered only once its event is on disk and fanned out (the
//   group commit's callback), as a POST is;
// - every line is authenticated again: once the token is revoked (a kick,
//   /clear-tokens) a line gets invalid_token and the channel closes;
// - a client that does not read its answers is not read either: past
//   MAX_OWED unanswered lines or WRITE_HIGH unread bytes the socket pauses;
// - a line longer than a request body may be is refused and the channel
//   closed: where it ends cannot be known without reading all of it; a line
//   must arrive within the request timeout, as a request must;
// - a refused upgrade is answered and its socket destroyed once written: a
//   client that never hangs up must not hold the broker's shutdown.
import type { IncomingMessage } from 'node:http';
import type { FastifyError } from 'fastify';
import type { Socket } from 'node:net';
import type { Inbound } from '../shared/api.ts';
import { MAX_BODY_BYTES } from '../shared/api.ts';
import { type RoomError, roomError } from '../shared/errors.ts';
import type { Broker } from './broker.ts';
import { errorBody, invalidBody, rawErrorResponse, toRoomError } from './http-errors.ts';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency.ts';
import { parseJsonBytes } from './json-body.ts';
import type { Validate } from './precompiled/route-validators.ts';
import { earlierResponsesSent } from './routes/pipelining.ts';
import { bearerToken, requestUser } from './routes/schema.ts';
import type { Sends } from './sends.ts';

export const CHANNEL_PATH = '/channel';
export const CHANNEL_PROTOCOL = 'room-channel';

/** Unanswered lines past which the channel stops reading. */
const MAX_OWED = 1024;
/** Unread answer bytes past which the channel stops reading. */
const WRITE_HIGH = 1024 * 1024;
/** How long a closed channel waits for its client to hang up before cutting it. */
const HANG_UP_MS = 2000;

const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);
const NEWLINE = 0x0a;

export interface ChannelDeps {
  readonly room: Broker;
  readonly sends: Sends;
  /** The validator of a POST /messages JSON body: a line must pass what that body must. */
  readonly validate: Validate;
  /** How long one line may take to arrive (the request timeout). */
  readonly lineTimeoutMs: number;
}

const lineTooLong = (): RoomError => roomError('body_too_large.channel_line', { limit: MAX_BODY_BYTES });

/** A line of JSON whitespace only (RFC 8259: space, tab, CR; the LF ended it), judged on its bytes. */
function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

/**
 * Whether a request asks for the channel: an HTTP/1.1 GET /channel with
 * room-channel among the protocols it would switch to (HTTP/1.0 has no Upgrade).
 */
export function wantsChannel(request: IncomingMessage): boolean {
  if (request.httpVersion !== '1.1') return false;
  if (request.method !== 'GET' || (request.url ?? '').split('?', 1)[0] !== CHANNEL_PATH) return false;
  const protocols = (request.headers.upgrade ?? '').split(',');
  return protocols.some((protocol) => protocol.trim().toLowerCase() === CHANNEL_PROTOCOL);
}

/**
 * Answers an upgrade request: a refusal as a whole HTTP response, or 101 and
 * a channel. Requests pipelined before it on the connection are answered
 * first (HTTP answers in order): until then the bytes after it wait unread.
 */
export function openChannel(deps: ChannelDeps, request: IncomingMessage, socket: Socket, head: Buffer): void {
  // Node has handed the socket over with no listener of its own: its errors are ours from now on.
  socket.on('error', () => socket.destroy());
  const ahead = earlierResponsesSent(socket);
  if (ahead === undefined) answerUpgrade(deps, request, socket, head);
  else void ahead.then(() => socket.destroyed || answerUpgrade(deps, request, socket, head));
}

function answerUpgrade(deps: ChannelDeps, request: IncomingMessage, socket: Socket, head: Buffer): void {
  let token: string;
  try {
    if (!wantsChannel(request))
      throw roomError('bad_request', {
        detail: `cannot switch ${request.method} ${request.url} to ${request.headers.upgrade}: only GET ${CHANNEL_PATH} switches, to ${CHANNEL_PROTOCOL}`,
      });
    if (deps.room.closing) throw roomError('room_closing');
    const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
    if (query.size > 0) throw roomError('usage.no_query_parameters', { names: [...query.keys()].join(', ') });
    requestUser(deps.room, request);
    token = bearerToken(request.headers) ?? '';
  } catch (error) {
    socket.end(rawErrorResponse(toRoomError(error as FastifyError)), () => socket.destroy());
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${CHANNEL_PROTOCOL}\r\n\r\n`);
  const channel = new Channel(deps, socket, token);
  deps.room.channels.add(channel);
  socket.once('close', () => deps.room.channels.delete(channel));
  if (head.length > 0) channel.read(head);
}

/** An answer owed to one line; `text` is set once its send completes. */
interface Owed {
  text: string | undefined;
}

export class Channel {
  readonly #deps: ChannelDeps;
  readonly #socket: Socket;
  readonly #token: string;
  readonly #owed: Owed[] = [];
  /** The start of a line whose newline has not arrived yet. */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  /** Cuts a line that takes longer than the request timeout to arrive. */
  #lineTimer: NodeJS.Timeout | undefined;
  #flushQueued = false;
  /** No more lines are read; the socket ends once every answer owed is written. */
  #closing = false;
  /** A line was too long or too slow: nothing after it is read as a line. */
  #broken = false;
  /** The socket was ended (once). */
  #ended = false;

  constructor(deps: ChannelDeps, socket: Socket, token: string) {
    this.#deps = deps;
    this.#socket = socket;
    this.#token = token;
    socket.setTimeout(0);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    // The client has sent all it will (allowHalfOpen): its last line ends there; answer, then end.
    socket.on('end', () => {
      if (this.#partialBytes > 0 && !this.#closing) this.#line(this.#takePartial());
      this.close();
    });
    // Gone (the client, or a cut): nothing more to read or answer, and no line timer left behind.
    socket.on('close', () => this.close());
    socket.on('drain', () => this.#resumeIfRoom());
  }

  /** Takes bytes from the client: each whole line is sent. */
  read(chunk: Buffer): void {
    if (this.#closing) return;
    let start = 0;
    // The lines already here are answered even if one of them closes the channel (a revoking
    // command: those after it get invalid_token), unless the channel was refused as broken.
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      if (this.#broken) return;
      let line = chunk.subarray(start, newline);
      start = newline + 1;
      if (this.#partialBytes > 0) line = Buffer.concat([...this.#takePartial(), line]);
      this.#line(line);
    }
    if (!this.#closing && start < chunk.length) {
      const rest = Buffer.from(chunk.subarray(start));
      if (this.#partialBytes === 0)
        this.#lineTimer = setTimeout(() => this.#refuseSlowLine(), this.#deps.lineTimeoutMs);
      this.#partial.push(rest);
      this.#partialBytes += rest.length;
      // One byte more than a body may have: the line's CR, if it ends with CRLF.
      if (this.#partialBytes > MAX_BODY_BYTES + 1) {
        this.#refuse(lineTooLong());
        return;
      }
    }
    this.#pauseIfFull();
  }

  /** Stops reading; the socket ends once the answers owed are out (the broker stopping, the client done). */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#takePartial();
    this.#endIfAnswered();
  }

  /** Closes the channel if its token no longer holds (a kick, /clear-tokens): its next line would be refused. */
  closeIfRevoked(): void {
    try {
      this.#deps.room.authenticate(this.#token);
    } catch {
      this.close();
    }
  }

  /** The start of the line being read, which is then forgotten. */
  #takePartial(): Buffer[] {
    const partial = this.#partial;
    this.#partial = [];
    this.#partialBytes = 0;
    clearTimeout(this.#lineTimer);
    return partial;
  }

  #line(parts: Buffer | Buffer[]): void {
    let bytes = Array.isArray(parts) ? Buffer.concat(parts) : parts;
    if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (bytes.length > MAX_BODY_BYTES) {
      this.#refuse(lineTooLong());
      return;
    }
    if (isBlank(bytes)) return;
    const owed: Owed = { text: undefined };
    this.#owed.push(owed);
    const answer = (text: string) => {
      owed.text = text;
      this.#queueFlush();
    };
    const fail = (error: unknown) => {
      const refusal = this.#refusal(error);
      if (refusal.status === 401) this.close();
      answer(errorBody(refusal));
    };
    try {
      const user = this.#deps.room.authenticate(this.#token);
      const { inbound, key } = this.#parse(bytes);
      this.#deps.sends.send(user, inbound, key, (stored) => answer(stored.body), fail);
    } catch (error) {
      fail(error);
    }
  }

  /** A line as the inbound event it holds, and its idempotency key if it has one. */
  #parse(bytes: Uint8Array): { inbound: Inbound; key: string | undefined } {
    let body = parseJsonBytes(bytes);
    let key: string | undefined;
    if (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'idempotency_key')) {
      const { idempotency_key: given, ...rest } = body as { idempotency_key: unknown };
      if (typeof given !== 'string' || !KEY.test(given)) throw roomError('invalid_event.idempotency_key');
      key = given;
      body = rest;
    }
    const { validate } = this.#deps;
    if (!validate(body)) throw invalidBody((validate.errors ?? []) as Parameters<typeof invalidBody>[0], body);
    return { inbound: body as Inbound, key };
  }

  #refusal(error: unknown): RoomError {
    const refusal = toRoomError(error as FastifyError);
    if (refusal.code === 'internal') console.error('[room] internal error on a channel line:', error);
    return refusal;
  }

  /** Answers a refusal that is not a line's (a line too long or too slow), then closes the channel. */
  #refuse(error: RoomError): void {
    this.#broken = true;
    this.#owed.push({ text: errorBody(error) });
    this.close();
    this.#queueFlush();
  }

  #refuseSlowLine(): void {
    if (!this.#closing) this.#refuse(roomError('request_timeout', { ms: this.#deps.lineTimeoutMs }));
  }

  /** Answers completed in one turn (a group commit answers many) leave in one write. */
  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    let out = '';
    while (this.#owed.length > 0 && this.#owed[0]!.text !== undefined) out += this.#owed.shift()!.text;
    if (out !== '' && !this.#socket.destroyed) this.#socket.write(out);
    this.#endIfAnswered();
    this.#resumeIfRoom();
  }

  #endIfAnswered(): void {
    if (!this.#closing || this.#owed.length > 0 || this.#ended) return;
    this.#ended = true;
    if (this.#socket.destroyed) return;
    this.#socket.end();
    // A client that never hangs up its side must not hold the broker's shutdown.
    setTimeout(() => this.#socket.destroy(), HANG_UP_MS).unref();
  }

  #pauseIfFull(): void {
    if (this.#owed.length >= MAX_OWED || this.#socket.writableLength >= WRITE_HIGH) this.#socket.pause();
  }

  #resumeIfRoom(): void {
    if (this.#closing || !this.#socket.isPaused()) return;
    if (this.#owed.length < MAX_OWED / 2 && this.#socket.writableLength < WRITE_HIGH) this.#socket.resume();
  }
}
