// The subscriber side of the broker benchmarks (broker-throughput.ts,
// fanout.ts), in a process of its own so that it does not share an event
// loop with the load generator:
//
//   node bench/subscribers.ts <protocol> <socket> <marker> <expected> <timeout-ms>   (subscribers as JSON on stdin)
//
// <protocol>: `room` (GET /events?n=0 with each subscriber's token; live once
// its own join arrives; a stream the broker cuts, as it cuts a live reader
// whose buffer passes ROOM_SSE_MAX_BUFFER, is resumed with Last-Event-ID, as
// room's own clients resume, and counted in the result: `cut`), `sse` (a
// reference broker: GET /events, live once the `: connected` comment arrives)
// or `redis` (XREAD BLOCK on the stream `room` from its last id; live once
// that id is known). Prints `ready` once every
// subscriber is live, then counts the messages whose content starts with
// <marker>: "<marker> <index> <sent-at> …", <sent-at> being wall-clock ms.
// When every subscriber has <expected> of them, or at the timeout, prints one
// JSON line (delivery latencies, the last delivery's time, order) and exits.
import { request } from 'node:http';
import { createParser } from 'eventsource-parser';
import { percentile, wallMs } from './lib.ts';
import { type Reply, Resp } from './resp.ts';

export type Protocol = 'room' | 'sse' | 'redis';

interface Stream {
  readonly user: string;
  received: number;
  lastSeq: number;
  outOfOrder: number;
  ended: string | null;
  /** Times the broker cut the stream (room: each was resumed with Last-Event-ID). */
  cut: number;
  /** Counted as finished: it has every message, or it ended. */
  finished: boolean;
}

interface Counter {
  /** Counts one event with a position that must grow (seq, or Redis id time and counter). */
  event(stream: Stream, position: number, content: string | undefined): void;
  live(): void;
}

/** One SSE stream; `token` for room, none for a reference broker. */
function openSse(socketPath: string, stream: Stream, token: string | undefined, counter: Counter): () => void {
  let req: ReturnType<typeof request>;
  let stopped = false;
  const ended = (why: string) => {
    stream.ended ??= why;
    counter.event(stream, stream.lastSeq + 1, undefined);
  };
  const connect = (lastEventId?: number) => {
    const parser = createParser({
      onComment: (comment) => {
        if (token === undefined && comment.trim() === 'connected') counter.live();
      },
      onEvent(event) {
        if (event.event !== undefined) return;
        const data = JSON.parse(event.data) as { type: string; user: string; content?: string };
        if (data.type === 'join' && data.user === stream.user) counter.live();
        counter.event(stream, Number(event.id), data.type === 'message' ? data.content : undefined);
      },
    });
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
    req = request({ socketPath, path: '/events?n=0', method: 'GET', agent: false, headers }, (res) => {
      if (res.statusCode !== 200) stream.ended = `status ${res.statusCode}`;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.feed(chunk));
      res.on('end', () => ended('ended by the broker'));
      // Cut without an end (the broker destroyed the socket): room's clients resume; a reference broker never cuts.
      res.on('close', () => {
        if (stopped || res.complete) return;
        stream.cut++;
        if (token === undefined) ended('cut by the broker');
        else connect(stream.lastSeq);
      });
      res.on('error', () => undefined);
    });
    req.on('error', (error) => ended(error.message));
    req.end();
  };
  connect();
  return () => {
    stopped = true;
    req.destroy();
  };
}

/** One Redis reader: XREAD BLOCK from the stream's last id, in a loop. */
function openRedis(socketPath: string, stream: Stream, counter: Counter): () => void {
  let client: Resp | undefined;
  let stopped = false;
  void (async () => {
    client = await Resp.open(socketPath);
    const last = (await client.command('XREVRANGE', 'room', '+', '-', 'COUNT', '1')) as Reply[];
    let after = last.length === 0 ? '0-0' : String((last[0] as Reply[])[0]);
    counter.live();
    while (!stopped) {
      const reply = (await client.command('XREAD', 'COUNT', '1000', 'BLOCK', '0', 'STREAMS', 'room', after)) as
        | Reply[]
        | null;
      if (reply === null) continue;
      const entries = (reply[0] as Reply[])[1] as Reply[];
      for (const entry of entries) {
        const [id, fields] = entry as [string, Reply[]];
        after = id;
        const [ms, n] = id.split('-').map(Number) as [number, number];
        // ms modulo 1e9 keeps the position exact in a double (it wraps every 11 days).
        counter.event(stream, (ms % 1e9) * 1e6 + n, String(fields[1]));
      }
    }
  })().catch((error: unknown) => {
    if (stopped) return;
    stream.ended ??= error instanceof Error ? error.message : String(error);
    counter.event(stream, stream.lastSeq + 1, undefined);
  });
  return () => {
    stopped = true;
    client?.close();
  };
}

async function main(): Promise<void> {
  const [protocol, socketPath, marker, expectedText, timeoutText] = process.argv.slice(2);
  if (socketPath === undefined || marker === undefined || expectedText === undefined || timeoutText === undefined)
    throw new Error('usage: subscribers.ts room|sse|redis <socket> <marker> <expected> <timeout-ms>');
  if (protocol !== 'room' && protocol !== 'sse' && protocol !== 'redis')
    throw new Error(`unknown protocol ${protocol}`);
  const expected = Number(expectedText);
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const subscribers = JSON.parse(input) as Array<{ user: string; token?: string }>;
  const latencies: number[] = [];
  let lastDelivery = 0;
  const streams: Stream[] = subscribers.map(({ user }) => ({
    user,
    received: 0,
    lastSeq: 0,
    outOfOrder: 0,
    ended: null,
    cut: 0,
    finished: false,
  }));
  const prefix = `${marker} `;

  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let liveCount = 0;
  let done = 0;
  const counter: Counter = {
    live() {
      if (++liveCount === streams.length) process.stdout.write('ready\n');
    },
    event(stream, position, content) {
      if (stream.ended === null) {
        if (position <= stream.lastSeq) stream.outOfOrder++;
        stream.lastSeq = position;
        if (content?.startsWith(prefix) !== true) return;
        const now = wallMs();
        latencies.push(now - Number(content.split(' ', 3)[2]));
        lastDelivery = Math.max(lastDelivery, now);
        if (++stream.received < expected) return;
      }
      if (stream.finished) return;
      stream.finished = true;
      if (++done >= streams.length) finish();
    },
  };
  const closers = subscribers.map(({ token }, i) => {
    const stream = streams[i]!;
    return protocol === 'redis' ? openRedis(socketPath, stream, counter) : openSse(socketPath, stream, token, counter);
  });

  const timer = setTimeout(finish, Number(timeoutText));
  await finished;
  clearTimeout(timer);
  latencies.sort((a, b) => a - b);
  const result = {
    deliveries: latencies.length,
    complete: streams.every((s) => s.received >= expected),
    dropped: streams
      .filter((s) => s.ended !== null && s.received < expected)
      .map((s) => `${s.user}: ${s.ended} after ${s.received}`),
    outOfOrder: streams.reduce((n, s) => n + s.outOfOrder, 0),
    cut: streams.reduce((n, s) => n + s.cut, 0),
    lastDelivery,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const close of closers) close();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`subscribers: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
