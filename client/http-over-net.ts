// One HTTP/1.1 exchange over a Unix socket on node:net, for the one-shot
// commands (send, join, stop, the hooks): a request goes out, the answer is
// read whole, the connection is closed. node:http costs a one-shot ~5 ms
// more to load and set up than node:net (its parser binding, Agent, and
// stream machinery: bench/README.md "Cold start"); a one-shot needs none of
// it, only this: one request with `Connection: close`, and an answer whose
// body is delimited by Content-Length, by chunked transfer coding, or by
// the connection's end (RFC 9112 §6.3). Interim 1xx answers are skipped.
// The long-lived clients (TUI, agent mode) use node:http, SSE included.
// node:net is loaded on first use (process.getBuiltinModule: no require
// function to make at load), so a one-shot that fails before it connects
// never loads it.

export interface Exchange {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case; Host, Connection and Content-Length are set here. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface Answer {
  readonly status: number;
  /** Header names in lower case; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** The answer could not be read: the connection ended early, or the bytes are not HTTP/1.1. */
export class AnswerError extends Error {
  override readonly name = 'AnswerError';
}

// RFC 9110 field values and request targets: no control characters (a CR or
// LF would let a value start a header or a request of its own).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TARGET = /^\/[\x21-\x7e]*$/;

/** The request's bytes; throws a TypeError for a header or path that cannot be sent as given. */
function requestBytes({ method, path, headers, body }: Exchange): Buffer {
  if (!TOKEN.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(method)}`);
  if (!TARGET.test(path)) throw new TypeError(`invalid request path ${JSON.stringify(path)}`);
  let head = `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'connection' || lower === 'content-length') continue;
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (!FIELD_VALUE.test(value)) throw new TypeError(`invalid character in the ${lower} header`);
    head += `${name}: ${value}\r\n`;
  }
  const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
  if (payload !== undefined || method === 'POST') head += `Content-Length: ${payload?.length ?? 0}\r\n`;
  head += '\r\n';
  return payload === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/**
 * Reads one answer from bytes as they arrive: `feed` each chunk, `end` at
 * the connection's end. Both return the answer once it is complete; `end`
 * throws AnswerError for an answer cut short.
 */
export class AnswerReader {
  /** Bytes received and not consumed: #buffer, then #pending (joined only when they must be read, so a long body is copied once). */
  #buffer: Buffer = Buffer.alloc(0);
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #status = 0;
  #headers: Record<string, string> | undefined;
  /** How the body ends: after `length` bytes, by chunks, or with the connection. */
  #framing: { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' } = { kind: 'close' };
  readonly #chunks: Buffer[] = [];
  /** Chunked: the bytes of the current chunk still to read, or -1 between chunks. */
  #chunkLeft = -1;
  #trailers = false;

  feed(chunk: Buffer): Answer | undefined {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    return this.#advance();
  }

  get #available(): number {
    return this.#buffer.length + this.#pendingBytes;
  }

  /** Joins what is pending onto #buffer. */
  #flat(): Buffer {
    if (this.#pending.length > 0) {
      this.#buffer = Buffer.concat([this.#buffer, ...this.#pending]);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    return this.#buffer;
  }

