// Bundles the CLI and the broker with esbuild into dist/: ESM with code
// splitting, so each command loads only its own chunk (one-shot commands
// never load ink, fastify or undici). Run by `npm install` (prepare) and
// before the tests.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

// dist/ is rebuilt in place, never emptied first: a room already running
// from it (a TUI that loads a chunk lazily, a test spawning the CLI) keeps
// finding its files. Chunks the new build no longer writes are removed once
// they are an hour old.
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'client/main.ts', broker: 'server/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Chunks sit beside the entries: client code finds dist/broker.js relative to itself.
  chunkNames: '[name]-[hash]',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // ink imports react-devtools-core only in development; keep it out of the bundle.
  alias: { 'react-devtools-core': './scripts/devtools-stub.js' },
  define: { 'process.env.NODE_ENV': '"production"', 'process.env.DEV': '"false"' },
  // CommonJS dependencies (undici, fastify) call require(): give ESM chunks one.
  banner: { js: 'import { createRequire as __roomRequire } from "node:module"; const require = __roomRequire(import.meta.url);' },
});

const written = new Set(Object.keys(result.metafile.outputs).map((out) => join(root, out)));
for (const name of readdirSync(dist)) {
  const path = join(dist, name);
  if (!written.has(path) && Date.now() - statSync(path).mtimeMs > 3600_000) rmSync(path, { force: true });
}
