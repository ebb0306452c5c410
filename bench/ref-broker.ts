// A plain Node broker, the fan-out benchmark's reference for what Node
// itself costs (issue 12): node:http on a Unix socket, the same wire as room
// (POST /messages → 201 with the event; GET /events → SSE `id:`/`data:`),
// every event appended to a file before anyone sees it or gets its echo.
// No tokens, no validation beyond JSON, no history replay.
//
//   node bench/ref-broker.ts <socket> <file> [--batch]
//
// Without --batch each event is written to the file and to every subscriber
// on its own (one write system call each). With --batch the events that
// arrive in one event-loop turn are written with one file write and one
// write per subscriber, then the senders are answered. Prints `listening`
// on stdout once it accepts connections.
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';

const [socket, file, flag] = process.argv.slice(2);
if (socket === undefined || file === undefined) throw new Error('usage: ref-broker.ts <socket> <file> [--batch]');
const batch = flag === '--batch';
const fd = openSync(file, 'a', 0o600);
const subscribers = new Set<ServerResponse>();
let seq = 0;

interface Pending {
  readonly line: string;
  readonly seq: number;
  readonly res: ServerResponse;
}
let queue: Pending[] = [];

function stamp(body: string): { line: string; seq: number } {
  const inbound = JSON.parse(body) as { content: string };
  seq++;
  const event = {
    type: 'message',
    id: randomUUID(),
    room: 'ref',
    user: 'bench',
    ts: new Date().toISOString(),
    seq,
    content: inbound.content,
  };
  return { line: JSON.stringify(event), seq };
}

const frame = (seq: number, line: string) => `id: ${seq}\ndata: ${line}\n\n`;

function answer(res: ServerResponse, line: string): void {
  res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(line) });
  res.end(line);
}

function publishOne(line: string, seq: number, res: ServerResponse): void {
  writeSync(fd, `${line}\n`);
  const data = frame(seq, line);
  for (const sub of subscribers) sub.write(data);
  answer(res, line);
}

function flush(): void {
  const pending = queue;
  queue = [];
  let lines = '';
  let frames = '';
  for (const p of pending) {
    lines += `${p.line}\n`;
    frames += frame(p.seq, p.line);
  }
  writeSync(fd, lines);
  for (const sub of subscribers) sub.write(frames);
  for (const p of pending) answer(p.res, p.line);
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/events')) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': connected\n\n');
    subscribers.add(res);
    res.on('close', () => subscribers.delete(res));
    return;
  }
  if (req.method === 'POST' && req.url === '/messages') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const { line, seq } = stamp(body);
      if (!batch) return publishOne(line, seq, res);
      if (queue.length === 0) setImmediate(flush);
      queue.push({ line, seq, res });
    });
    return;
  }
  res.writeHead(404).end();
});
server.maxConnections = 100_000;
server.listen({ path: socket, backlog: 4096 }, () => process.stdout.write('listening\n'));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    for (const sub of subscribers) sub.destroy();
    server.close();
    closeSync(fd);
    process.exit(0);
  });
}
