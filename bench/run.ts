// `npm run bench` runs every benchmark in turn; `npm run bench -- <name>
// [--option value ...]` runs one (options are listed in each file's header).
// Each prints a Markdown report: bench/README.md records the figures.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.ts';

interface Bench {
  readonly name: string;
  readonly summary: string;
  readonly main: (argv: readonly string[]) => Promise<string>;
}

const BENCHES: Record<string, () => Promise<Bench>> = {
  coldstart: () => import('./cold-start.ts'),
  'poll-scale': () => import('./poll-scale.ts'),
  'log-scale': () => import('./log-scale.ts'),
  'watch-latency': () => import('./watch-latency.ts'),
  broker: () => import('./fanout.ts'),
  'web-latency': () => import('./web-latency.ts'),
  'history-load': () => import('./history-load.ts'),
  hooks: () => import('./hooks.ts'),
  'tui-flood': () => import('./tui-flood.ts'),
  nats: () => import('./nats.ts'),
  startup: () => import('./startup.ts'),
};

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') {
    for (const [name, load] of Object.entries(BENCHES)) console.log(`${name.padEnd(14)} ${(await load()).summary}`);
    return;
  }
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/ is missing: run npm run build first');
  const names = first === undefined ? Object.keys(BENCHES) : [first];
  for (const name of names) {
    const load = BENCHES[name];
    if (load === undefined) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`);
    const bench = await load();
    console.error(`running ${bench.name}: ${bench.summary}`);
    console.log(`${await bench.main(first === undefined ? [] : rest)}\n`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
