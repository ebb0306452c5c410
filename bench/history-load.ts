// How long the broker takes to index a history, and poll to scan it, on a
// 1,000,000-event file and on a file holding one 200 MB line (issue 9: it
// took 25 s, chunks being joined over and over). Each measurement runs in a
// fresh child process (time and peak RSS of that process alone).
//
//   npm run bench -- history-load [--events 1000000] [--long-mb 200] [--rounds 3]
//   ROOM_BENCH_BEFORE_SRC=/path/to/an/older/checkout npm run bench -- history-load
//
// With ROOM_BENCH_BEFORE_SRC, the same files are also loaded by that
// checkout's server/history.ts (History.open) and client/history-file.ts
// (scanEntries): the sources of a commit from before the event log, e.g.
// `git archive 61ee048 server shared client | tar -x -C /tmp/before`
// (with node_modules linked into it).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE, ROOT, median, numberOptions } from './lib.ts';

export const name = 'history-load';
export const summary = 'broker index and poll scan of a 1M-event history and of a 200 MB line';

type Kind = 'index' | 'scan';
interface Sample {
  readonly ms: number;
  readonly rssMiB: number;
  readonly events: number;
}

export function writeEvents(path: string, count: number): void {
  const fd = openSync(path, 'w');
  const ts = new Date(0).toISOString();
  let batch = '';
  for (let seq = 1; seq <= count; seq++) {
    batch += `${JSON.stringify({ type: 'message', id: randomUUID(), room: 'b', user: 'alice', ts, seq, content: `message number ${seq} ${'x'.repeat(80)}` })}\n`;
    if (batch.length > 1 << 20) {
      writeSync(fd, batch);
      batch = '';
    }
  }
  writeSync(fd, batch);
  closeSync(fd);
}

function writeLongLine(path: string, mb: number): void {
  const fd = openSync(path, 'w');
  const ts = new Date(0).toISOString();
  const event = (seq: number) =>
    `${JSON.stringify({ type: 'message', id: randomUUID(), room: 'b', user: 'alice', ts, seq, content: 'around the long line' })}\n`;
  writeSync(fd, event(1));
  const chunk = Buffer.alloc(1 << 20, 0x7a);
  for (let i = 0; i < mb; i++) writeSync(fd, chunk);
  writeSync(fd, `\n${event(2)}`);
  closeSync(fd);
}

/** In the child: loads the file with one implementation and prints a Sample. */
async function child(source: string, kind: Kind, path: string): Promise<void> {
  // Modules are loaded first: only the work on the file is timed.
  const modern = source === ROOT;
  const server = await import(
    pathToFileURL(join(source, modern ? 'server/log/file-log.ts' : 'server/history.ts')).href
  );
  const { scanEntries } = await import(pathToFileURL(join(source, 'client/history-file.ts')).href);
  const start = performance.now();
  let events = 0;
  if (kind === 'index') {
    events = modern
      ? server.FileLog.open(path, { durability: { policy: 'off' } }).log.state.count
      : server.History.open(path).history.length;
  } else {
    scanEntries(openSync(path, 'r'), 0, () => events++);
  }
  const ms = performance.now() - start;
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ ms, rssMiB, events }));
}

function measure(source: string, kind: Kind, path: string): Sample {
  const out = execFileSync(NODE, [join(ROOT, 'bench/history-load.ts'), '--child', source, kind, path], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as Sample;
}

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { events: 1_000_000, 'long-mb': 200, rounds: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'room-bench-load-'));
  try {
    const files = {
      [`${options.events.toLocaleString('en')} events`]: join(dir, 'events.chat'),
      [`one ${options['long-mb']} MB line`]: join(dir, 'long.chat'),
    };
    writeEvents(Object.values(files)[0]!, options.events);
    writeLongLine(Object.values(files)[1]!, options['long-mb']);
    const sources: Record<string, string> = { 'this build': ROOT };
    if (process.env.ROOM_BENCH_BEFORE_SRC) sources.before = process.env.ROOM_BENCH_BEFORE_SRC;
    const rows = [
      '| file | what | code | median ms | peak RSS MiB | events |',
      '| --- | --- | --- | --- | --- | --- |',
    ];
    for (const [fileName, path] of Object.entries(files)) {
      for (const kind of ['index', 'scan'] as const) {
        for (const [sourceName, source] of Object.entries(sources)) {
          const samples = Array.from({ length: options.rounds }, () => measure(source, kind, path));
          rows.push(
            `| ${fileName} | ${kind === 'index' ? 'broker index (load)' : 'poll scan'} | ${sourceName} | ${median(samples.map((s) => s.ms)).toFixed(0)} | ${median(samples.map((s) => s.rssMiB)).toFixed(0)} | ${samples[0]!.events} |`,
          );
        }
      }
    }
    return [`### History load (${options.rounds} rounds each)`, '', ...rows].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4] as Kind, process.argv[5]!);
