// The Claude Code plugin's hooks, start to exit, as Claude Code runs them
// (plugin/hooks/room-hook with the hook's JSON on stdin, room on the PATH),
// beside `node -e 0`. UserPromptSubmit runs on every prompt, so it is the one
// that must stay fast; SessionStart runs once per session (here: a resumed
// session, which reuses its record; a first start also joins).
//
//   npm run bench -- hooks [--rounds 40] [--warmup 3]
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BenchDir,
  NODE,
  ROOM_BIN,
  ROOT,
  fmt,
  load,
  machine,
  numberOptions,
  roundRobin,
  run,
  stats,
  table,
  type Variant,
} from './lib.ts';

export const name = 'hooks';
export const summary = 'the plugin hooks (prompt, session-start on resume, room not installed) vs node -e 0';

const HOOK = join(ROOT, 'plugin', 'hooks', 'room-hook');
const SESSION = '1a2b3c4d-1111-4222-8333-444455556666';

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { rounds: 40, warmup: 3 });
  const dir = new BenchDir();
  try {
    const project = dir.file('project');
    mkdirSync(join(project, '.claude'), { recursive: true });
    writeFileSync(join(project, '.claude', 'room.json'), '{"room":"bench"}');
    const bin = dir.file('bin');
    mkdirSync(bin);
    symlinkSync(ROOM_BIN, join(bin, 'room'));
    const env = { ...dir.env, PATH: `${bin}:/usr/bin:/bin`, CLAUDE_PROJECT_DIR: project };
    const bare = { ...env, PATH: '/usr/bin:/bin' };
    const alice = dir.join('bench', 'alice');
    const input = (event: string, extra: object = {}) =>
      JSON.stringify({ session_id: SESSION, cwd: project, hook_event_name: event, ...extra });
    const hook = (event: string, stdin: string, hookEnv: NodeJS.ProcessEnv) => () =>
      run(HOOK, [event], { env: hookEnv, input: stdin }).ms;
    run(HOOK, ['session-start'], { env, input: input('SessionStart', { source: 'startup' }) }); // joins
    const send = () => run(ROOM_BIN, ['send', 'bench', 'a new message'], { env: { ...env, ROOM_TOKEN: alice } });

    const variants: Variant[] = [
      { name: 'node -e 0', run: () => run(NODE, ['-e', '0']).ms },
      { name: 'prompt, nothing new', run: hook('prompt', input('UserPromptSubmit', { prompt: 'hi' }), env) },
      {
        name: 'prompt, one new message',
        before: send,
        run: hook('prompt', input('UserPromptSubmit', { prompt: 'hi' }), env),
      },
      {
        name: 'session-start (resume)',
        run: hook('session-start', input('SessionStart', { source: 'resume' }), env),
      },
      { name: 'prompt, room not installed', run: hook('prompt', input('UserPromptSubmit'), bare) },
    ];
    const samples = roundRobin(variants, options.rounds, options.warmup);
    const rows = variants.map((v) => {
      const s = stats(samples.get(v.name)!);
      return [v.name, fmt(s.median), fmt(s.min), fmt(s.p99)];
    });
    return [
      `### Plugin hooks (${options.rounds} rounds, round-robin)`,
      '',
      machine(),
      '',
      table(['hook', 'median ms', 'min ms', 'p99 ms'], rows),
      '',
      `load after: ${load()}`,
    ].join('\n');
  } finally {
    await dir.cleanup();
  }
}
