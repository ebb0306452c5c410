// Bundles the CLI and the broker with esbuild into dist/ (ESM). Run by
// `npm install` (prepare) and before the tests. Two builds:
//
// - The entry (dist/cli.js) and the one-shot commands (send, poll, watch,
//   join, help), each bundled whole into one file of its own. The entry
//   loads only the command it runs, with `import('./<command>.js')`, so a
//   one-shot loads two files. Every extra ESM file costs a cold start about
//   0.4 ms, and a code-split build gave `room send` eight (bench/README.md).
//   The small modules they share (errors, paths) are copied into each file;
//   RoomError is recognised across copies (shared/errors.ts).
// - The other commands (the live session, init) and the broker, with code
//   splitting: they share large dependencies (ink, react, fastify) and
//   load parts of them lazily.
//
// In both, `import … from 'node:x'` becomes `process.getBuiltinModule('node:x')`
// (see builtinsOnUse): besides the milliseconds it saves a one-shot, an ESM
// namespace of node:http builds its lazy WebSocket and MessageEvent exports,
// which load Node's whole undici: ~6 MB more for every terminal UI. Both are
// minified for whitespace and syntax, not names (stack traces keep them):
// ~7 MB less RSS for an idle broker, whose source text V8 keeps in its heap.
// Some dependencies are patched as they are bundled (DEPENDENCY_PATCHES).
//
// - What the broker would otherwise make at each start, generated here
//   (server/precompiled/generate.ts: Ajv's standalone code for every route
//   part and for the history's line check; the OpenAPI document) and bundled
//   in place of server/precompiled/generated.ts, so the broker starts without
//   generating code or loading Ajv and @fastify/swagger. Never written to the
//   source tree: each build makes it from the schemas it bundles.
//
// - The page of `room web` (client/web/page/), for browsers, into dist/web/:
//   app.js (one file), app.css and index.html.
//
// dist/ is rebuilt in place, never emptied first: a room already running
// from it (a TUI that loads a chunk lazily, a test spawning the CLI) keeps
// finding its files. Chunks the new build no longer writes are removed once
// they are an hour old.
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GeneratedCode, generateCode, generatedModule, validatorSource } from '../server/precompiled/generate.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

/** Commands started thousands of times by agents (hook: on every prompt of a Claude Code session): one self-contained file each. */
const ONE_SHOTS = ['send', 'poll', 'watch', 'join', 'help', 'hook'];

/**
 * An ESM `import { x } from 'node:fs'` makes Node build the module's whole
 * namespace, which runs every lazy getter: for node:fs and node:util that
 * loads ~35 internal modules (fs/promises, streams, readline, worker_threads)
 * and costs a cold start ~3 ms each. Here each builtin imported by our code
 * becomes a module that gets it with `process.getBuiltinModule` and exports
 * only the names used (the others are tree-shaken), so only what runs is
 * loaded. `process.getBuiltinModule` needs no require function (making one
 * with createRequire, and importing node:module for it, cost a one-shot
 * ~1 ms), and skips the CommonJS loader's resolution for each builtin.
 */
const builtinsOnUse: Plugin = {
  name: 'builtins-on-use',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.namespace === 'builtin' || args.kind === 'require-call'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const names = Object.keys(require(args.path) as object).filter(
        (n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default',
      );
      const lines = [
        `const m = process.getBuiltinModule(${JSON.stringify(args.path)});`,
        'export default m;',
        ...names.map((n) => `export const ${n} = /* @__PURE__ */ (() => m.${n})();`),
      ];
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

/** The entry's `import('./commands/<name>.ts')` loads dist/<name>.js, built on its own. */
const commandsApart = (found: Set<string>): Plugin => ({
  name: 'commands-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[\w-]+\.ts$/ }, (args) => {
      if (args.importer !== join(root, 'client', 'main.ts')) return undefined;
      const name = args.path.slice('./commands/'.length, -'.ts'.length);
      found.add(name);
      return { path: `./${name}.js`, external: true };
    });
  },
});

/** The generated code in place of server/precompiled/generated.ts; `used.bundled` is set once it is bundled. */
const precompiled = (code: GeneratedCode, used: { bundled: boolean }): Plugin => ({
  name: 'precompiled',
  setup(b) {
    const namespace = 'room-precompiled';
    b.onLoad({ filter: /[\\/]server[\\/]precompiled[\\/]generated\.ts$/ }, () => {
      used.bundled = true;
      return { contents: generatedModule(code, namespace), loader: 'js', resolveDir: root };
    });
    b.onResolve({ filter: new RegExp(`^${namespace}:`) }, (args) => ({
      path: args.path.slice(namespace.length + 1),
      namespace,
    }));
    // Ajv's standalone code is CommonJS and requires its small runtime helpers (ajv/dist/runtime/…, ajv-formats' formats).
    b.onLoad({ filter: /.*/, namespace }, (args) => {
      const contents = validatorSource(code, args.path);
      if (contents === undefined) throw new Error(`no generated validator ${args.path}`);
      return { contents, loader: 'js', resolveDir: root };
    });
  },
});

