// The `room` command. This entry stays tiny: it turns on Node's compile
// cache, picks the command from argv and loads only that command's code, so
// one-shot commands never pay for the TUI or the broker.
import { writeSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { EXIT, isRoomError } from '../shared/exit.ts';
import { compileCacheDir, roomDirFrom } from '../shared/paths.ts';
import type { Cli, Command } from './cli.ts';

enableCompileCache?.(compileCacheDir(process.env, homedir()));

const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  join: () => import('./commands/join.ts'),
  send: () => import('./commands/send.ts'),
  poll: () => import('./commands/poll.ts'),
  watch: () => import('./commands/watch.ts'),
  follow: () => import('./commands/follow.ts'),
  hook: () => import('./commands/hook.ts'),
  help: () => import('./commands/help.ts'),
  init: () => import('./commands/init.ts'),
  web: () => import('./commands/web.ts'),
  mcp: () => import('./commands/mcp.ts'),
  'edit-check': () => import('./commands/edit-check.ts'),
  log: () => import('./commands/log.ts'),
  stop: () => import('./commands/stop.ts'),
  ls: () => import('./commands/ls.ts'),
};

function makeCli(): Cli {
  // process.stdin and process.stdout are created on first use: building them
  // loads Node's stream classes and, for a pipe, node:net (~2-3 ms), which a
  // poll, or a send given its words, does not otherwise need. Output is
  // written to fd 1 directly until the stream exists; once it does (a write
  // would block, or a command took cli.stdout), everything goes through it,
  // so the order of the output is kept (bench/README.md).
  let stdout: NodeJS.WriteStream | undefined;
  const stream = (): NodeJS.WriteStream => {
    if (stdout === undefined) {
      stdout = process.stdout;
      stdout.on('error', (error: NodeJS.ErrnoException) => {
        // The reader went away (`room poll | head -1`): stop quietly.
        if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw error;
      });
    }
    return stdout;
  };
  const write = (text: string): void => {
    if (stdout !== undefined) {
      stdout.write(text);
      return;
    }
    const data = Buffer.from(text);
    let done = 0;
    try {
      while (done < data.length) done += writeSync(1, data, done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      if (code !== 'EAGAIN') throw error;
      stream().write(data.subarray(done)); // a non-blocking fd that is full: the stream waits for it
    }
  };
  return {
    env: process.env,
    dir: roomDirFrom(process.env),
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return stream();
    },
    out: (line) => write(`${line}\n`),
    write,
    err: (line) => void process.stderr.write(`${line}\n`),
  };
}

/** `--help` anywhere before a `--` asks for help. */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function main(argv: string[]): Promise<number> {
  const cli = makeCli();
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    const { VERSION } = await import('../shared/version.ts');
    cli.out(VERSION);
    return EXIT.ok;
  }
  if (first === undefined && cli.stdin.isTTY && cli.stdout.isTTY) {
    return (await import('./commands/pick.ts')).default.run([], cli);
  }
  if (first === undefined || first === '--help' || first === '-h') {
    return (await COMMANDS.help!()).default.run(first === undefined ? ['--no-args'] : [], cli);
  }
  const load = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (load !== undefined) {
    const command = (await load()).default;
    if (wantsHelp(command.optionPart?.(rest) ?? rest)) {
      cli.out(command.usage);
      return EXIT.ok;
    }
    return command.run(rest, cli);
  }
  const session = (await import('./commands/session.ts')).default;
  if (wantsHelp(argv)) {
    cli.out(session.usage);
    return EXIT.ok;
  }
  return session.run(argv, cli);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isRoomError(error)) {
      process.stderr.write(`room: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(
        `room: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = EXIT.internal;
    }
  },
);
