// A minimal Redis client (RESP2 over a Unix socket) for the fan-out
// benchmark: one command in flight per connection, which is how the
// benchmark's publishers and subscribers use Redis (and room). Only the
// reply types Redis sends for XADD and XREAD are decoded.
import { connect, type Socket } from 'node:net';

export type Reply = string | number | null | Reply[];

/** An error reply (`-ERR …`), handed to the caller as a rejection. */
class RedisError extends Error {}

const CRLF = '\r\n';

function encode(args: readonly string[]): string {
  let out = `*${args.length}${CRLF}`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}${CRLF}${arg}${CRLF}`;
  return out;
}

/**
 * Parses one reply starting at `at`; returns it and where it ends, or
 * undefined when the buffer does not hold the whole reply yet.
 */
function parse(buffer: Buffer, at: number): { reply: Reply | RedisError; end: number } | undefined {
  const lineEnd = buffer.indexOf(CRLF, at);
  if (lineEnd === -1) return undefined;
  const kind = String.fromCharCode(buffer[at]!);
  const line = buffer.toString('utf8', at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+':
      return { reply: line, end: next };
    case '-':
      return { reply: new RedisError(`redis: ${line}`), end: next };
    case ':':
      return { reply: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { reply: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: null, end: next };
      const items: Reply[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, position);
        if (item === undefined) return undefined;
        if (item.reply instanceof RedisError) return item;
        items.push(item.reply);
        position = item.end;
      }
      return { reply: items, end: position };
    }
    default:
      throw new Error(`redis: unexpected reply type ${JSON.stringify(kind)}`);
  }
}

export class Resp {
  readonly #socket: Socket;
  readonly #pending: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void }> = [];
  #buffer: Buffer = Buffer.alloc(0);

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#feed(chunk));
    socket.on('error', (error) => {
      for (const waiter of this.#pending.splice(0)) waiter.reject(error);
    });
  }

  static open(path: string): Promise<Resp> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path }, () => resolve(new Resp(socket)));
      socket.once('error', reject);
    });
  }

  command(...args: string[]): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#socket.write(encode(args));
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #feed(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let position = 0;
    for (;;) {
      const parsed = parse(this.#buffer, position);
      if (parsed === undefined) break;
      position = parsed.end;
      const waiter = this.#pending.shift();
      if (parsed.reply instanceof RedisError) waiter?.reject(parsed.reply);
      else waiter?.resolve(parsed.reply);
    }
    this.#buffer = this.#buffer.subarray(position);
  }
}