/** A change made to a dependency's file as it is bundled, for a cost measured in bench/README.md. */
interface DependencyPatch {
  /** The file, by its path under node_modules. */
  readonly file: RegExp;
  /** Each text to replace, exactly as the dependency has it, and how many times it occurs there. */
  readonly replace: readonly { readonly from: string; readonly to: string; readonly times: number }[];
}

/** A JS expression that throws: `module` is not in the bundle (DEPENDENCY_PATCHES). */
function leftOut(module: string): string {
  const message = `${module} is left out of room's broker bundle (scripts/build.ts, DEPENDENCY_PATCHES)`;
  return `(() => { throw new Error(${JSON.stringify(message)}) })()`;
}

/** In place of a module object required at load: any use of it throws leftOut's error. */
const leftOutModule = (module: string): string => `new Proxy({}, { get: () => ${leftOut(module)} })`;

/**
 * The patches. The build fails when a dependency no longer has exactly the
 * text a patch replaces (after an upgrade): look again, then update or drop it.
 */
const DEPENDENCY_PATCHES: readonly DependencyPatch[] = [
  // Yoga (Ink's layout engine) is WebAssembly embedded in its loader as a
  // base64 `data:` URL, and the loader, built for browsers too, reads it with
  // `fetch()` when there is one. In Node the first `fetch` loads Node's own
  // undici (its fetch implementation, ~0.8 MB of source) only to decode a
  // string. With the `typeof fetch` tests false the loader takes its other
  // path, which decodes the base64 itself.
  {
    file: /[\\/]node_modules[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/,
    replace: [{ from: '"function"!=typeof fetch', to: 'true', times: 2 }],
  },
  // Fastify requires node:https and node:http2 at load to create a server of
  // either kind when asked; the broker never asks (plain HTTP on a Unix
  // socket). Loading them (TLS, HTTP/2) costs every broker start ~10 ms of
  // CPU and ~3 MB of RSS: here each is loaded on first use.
  {
    file: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/]server\.js$/,
    replace: [
      {
        from: "const https = require('node:https')",
        to: "const https = new Proxy({}, { get: (_, name) => require('node:https')[name] })",
        times: 1,
      },
      {
        from: "const http2 = require('node:http2')",
        to: "const http2 = new Proxy({}, { get: (_, name) => require('node:http2')[name] })",
        times: 1,
      },
    ],
  },
  // What Fastify requires only for options the broker does not use is left
  // out of the bundle: its source is held in memory by every broker though
  // never run (V8 keeps a module's text), ~0.5 MB of it (Ajv, and
  // fast-json-stringify with its helpers: the broker brings its own
  // validators and serializer; pino: it passes `logger: false`;
  // light-my-request: it never calls `inject`). semver is run at load, to
  // check the Fastify version a plugin asks for, and the broker registers no
  // such plugin. Each is replaced by an error saying so, should a change
  // start to use it: the tests that start the built broker through the CLI
  // would meet it (test/broker-start-lean.test.ts checks the bundle).
  {
    file: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/]schema-controller\.js$/,
    replace: [
      { from: "require('@fastify/ajv-compiler')", to: leftOut('@fastify/ajv-compiler'), times: 1 },
      {
        from: "require('@fastify/fast-json-stringify-compiler')",
        to: leftOut('@fastify/fast-json-stringify-compiler'),
        times: 1,
      },
    ],
  },
  {
    file: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/]logger-factory\.js$/,
    replace: [{ from: "require('./logger-pino.js')", to: leftOut('pino'), times: 1 }],
  },
  {
    file: /[\\/]node_modules[\\/]fastify[\\/]fastify\.js$/,
    replace: [{ from: "require('light-my-request')", to: leftOut('light-my-request'), times: 1 }],
  },
  {
    file: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/]request\.js$/,
    replace: [
      {
        from: "const proxyAddr = require('@fastify/proxy-addr')",
        to: `const proxyAddr = ${leftOutModule('@fastify/proxy-addr (trustProxy)')}`,
        times: 1,
      },
    ],
  },
  // find-my-way checks, as it loads, that three regular expressions of its
  // own are safe (~8 ms of every start, and ret's source): they are
  // constants, checked by their authors. It also checks the regex of a route
  // parameter, and the broker has none.
  {
    file: /[\\/]node_modules[\\/]find-my-way[\\/]index\.js$/,
    replace: [
      {
        from: "const isRegexSafe = require('safe-regex2')",
        to: `const isRegexSafe = () => ${leftOut('safe-regex2 (a route parameter with a regex)')}`,
        times: 1,
      },
      { from: '!isRegexSafe(OPTIONAL_PARAM_REGEXP)', to: 'false', times: 1 },
      { from: '!isRegexSafe(ESCAPE_REGEXP)', to: 'false', times: 1 },
      { from: '!isRegexSafe(REMOVE_DUPLICATE_SLASHES_REGEXP)', to: 'false', times: 1 },
    ],
  },
  {
    file: /[\\/]node_modules[\\/]fastify[\\/]lib[\\/]plugin-utils\.js$/,
    replace: [
      {
        from: "const semver = require('semver')",
        to: `const semver = ${leftOutModule('semver')}`,
        times: 1,
      },
    ],
  },
];

