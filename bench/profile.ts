// Reads V8 CPU profiles (`node --cpu-prof`, e.g. the broker's under
// `ROOM_BENCH_PROFILE=<dir> npm run bench -- broker`) and prints where the
// time went: self time per function, and per source file or package, summed
// over every profile given; and inclusive time (the function and what it
// called) per function.
//
//   node bench/profile.ts <file.cpuprofile | dir> … [--top 40]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code comes from: a package, node's internals, a file of dist/, or V8 itself. */
function sourceOf(url: string, functionName: string): string {
  if (url === '') return `(${functionName || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\/.*\/dist\//, 'dist/');
}

function profilesIn(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.cpuprofile'))
          .map((name) => join(path, name))
      : [path],
  );
}

function main(argv: readonly string[]): void {
  let top = 40;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else paths.push(argv[i]!);
  }
  const files = profilesIn(paths);
  if (files.length === 0) throw new Error('usage: profile.ts <file.cpuprofile | dir> … [--top N]');
  const byFunction = new Map<string, number>();
  const bySource = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const nameOf = (id: number) => {
      const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
      return `${functionName || '(anonymous)'} ${sourceOf(url, functionName)}${url === '' ? '' : `:${lineNumber + 1}`}`;
    };
    for (let i = 0; i < profile.samples.length; i++) {
      const us = profile.timeDeltas[i] ?? 0;
      const { functionName, url } = nodes.get(profile.samples[i]!)!.callFrame;
      const source = sourceOf(url, functionName);
      const fn = nameOf(profile.samples[i]!);
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
      const onStack = new Set<string>();
      for (let id: number | undefined = profile.samples[i]!; id !== undefined; id = parents.get(id))
        onStack.add(nameOf(id));
      for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      bySource.set(source, (bySource.get(source) ?? 0) + us);
      total += us;
    }
  }
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `| ${((100 * us) / total).toFixed(1)}% | ${(us / 1000).toFixed(0)} | ${name} |`);
  console.log(`${files.length} profile(s), ${(total / 1000).toFixed(0)} ms sampled\n`);
  console.log('| self | ms | function |\n| --- | --- | --- |');
  console.log(rows(byFunction).join('\n'));
  console.log('\n| self | ms | source |\n| --- | --- | --- |');
  console.log(rows(bySource).join('\n'));
  console.log('\n| total | ms | function and what it called |\n| --- | --- | --- |');
  console.log(rows(inclusive).join('\n'));
}

main(process.argv.slice(2));
