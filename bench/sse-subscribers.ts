// The subscriber side of bench/broker-throughput.ts, in a process of its own
// so that it does not share an event loop with the load generator:
//
//   node bench/sse-subscribers.ts <socket> <marker> <expected> <timeout-ms>   (tokens as JSON on stdin)
//
// Opens one SSE stream (GET /events?n=0, node:http + eventsource-parser) per
// token, prints `ready` once every stream has its own join, then counts the
// messages whose content starts with <marker>: "<marker> <index> <sent-at>",
// <sent-at> being wall-clock ms. When every stream has <expected> of them, or
// at the timeout, prints one JSON line (delivery latencies, the last
// delivery's time, seq order) and exits.
import { request } from 'node:http';
import { createParser } from 'eventsource-parser';
import { percentile } from './lib.ts';

const wallMs = (): number => performance.timeOrigin + performance.now();

interface Stream {
  readonly user: string;
  received: number;
  joined: boolean;
  lastSeq: number;
  outOfOrder: number;
  ended: string | null;
}

async function main(): Promise<void> {
  const [socketPath, marker, expectedText, timeoutText] = process.argv.slice(2);
  if (socketPath === undefined || marker === undefined || expectedText === undefined || timeoutText === undefined)
    throw new Error('usage: sse-subscribers.ts <socket> <marker> <expected> <timeout-ms>');
  const expected = Number(expectedText);
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const tokens = JSON.parse(input) as Array<{ user: string; token: string }>;
  const latencies: number[] = [];
  let lastDelivery = 0;
  const streams: Stream[] = tokens.map(({ user }) => ({
    user,
    received: 0,
    joined: false,
    lastSeq: 0,
    outOfOrder: 0,
    ended: null,
  }));
  const prefix = `${marker} `;

  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const check = () => {
    if (streams.every((s) => s.received >= expected || s.ended !== null)) finish();
  };
  let announced = false;
  const announce = () => {
    if (!announced && streams.every((s) => s.joined)) {
      announced = true;
      process.stdout.write('ready\n');
    }
  };

  const requests = tokens.map(({ token }, i) => {
    const stream = streams[i]!;
    const parser = createParser({
      onEvent(event) {
        const now = wallMs();
        const seq = Number(event.id);
        if (seq <= stream.lastSeq) stream.outOfOrder++;
        stream.lastSeq = seq;
        const data = JSON.parse(event.data) as { type: string; user: string; content?: string };
        if (data.type === 'join' && data.user === stream.user) {
          stream.joined = true;
          announce();
        } else if (data.type === 'message' && data.content?.startsWith(prefix) === true) {
          const sentAt = Number(data.content.slice(data.content.lastIndexOf(' ') + 1));
          latencies.push(now - sentAt);
          lastDelivery = Math.max(lastDelivery, now);
          stream.received++;
          if (stream.received >= expected) check();
        }
      },
    });
    const req = request(
      { socketPath, path: '/events?n=0', method: 'GET', agent: false, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        if (res.statusCode !== 200) stream.ended = `status ${res.statusCode}`;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => parser.feed(chunk));
        res.on('end', () => {
          stream.ended ??= 'ended by the broker';
          check();
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', (error) => {
      stream.ended ??= error.message;
      check();
    });
    req.end();
    return req;
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
    lastDelivery,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const req of requests) req.destroy();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`sse-subscribers: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
