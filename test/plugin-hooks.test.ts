// The plugin's hooks and monitor, run as Claude Code runs them: the script
// plugin/hooks/room-hook with the documented JSON on stdin, `room` on the
// PATH, $CLAUDE_PROJECT_DIR and $CLAUDE_ENV_FILE set; stdout checked against
// the documented output (hookSpecificOutput.additionalContext, or nothing).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { http, ndjson, ROOM_BIN, ROOT, RoomDir, waitUntil, type RunResult } from './helpers.ts';

const HOOK = join(ROOT, 'plugin', 'hooks', 'room-hook');
const SESSION_A = '1a2b3c4d-1111-4222-8333-444455556666';
const SESSION_B = '9f8e7d6c-1111-4222-8333-444455556666';

interface Project {
  readonly dir: RoomDir;
  readonly folder: string;
  readonly envFile: string;
  readonly env: NodeJS.ProcessEnv;
  hook(event: string, input: object, env?: NodeJS.ProcessEnv): Promise<RunResult>;
  send(user: string, ...words: string[]): Promise<{ id: string }>;
}

/** A project whose .claude/room.json names room `proj`, `room` on the PATH, alice in the room. */
async function project(t: TestContext, settings: object = { room: 'proj' }): Promise<Project> {
  const dir = RoomDir.create(t);
  const folder = dir.file('project');
  mkdirSync(join(folder, '.claude'), { recursive: true });
  writeFileSync(join(folder, '.claude', 'room.json'), JSON.stringify(settings));
  const bin = dir.file('bin');
  mkdirSync(bin);
  symlinkSync(ROOM_BIN, join(bin, 'room'));
  const envFile = dir.file('claude-env.sh');
  writeFileSync(envFile, '');
  const env = { ...dir.env, PATH: `${bin}:/usr/bin:/bin`, CLAUDE_PROJECT_DIR: folder, CLAUDE_ENV_FILE: envFile };
  await dir.join('proj', 'alice');
  return {
    dir,
    folder,
    envFile,
    env,
    hook: (event, input, more = {}) => runHook([event], JSON.stringify({ cwd: folder, ...input }), { ...env, ...more }),
    async send(user, ...words) {
      const result = await dir.run(['send', 'proj', '--token-file', dir.file(`room-proj-${user}.token`), ...words]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as { id: string };
    },
  };
}

function runHook(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(HOOK, args, { env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on('error', () => {}); // a hook with nothing to do may exit before reading its input
    child.stdin.end(input);
  });
}

const start = (id: string, source = 'startup') => ({
  session_id: id,
  transcript_path: `/home/u/.claude/projects/p/${id}.jsonl`,
  hook_event_name: 'SessionStart',
  source,
});
const promptInput = (id: string) => ({ session_id: id, hook_event_name: 'UserPromptSubmit', prompt: 'go on' });

/** The additionalContext of a hook's output, checking the documented shape (plus systemMessage where expected). */
function context(result: RunResult, event: string, keys = ['hookSpecificOutput']): string {
  assert.equal(result.code, 0, result.stderr);
  const output = JSON.parse(result.stdout) as {
    hookSpecificOutput: { hookEventName: string; additionalContext: string };
  };
  assert.deepEqual(Object.keys(output).sort(), [...keys].sort());
  assert.equal(output.hookSpecificOutput.hookEventName, event);
  assert.equal(typeof output.hookSpecificOutput.additionalContext, 'string');
  return output.hookSpecificOutput.additionalContext;
}

const tokenOf = (p: Project, name: string) =>
  (JSON.parse(readFileSync(p.dir.file(`room-proj-${name}.token`), 'utf8')) as { token: string }).token;

test('SessionStart joins as this session, says who it is, what is unseen (addressed first) and open claims; no token shown', async (t) => {
  const p = await project(t);
  await p.send('alice', 'general chatter');
  await p.send('alice', '/claim', 'src/parser.ts', 'fixing', 'CRLF');
  await p.send('alice', 'please hold off on parser.ts, @claude-1a2b3c4d');
  const result = await p.hook('session-start', start(SESSION_A));
  const text = context(result, 'SessionStart');
  assert.match(text, /you are claude-1a2b3c4d in the room proj/);
  assert.match(
    text,
    /Unseen for you: 3 \(1 addressed to you, 1 asking to hold\), most important first:\n\[room\] alice \(message \w{8}, mentions you\): please hold off/,
  );
  // The holder, what, their claim's words and since when (GET /claims), and how to claim first.
  assert.match(
    text,
    /Open claims by others \(don't edit these; claim yours first: room send proj \/claim <path>\): alice: src\/parser\.ts \("src\/parser\.ts fixing CRLF", since \d\d:\d\d UTC\)\./,
  );
  const token = tokenOf(p, 'claude-1a2b3c4d');
  assert.ok(!result.stdout.includes(token) && !result.stderr.includes(token), 'the token is never printed');
  assert.equal(
    readFileSync(p.envFile, 'utf8'),
    `export ROOM_TOKEN_FILE='${p.dir.file('room-proj-claude-1a2b3c4d.token')}'\nexport ROOM_DIR='${p.dir.path}'\n`,
  );
  // The session's later commands find the token with no option, through the exported variable.
  const sent = await p.dir.run(['send', 'proj', 'on it'], {
    env: { ROOM_TOKEN_FILE: p.dir.file('room-proj-claude-1a2b3c4d.token') },
  });
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(JSON.parse(sent.stdout).user, 'claude-1a2b3c4d');
});

test('two sessions get two names, tokens and cursors; a resumed or compacted session keeps its own', async (t) => {
  const p = await project(t);
  context(await p.hook('session-start', start(SESSION_A)), 'SessionStart');
  context(await p.hook('session-start', start(SESSION_B)), 'SessionStart');
  const a = tokenOf(p, 'claude-1a2b3c4d');
  const b = tokenOf(p, 'claude-9f8e7d6c');
  assert.notEqual(a, b);
  await p.send('alice', 'for both');
  for (const source of ['resume', 'compact']) {
    const again = context(await p.hook('session-start', start(SESSION_A, source)), 'SessionStart');
    assert.match(again, /you are claude-1a2b3c4d in/);
    assert.equal(tokenOf(p, 'claude-1a2b3c4d'), a, `${source}: the same token, no new join`);
  }
  // A saw "for both" at its resume; B still has it unseen: separate cursors.
  const bNews = context(await p.hook('prompt', promptInput(SESSION_B)), 'UserPromptSubmit');
  assert.match(bNews, /\[room\] alice \(message \w{8}\): for both/);
  assert.equal((await p.hook('prompt', promptInput(SESSION_A))).stdout, '');
});

test('UserPromptSubmit delivers what is new once; nothing new prints nothing', async (t) => {
  const p = await project(t);
  context(await p.hook('session-start', start(SESSION_A)), 'SessionStart');
  assert.equal((await p.hook('prompt', promptInput(SESSION_A))).stdout, '');
  const { id } = await p.send('alice', 'a question for you');
  await p.send('alice', '--to', 'claude-1a2b3c4d', 'and a secret');
  const text = context(await p.hook('prompt', promptInput(SESSION_A)), 'UserPromptSubmit');
  assert.equal(
    text,
    `New in the room proj for you (claude-1a2b3c4d):\n[room] alice (dm ${text.match(/dm (\w{8})/)?.[1]} to you): and a secret\n[room] alice (message ${id.slice(0, 8)}): a question for you`,
  );
  const again = await p.hook('prompt', promptInput(SESSION_A));
  assert.deepEqual([again.code, again.stdout], [0, '']);
});

test('nothing is delivered twice across the monitor, the prompt hook and poll', async (t) => {
  const p = await project(t);
  context(await p.hook('session-start', start(SESSION_A)), 'SessionStart');
  const monitor = spawn(HOOK, ['monitor'], { env: { ...p.env, CLAUDE_CODE_SESSION_ID: SESSION_A }, stdio: 'pipe' });
  t.after(() => monitor.kill('SIGKILL'));
  let monitored = '';
  monitor.stdout.setEncoding('utf8').on('data', (c: string) => (monitored += c));
  const prompted: string[] = [];
  const texts = Array.from({ length: 12 }, (_, i) => `message ${i}`);
  for (const text of texts) {
    await p.send('alice', text);
    const result = await p.hook('prompt', promptInput(SESSION_A));
    if (result.stdout !== '') prompted.push(context(result, 'UserPromptSubmit'));
  }
  await waitUntil(
    async () => {
      const seen = `${monitored}\n${prompted.join('\n')}`;
      return texts.every((text) => seen.includes(`: ${text}\n`) || seen.endsWith(`: ${text}`));
    },
    10_000,
    'every message delivered by the monitor or the hook',
  );
  monitor.kill('SIGTERM');
  const polled = await p.dir.run(['poll', 'proj', '--token-file', p.dir.file('room-proj-claude-1a2b3c4d.token')]);
  const all = [
    ...monitored.split('\n'),
    ...prompted.flatMap((c) => c.split('\n')),
    ...ndjson(polled.stdout).map((e) => `: ${e.content}`),
  ];
  for (const text of texts)
    assert.equal(all.filter((line) => line.endsWith(`: ${text}`)).length, 1, `${text} delivered exactly once`);
});

test('Stop delivers only when the project turns it on, and never twice in a row', async (t) => {
  const p = await project(t, { room: 'proj', deliverOnStop: true });
  context(await p.hook('session-start', start(SESSION_A)), 'SessionStart');
  await p.send('alice', 'one more thing');
  const stopInput = { session_id: SESSION_A, hook_event_name: 'Stop', stop_hook_active: false };
  const active = await p.hook('stop', { ...stopInput, stop_hook_active: true });
  assert.equal(active.stdout, '', 'a session already continued by a Stop hook is let stop');
  const result = await p.hook('stop', stopInput);
  const output = JSON.parse(result.stdout) as { decision: string; reason: string };
  assert.equal(output.decision, 'block');
  assert.match(output.reason, /\[room\] alice \(message \w{8}\): one more thing/);
  assert.equal((await p.hook('stop', stopInput)).stdout, '');

  const off = await project(t);
  context(await off.hook('session-start', start(SESSION_A)), 'SessionStart');
  await off.send('alice', 'not on stop');
  assert.equal((await off.hook('stop', stopInput)).stdout, '', 'off by default');
});

test("SessionEnd releases the session's open claims and keeps its name for --resume", async (t) => {
  const p = await project(t);
  context(await p.hook('session-start', start(SESSION_A)), 'SessionStart');
  const token = { ROOM_TOKEN_FILE: p.dir.file('room-proj-claude-1a2b3c4d.token') };
  assert.equal((await p.dir.run(['send', 'proj', '/claim', 'a.ts', 'b.ts'], { env: token })).code, 0);
  assert.equal((await p.dir.run(['send', 'proj', '/release', 'b.ts'], { env: token })).code, 0);
  const end = await p.hook('session-end', {
    session_id: SESSION_A,
    hook_event_name: 'SessionEnd',
    reason: 'prompt_input_exit',
  });
  assert.deepEqual([end.code, end.stdout], [0, '']);
  const polled = ndjson(
    (await p.dir.run(['poll', 'proj', '--token-file', p.dir.file('room-proj-alice.token')])).stdout,
  ).filter((e) => e.type === 'command');
  assert.deepEqual(
    polled.map((e) => `${e.cmd} ${(e.params as string[]).join(' ')}`),
    // SessionEnd releases, by name, each claim the session still holds.
    ['claim a.ts b.ts', 'release b.ts', 'release a.ts'],
  );
  const alice = readFileSync(p.dir.file('room-proj-alice.token'), 'utf8');
  const claims = await http(p.dir.socket('proj'), 'GET', '/claims', { token: JSON.parse(alice).token });
  assert.deepEqual(claims.json(), { claims: [] }, 'the broker holds no claim of the session');
  const resumed = context(await p.hook('session-start', start(SESSION_A, 'resume')), 'SessionStart');
  assert.match(resumed, /you are claude-1a2b3c4d in/);
});

test('a project with no room: every hook is silent; without room on the PATH, session start says so once', async (t) => {
  const p = await project(t);
  const none = RoomDir.create(t).file('');
  for (const event of ['session-start', 'prompt', 'stop', 'session-end']) {
    const result = await runHook([event], JSON.stringify({ ...start(SESSION_A), cwd: none }), {
      ...p.env,
      CLAUDE_PROJECT_DIR: none,
    });
    assert.deepEqual([result.code, result.stdout], [0, ''], event);
  }
  const bare = { ...p.env, PATH: '/usr/bin:/bin' };
  const first = await p.hook('session-start', start(SESSION_A), bare);
  assert.match(context(first, 'SessionStart', ['systemMessage', 'hookSpecificOutput']), /room CLI is not installed/);
  assert.match(JSON.parse(first.stdout).systemMessage, /not on the PATH/);
  for (const event of ['prompt', 'stop', 'session-end', 'monitor']) {
    const result = await p.hook(event, start(SESSION_A), bare);
    assert.deepEqual([result.code, result.stdout], [0, ''], `${event} stays silent`);
  }
});

test('a room that cannot be reached at session start: one line, exit 0; the prompt hook stays silent', async (t) => {
  const p = await project(t);
  // A ROOM_DIR that cannot be created: the broker cannot start.
  const broken = { ROOM_DIR: '/proc/room-cannot-be-here' };
  const result = await p.hook('session-start', start(SESSION_A), broken);
  assert.match(context(result, 'SessionStart'), /^room: this project's room proj is not available in this session \(/);
  const prompt = await p.hook('prompt', promptInput(SESSION_A), broken);
  assert.deepEqual([prompt.code, prompt.stdout], [0, '']);
});

test('room hook without an event, or with an unknown one, is a usage error (exit 2)', async (t) => {
  const dir = RoomDir.create(t);
  for (const args of [['hook'], ['hook', 'PreCompact'], ['hook', 'prompt', 'extra']]) {
    const result = await dir.run(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /Usage: room hook/);
    assert.equal(result.stdout, '');
  }
});