const dependencyPatches: Plugin = {
  name: 'dependency-patches',
  setup(b) {
    for (const patch of DEPENDENCY_PATCHES)
      b.onLoad({ filter: patch.file }, async (args) => {
        let contents = await readFile(args.path, 'utf8');
        for (const { from, to, times } of patch.replace) {
          const found = contents.split(from).length - 1;
          if (found !== times)
            throw new Error(
              `scripts/build.ts: ${args.path} has ${JSON.stringify(from)} ${found} times, not ${times}: update DEPENDENCY_PATCHES`,
            );
          contents = contents.replaceAll(from, to);
        }
        return { contents, loader: 'js' };
      });
  },
};

// package.json says `sideEffects: false`: importing any of room's modules only defines things, so
// a bundle leaves out a module none of whose exports it uses. esbuild would otherwise keep an
// object literal that reads another module's constant (evanw/esbuild#4373): the entry,
// dist/cli.js, carried shared/errors.ts's whole table because shared/paths.ts imports it for
// functions the entry never calls.
const common: BuildOptions = {
  absWorkingDir: root,
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Chunks sit beside the entries: client code finds dist/broker.js relative to itself.
  chunkNames: '[name]-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  // ink imports react-devtools-core only in development; keep it out of the bundle.
  alias: { 'react-devtools-core': './scripts/devtools-stub.js' },
  define: { 'process.env.NODE_ENV': '"production"', 'process.env.DEV': '"false"' },
  // CommonJS dependencies (fastify, ajv) call require() for builtins: give ESM files one. The
  // entry and the one-shots have no such dependency and go without (checked below).
  banner: {
    js: 'import { createRequire as __roomRequire } from "node:module"; const require = __roomRequire(import.meta.url);',
  },
};

const commands = new Set<string>();
const entry = await build({
  ...common,
  splitting: false,
  plugins: [commandsApart(commands), builtinsOnUse],
  banner: {},
  entryPoints: {
    cli: 'client/main.ts',
    ...Object.fromEntries(ONE_SHOTS.map((name) => [name, `client/commands/${name}.ts`])),
  },
});
const missing = ONE_SHOTS.filter((name) => !commands.has(name));
if (missing.length > 0)
  throw new Error(`scripts/build.ts: client/main.ts no longer loads ${missing.join(', ')}: update ONE_SHOTS`);
// Built without a require function: a CommonJS dependency's require() would throw at run time.
for (const out of Object.keys(entry.metafile?.outputs ?? {}))
  if ((await readFile(join(root, out), 'utf8')).includes('__require('))
    throw new Error(`scripts/build.ts: ${out} calls require() (a CommonJS dependency?): give the entry build a banner`);
const rest = [...commands].filter((name) => !ONE_SHOTS.includes(name));
const generated = { bundled: false };
const split = await build({
  ...common,
  splitting: true,
  plugins: [precompiled(await generateCode(), generated), dependencyPatches, builtinsOnUse],
  entryPoints: {
    broker: 'server/main.ts',
    ...Object.fromEntries(rest.map((name) => [name, `client/commands/${name}.ts`])),
  },
});
if (!generated.bundled)
  throw new Error('scripts/build.ts: the broker no longer imports server/precompiled/generated.ts: update the build');

const page = await build({
  absWorkingDir: root,
  outdir: 'dist/web',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  entryPoints: [
    { in: 'client/web/page/main.ts', out: 'app' },
    { in: 'client/web/page/app.css', out: 'app' },
  ],
});
mkdirSync(join(dist, 'web'), { recursive: true });
copyFileSync(join(root, 'client/web/page/index.html'), join(dist, 'web', 'index.html'));

const outputs = (meta: Metafile | undefined) => Object.keys(meta?.outputs ?? {}).map((out) => join(root, out));
const written = new Set([
  ...outputs(entry.metafile),
  ...outputs(split.metafile),
  ...outputs(page.metafile),
  join(dist, 'web'),
]);
for (const name of readdirSync(dist)) {
  const path = join(dist, name);
  if (!written.has(path) && Date.now() - statSync(path).mtimeMs > 3600_000) rmSync(path, { force: true });
}
