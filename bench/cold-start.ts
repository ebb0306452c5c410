// Cold start of the one-shot commands, side by side with `node -e 0` on the
// same Node: each round runs every variant once, in a random order, and the
// ratios are taken from medians and from per-round pairs.
// Goal (issue 2): `room send` and `room poll` ≤ 1.5× `node -e 0`.
//
//   npm run bench -- coldstart [--rounds 60] [--warmup 3] [--analysis 1]
//
// `--analysis 1` adds the variants that show where the time goes (an empty
// ESM entry, the launcher alone, the CLI's entry without a command).
// ROOM_BENCH_BEFORE=<path to another build's cli.js> adds that build's send
// and poll, for before/after figures measured side by side.
import { writeFileSync } from 'node:fs';
import {
  BenchDir,
  CLI_JS,
  NODE,
  ROOM_BIN,
  fmt,
  load,
  machine,
  median,
  numberOptions,
  pairedRatios,
  roundRobin,
  run,
  stats,
  table,
  type Variant,
} from './lib.ts';

export const name = 'coldstart';
export const summary = 'cold start of room send / room poll vs node -e 0';

/** A CommonJS program that only POSTs one message to the socket in argv[2] (token in ROOM_TOKEN) and prints the answer. */
function minimalPost(kind: 'http' | 'net'): string {
  const head = `const socketPath = process.argv[2];
const body = JSON.stringify({ type: 'message', content: 'hello there' });
const headers = { connection: 'close', authorization: 'Bearer ' + process.env.ROOM_TOKEN, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
const net = require('node:net');
`;
  if (kind === 'http') {
    return `${head}const req = require('node:http').request({ createConnection: () => net.connect(socketPath), method: 'POST', path: '/messages', headers }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => { if (res.statusCode !== 201) process.exitCode = 1; process.stdout.write(Buffer.concat(chunks).toString() + '\\n'); });
});
req.end(body);
`;
  }
  return `${head}const socket = net.connect(socketPath);
let text = '';
socket.setEncoding('utf8').on('data', (c) => (text += c));
socket.on('end', () => { if (!text.startsWith('HTTP/1.1 201')) process.exitCode = 1; process.stdout.write(text.slice(text.indexOf('\\r\\n\\r\\n') + 4) + '\\n'); });
socket.end('POST /messages HTTP/1.1\\r\\nhost: localhost\\r\\n' + Object.entries(headers).map(([k, v]) => k + ': ' + v + '\\r\\n').join('') + '\\r\\n' + body);
`;
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { rounds: 60, warmup: 3, analysis: 0 });
  const dir = new BenchDir();
  try {
    // Two rooms: sends go to one, polls read the other, so a poll always has
    // a valid cursor and nothing new.
    const sendToken = dir.join('cs-send', 'sender');
    const pollToken = dir.join('cs-poll', 'reader');
    const env = dir.env;
    const sendEnv = { ...env, ROOM_TOKEN: sendToken };
    const pollEnv = { ...env, ROOM_TOKEN: pollToken };
    run(ROOM_BIN, ['poll', 'cs-poll'], { env: pollEnv }); // sets the cursor
    const quietPoll = (command: string, args: string[]) => () => {
      const result = run(command, args, { env: pollEnv });
      if (result.stdout !== '') throw new Error(`poll printed something: ${result.stdout.slice(0, 200)}`);
      return result.ms;
    };
    const timed =
      (command: string, args: string[], runEnv = env) =>
      () =>
        run(command, args, { env: runEnv }).ms;

    const variants: Variant[] = [
      { name: 'node -e 0', run: timed(NODE, ['-e', '0']) },
      { name: 'room --version', run: timed(ROOM_BIN, ['--version']) },
      { name: 'room send', run: timed(ROOM_BIN, ['send', 'cs-send', 'hello', 'there'], sendEnv) },
      { name: 'room poll', run: quietPoll(ROOM_BIN, ['poll', 'cs-poll']) },
      { name: 'node dist/cli.js send', run: timed(NODE, [CLI_JS, 'send', 'cs-send', 'hello', 'there'], sendEnv) },
      { name: 'node dist/cli.js poll', run: quietPoll(NODE, [CLI_JS, 'poll', 'cs-poll']) },
    ];
    const before = process.env.ROOM_BENCH_BEFORE;
    if (before !== undefined && before !== '') {
      variants.push(
        { name: 'before: node cli.js send', run: timed(NODE, [before, 'send', 'cs-send', 'hello', 'there'], sendEnv) },
        { name: 'before: node cli.js poll', run: quietPoll(NODE, [before, 'poll', 'cs-poll']) },
      );
    }
    if (options.analysis > 0) {
      const empty = dir.file('empty.mjs');
      writeFileSync(empty, '');
      // The floor for any one-shot that sends with node:http: the same POST,
      // and nothing else, in one CommonJS file (no argument parsing, no ESM).
      const floorHttp = dir.file('post-http.cjs');
      writeFileSync(floorHttp, minimalPost('http'));
      const floorNet = dir.file('post-net.cjs');
      writeFileSync(floorNet, minimalPost('net'));
      variants.push(
        { name: 'node empty.mjs', run: timed(NODE, [empty]) },
        { name: 'node dist/cli.js --version', run: timed(NODE, [CLI_JS, '--version']) },
        { name: 'sh -c exit (launcher floor)', run: timed('/bin/sh', ['-c', 'exit 0']) },
        { name: 'minimal POST, node:http (floor)', run: timed(NODE, [floorHttp, dir.socket('cs-send')], sendEnv) },
        { name: 'minimal POST, raw node:net', run: timed(NODE, [floorNet, dir.socket('cs-send')], sendEnv) },
      );
    }

    const loadBefore = load();
    const started = Date.now();
    const samples = roundRobin(variants, options.rounds, options.warmup);
    const base = median(samples.get('node -e 0')!);
    const rows = variants.map((v) => {
      const s = stats(samples.get(v.name)!);
      return [
        v.name,
        fmt(s.median),
        `${fmt(s.min)}–${fmt(s.max)}`,
        `${fmt(s.median / base, 2)}×`,
        `${fmt(median(pairedRatios(samples, v.name, 'node -e 0')), 2)}×`,
      ];
    });
    return [
      `### Cold start (${options.rounds} rounds + ${options.warmup} warm-up, round-robin, shuffled; ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${load()}.`,
      '',
      table(['variant', 'median ms', 'min–max ms', 'ratio of medians', 'median per-round ratio'], rows),
      '',
      'Goal: room send / room poll ≤ 1.5× node -e 0.',
    ].join('\n');
  } finally {
    await dir.cleanup();
  }
}