  end(): Answer {
    const answer = this.#advance();
    if (answer !== undefined) return answer;
    if (this.#headers === undefined) throw new AnswerError('the connection closed before an answer came');
    if (this.#framing.kind !== 'close') throw new AnswerError('the connection closed in the middle of the answer');
    this.#chunks.push(this.#flat());
    return this.#answer();
  }

  #answer(): Answer {
    return { status: this.#status, headers: this.#headers ?? {}, body: Buffer.concat(this.#chunks) };
  }

  #advance(): Answer | undefined {
    while (this.#headers === undefined) {
      const end = this.#flat().indexOf('\r\n\r\n');
      if (end === -1) {
        if (this.#buffer.length > 64 * 1024) throw new AnswerError('the header of the answer is over 64 KiB');
        return undefined;
      }
      const head = this.#buffer.subarray(0, end).toString('latin1');
      this.#buffer = this.#buffer.subarray(end + 4);
      this.#head(head);
    }
    switch (this.#framing.kind) {
      case 'close':
        return undefined;
      case 'length': {
        if (this.#available < this.#framing.length) return undefined;
        this.#chunks.push(this.#flat().subarray(0, this.#framing.length));
        return this.#answer();
      }
      case 'chunked':
        return this.#chunked();
    }
  }

  /** Parses a status line and header fields; an interim 1xx answer is skipped (its header is reset). */
  #head(head: string): void {
    const [statusLine = '', ...lines] = head.split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
    if (status === null) throw new AnswerError(`not an HTTP/1.1 answer: ${JSON.stringify(statusLine.slice(0, 80))}`);
    const code = Number(status[1]);
    if (code >= 100 && code < 200) return; // 100 Continue and the like: the real answer follows
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new AnswerError(`malformed header line ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    this.#status = code;
    this.#headers = headers;
    const coding = headers['transfer-encoding'];
    const length = headers['content-length'];
    if (code === 204 || code === 304) this.#framing = { kind: 'length', length: 0 };
    else if (coding !== undefined) {
      if (!/(?:^|,)\s*chunked\s*$/i.test(coding)) throw new AnswerError(`unsupported transfer coding ${coding}`);
      this.#framing = { kind: 'chunked' };
    } else if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length)) throw new AnswerError(`malformed content-length ${JSON.stringify(length)}`);
      this.#framing = { kind: 'length', length: Number(length) };
    }
  }

  /** Chunked transfer coding (RFC 9112 §7.1): size line (extensions ignored), data, CRLF; 0, trailers, CRLF. */
  #chunked(): Answer | undefined {
    for (;;) {
      if (this.#trailers) {
        // Trailer fields are read past, line by line, until the empty line.
        const eol = this.#flat().indexOf('\r\n');
        if (eol === -1) return undefined;
        this.#buffer = this.#buffer.subarray(eol + 2);
        if (eol === 0) return this.#answer();
        continue;
      }
      if (this.#chunkLeft === -1) {
        const eol = this.#flat().indexOf('\r\n');
        if (eol === -1) return undefined;
        const sizeText = this.#buffer.subarray(0, eol).toString('latin1').split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText))
          throw new AnswerError(`malformed chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
        this.#buffer = this.#buffer.subarray(eol + 2);
        const size = Number.parseInt(sizeText, 16);
        if (size === 0) {
          this.#trailers = true;
          continue;
        }
        this.#chunkLeft = size;
      }
      if (this.#available < this.#chunkLeft + 2) return undefined;
      this.#flat();
      if (this.#buffer[this.#chunkLeft] !== 0x0d || this.#buffer[this.#chunkLeft + 1] !== 0x0a)
        throw new AnswerError('a chunk does not end with CRLF');
      this.#chunks.push(this.#buffer.subarray(0, this.#chunkLeft));
      this.#buffer = this.#buffer.subarray(this.#chunkLeft + 2);
      this.#chunkLeft = -1;
    }
  }
}

/**
 * Sends one request on a new connection to `socketPath` and resolves with
 * the whole answer. Rejects with the connection's error (its `code`:
 * ENOENT, ECONNREFUSED, ECONNRESET, …) or an AnswerError.
 */
export function exchange(socketPath: string, request: Exchange): Promise<Answer> {
  const net = process.getBuiltinModule('node:net');
  return new Promise((resolve, reject) => {
    const bytes = requestBytes(request); // throws (rejects) before connecting
    const reader = new AnswerReader();
    const socket = net.connect(socketPath);
    let settled = false;
    const settle = (answer: Answer | undefined, error?: unknown) => {
      if (settled || (answer === undefined && error === undefined)) return;
      settled = true;
      socket.destroy();
      if (answer !== undefined) resolve(answer);
      else reject(error);
    };
    const attempt = (read: () => Answer | undefined) => {
      try {
        settle(read());
      } catch (error) {
        settle(undefined, error);
      }
    };
    socket.on('data', (chunk: Buffer) => attempt(() => reader.feed(chunk)));
    socket.on('end', () => attempt(() => reader.end()));
    socket.on('error', (error) => settle(undefined, error));
    socket.on('close', () => attempt(() => reader.end()));
    // Not end(): a server may take a half-closed connection for an abandoned request.
    socket.write(bytes);
  });
}
