// End to end with the real Claude Code CLI and no network: a fake Anthropic
// Messages API (streaming) on loopback, a project whose .claude/room.json
// names a room, the plugin loaded with --plugin-dir, `room` on the PATH.
// The fake model runs `sleep` through the Bash tool a few times while alice
// writes to the room, so the session is alive when her message arrives;
// every request the CLI sends is recorded, and the report says what reached
// the model from the SessionStart hook, the monitor and UserPromptSubmit.
//
//   node scripts/claude-e2e.ts /path/to/claude [--print] [--events] [--keep]
//
// --print runs `claude -p` instead of the interactive UI in tmux (hooks run,
// monitors are not armed in print mode); --events prints the screen or the
// stream-json output; --keep keeps the temporary folder.
//
// (Claude Code is not a dependency: install it anywhere, e.g.
// `npm install @anthropic-ai/claude-code` in a scratch folder.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROOM_BIN = join(ROOT, 'bin', 'room');
const [claude, ...flags] = process.argv.slice(2);
if (claude === undefined) {
  console.error('usage: node scripts/claude-e2e.ts /path/to/claude [--keep]');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'room-e2e-'));
const roomDir = join(work, 'rooms');
const project = join(work, 'project');
const home = join(work, 'home');
const bin = join(work, 'bin');
for (const d of [roomDir, join(project, '.claude'), home, bin]) mkdirSync(d, { recursive: true });
writeFileSync(join(project, '.claude', 'room.json'), '{"room":"e2e"}\n');
symlinkSync(ROOM_BIN, join(bin, 'room'));
const env: NodeJS.ProcessEnv = { ...process.env, ROOM_DIR: roomDir, PATH: `${bin}:${process.env.PATH}` };
delete env.ROOM_TOKEN;

const room = (...args: string[]) => spawnSync(ROOM_BIN, args, { env, encoding: 'utf8' });
room('join', 'e2e', 'alice');
const aliceFile = join(roomDir, 'room-e2e-alice.token');
room('send', 'e2e', '--token-file', aliceFile, 'morning all; @claude-1a2b3c4d can you hold off on src/parser.ts?');
room('send', 'e2e', '--token-file', aliceFile, '/claim', 'src/parser.ts');

// ---------------------------------------------------------------- the fake model
const requests: { path: string; body: Record<string, unknown> }[] = [];
let turns = 0;
let aliceSpoke = false;

