// `room log` on a 1,000,000-event history (written as poll-scale writes it,
// ~230 MB): the whole history in each format, a --grep and a --user search,
// and the last 3 events with --since given as an id, an id prefix or a seq, and
// the first 10 with --until <seq>. Output goes to /dev/null, so the
// figure is the reading, filtering and formatting, not a terminal's speed.
// Besides the wall time, each run's CPU time (user + system, from the shell's
// `times`) is reported: on a shared, loaded machine it varies much less.
//
//   npm run bench -- log-scale [--events 1000000] [--rounds 5] [--warmup 1]
import { readFileSync } from 'node:fs';
import { BenchDir, ROOM_BIN, fmt, load, machine, numberOptions, roundRobin, run, stats, table } from './lib.ts';
import { makeRoom } from './poll-scale.ts';

export const name = 'log-scale';
export const summary = 'room log on a 1,000,000-event history: formats, filters, --since/--until positions';

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { events: 1_000_000, rounds: 5, warmup: 1 });
  const dir = new BenchDir();
  try {
    const t0 = performance.now();
    const room = makeRoom(dir, 'log-large', options.events);
    const generated = performance.now() - t0;
    const lines = readFileSync(dir.file(`${room.id}.chat`), 'utf8')
      .trimEnd()
      .split('\n');
    const fourthLast = JSON.parse(lines.at(-4)!) as { id: string; seq: number };
    const third = fourthLast.id;
    const env = { ...dir.env, ROOM_TOKEN: room.token };
    const cpu = new Map<string, number[]>();
    /** Runs `room log …` > /dev/null in sh, whose `times` then prints the child's user and system time. */
    const log =
      (name: string, ...args: string[]) =>
      () => {
        const result = run('sh', ['-c', '"$@" > /dev/null && times', 'sh', ROOM_BIN, 'log', room.id, ...args], {
          env,
          timeout: 600_000,
        });
        const [user, sys] = [...(result.stdout.trim().split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map(
          (m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000,
        );
        cpu.set(name, [...(cpu.get(name) ?? []), (user ?? Number.NaN) + (sys ?? Number.NaN)]);
        return result.ms;
      };
    const variant = (name: string, ...args: string[]) => ({ name, run: log(name, ...args) });
    const variants = [
      variant('log --format ndjson (all)', '--format', 'ndjson'),
      variant('log --format text (all)', '--format', 'text'),
      variant('log --format markdown (all)', '--format', 'markdown'),
      variant('log --grep "message 99999"', '--grep', 'message 99999'),
      variant('log --user carol', '--user', 'carol'),
      variant('log --since <4th-last id>', '--since', third),
      variant('log --since <4th-last id, 8 characters>', '--since', third.slice(0, 8)),
      variant('log --since <4th-last seq>', '--since', String(fourthLast.seq)),
      variant('log --until 10 (a seq)', '--until', '10'),
    ];
    const loadBefore = load();
    const started = Date.now();
    const samples = roundRobin(variants, options.rounds, options.warmup);
    const rows = variants.map((v) => {
      const s = stats(samples.get(v.name)!);
      const c = stats(cpu.get(v.name)!.slice(-options.rounds));
      return [v.name, fmt(s.median), `${fmt(s.min)}–${fmt(s.max)}`, fmt(c.median)];
    });
    return [
      `### Log scale (${options.rounds} rounds + ${options.warmup} warm-up, round-robin, shuffled; ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${load()}.`,
      '',
      `Generated ${room.events.toLocaleString('en')} events (${(room.bytes / 1e6).toFixed(1)} MB) in ${(generated / 1000).toFixed(1)} s; the reader is bob (not the host: DMs between others are left out). Output to /dev/null.`,
      '',
      table(['variant', 'median ms', 'min–max ms', 'median CPU ms'], rows),
    ].join('\n');
  } finally {
    await dir.cleanup();
  }
}
