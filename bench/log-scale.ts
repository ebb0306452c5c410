// `room log` on a 1,000,000-event history (written as poll-scale writes it,
// ~160 MB): the whole history in each format, a --grep and a --user search,
// and the last 3 events with --since <id>. Output goes to /dev/null, so the
// figure is the reading, filtering and formatting, not a terminal's speed.
//
//   npm run bench -- log-scale [--events 1000000] [--rounds 5] [--warmup 1]
import { closeSync, openSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { BenchDir, ROOM_BIN, fmt, load, machine, numberOptions, roundRobin, run, stats, table } from './lib.ts';
import { makeRoom } from './poll-scale.ts';

export const name = 'log-scale';
export const summary = 'room log on a 1,000,000-event history: formats, filters, --since';

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { events: 1_000_000, rounds: 5, warmup: 1 });
  const dir = new BenchDir();
  const devNull = openSync('/dev/null', 'w');
  try {
    const t0 = performance.now();
    const room = makeRoom(dir, 'log-large', options.events);
    const generated = performance.now() - t0;
    const lines = readFileSync(dir.file(`${room.id}.chat`), 'utf8')
      .trimEnd()
      .split('\n');
    const third = (JSON.parse(lines.at(-4)!) as { id: string }).id;
    const env = { ...dir.env, ROOM_TOKEN: room.token };
    const log =
      (...args: string[]) =>
      () =>
        run(ROOM_BIN, ['log', room.id, ...args], { env, stdio: ['ignore', devNull, 'pipe'], timeout: 300_000 }).ms;
    const variants = [
      { name: 'log --format ndjson (all)', run: log('--format', 'ndjson') },
      { name: 'log --format text (all)', run: log('--format', 'text') },
      { name: 'log --format markdown (all)', run: log('--format', 'markdown') },
      { name: 'log --grep "message 99999"', run: log('--grep', 'message 99999') },
      { name: 'log --user carol', run: log('--user', 'carol') },
      { name: 'log --since <4th-last id>', run: log('--since', third) },
    ];
    const loadBefore = load();
    const started = Date.now();
    const samples = roundRobin(variants, options.rounds, options.warmup);
    const rows = variants.map((v) => {
      const s = stats(samples.get(v.name)!);
      return [v.name, fmt(s.median), `${fmt(s.min)}–${fmt(s.max)}`];
    });
    return [
      `### Log scale (${options.rounds} rounds + ${options.warmup} warm-up, round-robin, shuffled; ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${load()}.`,
      '',
      `Generated ${room.events.toLocaleString('en')} events (${(room.bytes / 1e6).toFixed(1)} MB) in ${(generated / 1000).toFixed(1)} s; the reader is bob (not the host: DMs between others are left out). Output to /dev/null.`,
      '',
      table(['variant', 'median ms', 'min–max ms'], rows),
    ].join('\n');
  } finally {
    closeSync(devNull);
    await dir.cleanup();
  }
}