function sse(res: ServerResponse, blocks: object[], stop: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (type: string, data: object) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', {
    message: {
      id: `msg_${requests.length}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 1 },
    },
  });
  blocks.forEach((block, index) => {
    const b = block as { type: string; text?: string; input?: object };
    if (b.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: b.text } });
    } else {
      send('content_block_start', { index, content_block: { ...b, input: {} } });
      send('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) },
      });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } });
  send('message_stop', {});
  res.end();
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let text = '';
  req.on('data', (c: Buffer) => (text += c));
  req.on('end', () => {
    const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    requests.push({ path: req.url ?? '', body });
    if (!req.url?.startsWith('/v1/messages') || req.url.includes('count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: 10 }));
      return;
    }
    const tools = (body.tools as { name: string }[] | undefined) ?? [];
    const main = tools.some((t) => t.name === 'Bash');
    if (!main || body.stream !== true) {
      if (body.stream === true) return sse(res, [{ type: 'text', text: 'ok' }], 'end_turn');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'msg_side',
          type: 'message',
          role: 'assistant',
          model: 'claude-haiku-4-5',
          content: [{ type: 'text', text: 'ok' }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 1, output_tokens: 1 },
        }),
      );
      return;
    }
    turns++;
    if (turns === 2 && !aliceSpoke) {
      aliceSpoke = true;
      room('send', 'e2e', '--token-file', aliceFile, 'a new message while you work, @claude-1a2b3c4d');
    }
    if (turns === 1)
      // The session's own room command: no token option (ROOM_TOKEN_FILE from $CLAUDE_ENV_FILE), no prompt.
      return sse(
        res,
        [
          {
            type: 'tool_use',
            id: 'toolu_send',
            name: 'Bash',
            input: { command: 'room send e2e "hello from the session"', description: 'say hello' },
          },
        ],
        'tool_use',
      );
    if (turns <= 4)
      return sse(
        res,
        [{ type: 'tool_use', id: `toolu_${turns}`, name: 'Bash', input: { command: 'sleep 3', description: 'wait' } }],
        'tool_use',
      );
    return sse(res, [{ type: 'text', text: 'done' }], 'end_turn');
  });
});
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const port = (server.address() as AddressInfo).port;

// ---------------------------------------------------------------- the session
// Plugin monitors are armed by the interactive UI only, so the session runs
// interactively in a private tmux server (-p mode runs the hooks, no monitor).
const interactive = !flags.includes('--print');
const sessionEnv: NodeJS.ProcessEnv = {
  ...env,
  HOME: home,
  ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
  ANTHROPIC_API_KEY: 'sk-ant-dummy-key-for-a-fake-api',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
};
const claudeArgs = [
  '--plugin-dir',
  join(ROOT, 'plugin'),
  '--session-id',
  '1a2b3c4d-1111-4222-8333-444455556666',
  '--allowedTools',
  'Bash(sleep *)',
  'Bash(room send *)',
];
let out = '';
let err = '';
let code: number | null = null;
if (interactive) {
  // First-run screens answered ahead: onboarding done, the folder trusted, the API key approved.
  writeFileSync(
    join(home, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      theme: 'dark',
      customApiKeyResponses: { approved: [sessionEnv.ANTHROPIC_API_KEY!.slice(-20)], rejected: [] },
      projects: { [project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
    }),
  );
  const tmux = (...args: string[]) =>
    spawnSync('tmux', ['-S', join(work, 'tmux'), '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const envArgs = Object.entries(sessionEnv).map(([k, v]) => `${k}=${v}`);
  tmux(
    'new-session',
    '-d',
    '-x',
    '160',
    '-y',
    '50',
    '-c',
    project,
    'env',
    ...envArgs,
    claude,
    'Please continue with the task.',
    ...claudeArgs,
  );
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline && !JSON.stringify(requests.slice(-3)).includes('a new message while you work')) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  out = tmux('capture-pane', '-p').stdout;
  const whoDuring = room('send', 'e2e', '--token-file', aliceFile, '/who');
  console.log(`/who during the session: ${JSON.parse(whoDuring.stdout || '{}').content}`);
  tmux('kill-server');
  await new Promise((resolve) => setTimeout(resolve, 3000)); // the monitor's follower notices its parent is gone
} else {
  const child = spawn(
    claude,
    ['-p', 'Please continue with the task.', ...claudeArgs, '--output-format', 'stream-json', '--verbose'],
    {
      cwd: project,
      env: sessionEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  code = await new Promise((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
}
server.close();

// ---------------------------------------------------------------- the report
/** Every text the model was given, with where it was. */
const texts: { where: string; text: string }[] = [];
for (const [n, { body }] of requests.entries()) {
  if (!Array.isArray(body.messages)) continue;
  const system = body.system;
  if (Array.isArray(system))
    for (const s of system) texts.push({ where: `request ${n} system`, text: String((s as { text?: string }).text) });
  for (const [m, message] of (body.messages as { role: string; content: unknown }[]).entries()) {
    const parts =
      typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : (message.content as object[]);
    for (const part of parts) {
      const p = part as { type: string; text?: string; content?: unknown };
      const text = p.text ?? (typeof p.content === 'string' ? p.content : JSON.stringify(p.content ?? ''));
      texts.push({ where: `request ${n} message ${m} (${message.role}, ${p.type})`, text });
    }
  }
}
const seen = (needle: RegExp) => {
  const hits = texts.filter((t) => needle.test(t.text));
  return hits.length === 0
    ? '  (not found)'
    : hits.map((h) => `  ${h.where}:\n    ${h.text.slice(0, 1200).replaceAll('\n', '\n    ')}`).join('\n');
};
console.log(
  `${interactive ? 'interactive' : `claude -p exited ${code}`}; ${requests.length} API requests, ${turns} main-loop turns`,
);
console.log(`\nFrom SessionStart ("room: in this session you are"):\n${seen(/room: in this session you are/)}`);
console.log(
  `\nFrom the monitor or a hook (the message alice sent mid-session):\n${seen(/a new message while you work/)}`,
);
const history = room('poll', 'e2e', '--token-file', aliceFile).stdout;
const hello = history.split('\n').find((l) => l.includes('hello from the session'));
console.log(
  `\nThe session's own \`room send e2e "hello from the session"\` (no token option): ${hello ?? '(not in the history)'}`,
);
const tokenRecord = join(roomDir, 'room-e2e-claude-1a2b3c4d.token');
const who = room('send', 'e2e', '--token-file', aliceFile, '/who');
console.log(`\n/who 3 s after the session was killed: ${JSON.parse(who.stdout || '{}').content}`);
console.log(
  `\noutput: ${out.split('\n').filter((l) => l.trim() !== '').length} lines; stderr: ${err.trim().slice(0, 500) || '(empty)'}`,
);
console.log(`session token record: ${tokenRecord}`);
if (flags.includes('--events')) console.log(out);
if (flags.includes('--keep')) console.log(`kept ${work}`);
else {
  for (const line of room('send', 'e2e', '--token-file', aliceFile, '/exit').stderr.split('\n'))
    if (line) console.error(line);
  rmSync(work, { recursive: true, force: true });
}
