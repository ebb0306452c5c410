// The PreToolUse guard for file edits (`room edit-check`, run by the plugin's
// plugin/hooks/edit-check), fed the JSON Claude Code sends: an edit of a file
// someone else claimed asks, naming the holder and their claim; an unclaimed
// file, or the session's own claim, goes ahead silently.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ROOM, TestRoom } from './commands-room.ts';
import { ROOM_BIN, ROOT } from './helpers.ts';

const SESSION = '1234abcd-5678-4def-9abc-0123456789ab';

/** A project folder whose CLAUDE.md names the test room, as room init writes it. */
function project(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'room-project-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'CLAUDE.md'), `# p\n\n<!-- room:protocol room=${ROOM} (written by room init) -->\n`);
  return dir;
}

/** Claude Code's PreToolUse input for an edit tool (tool_input paths are absolute). */
function hookInput(dir: string, tool: string, file: string): string {
  const key = tool === 'NotebookEdit' ? 'notebook_path' : 'file_path';
  return JSON.stringify({
    session_id: SESSION,
    transcript_path: join(dir, 'transcript.jsonl'),
    cwd: dir,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: tool,
    tool_input: { [key]: join(dir, file), old_string: 'a', new_string: 'b' },
    tool_use_id: 'toolu_01',
  });
}

async function check(room: TestRoom, dir: string, tool: string, file: string) {
  const result = await room.dir.run(['edit-check'], { input: hookInput(dir, tool, file), cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  return result;
}

test("an edit of a file someone else claimed asks, with the holder and the claim's text", async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const dir = project(t);
  await room.sent('bob', '/claim src/parser.ts fixing CRLF');
  await room.sent('bob', '/claim docs/');
  await room.sent('alice', '/claim test/*.test.ts');
  for (const [tool, file] of [
    ['Edit', 'src/parser.ts'],
    ['Write', 'docs/guide/intro.md'],
    ['MultiEdit', 'test/parser.test.ts'],
    ['NotebookEdit', 'docs/a.ipynb'],
  ] as const) {
    const result = await check(room, dir, tool, file);
    const answer = JSON.parse(result.stdout);
    const holder = file.startsWith('test/') ? 'alice' : 'bob';
    assert.equal(answer.hookSpecificOutput.hookEventName, 'PreToolUse');
    assert.equal(answer.hookSpecificOutput.permissionDecision, 'ask', `${tool} ${file}`);
    assert.match(
      answer.hookSpecificOutput.permissionDecisionReason,
      new RegExp(
        `^${file.replace(/\./g, '\\.')} is claimed in room ${ROOM} by ${holder} \\(since \\d\\d:\\d\\d UTC: ".+"\\)$`,
      ),
    );
    assert.match(answer.hookSpecificOutput.additionalContext, /Coordinate in the room/);
  }
  const parser = JSON.parse((await check(room, dir, 'Edit', 'src/parser.ts')).stdout);
  assert.match(
    parser.hookSpecificOutput.permissionDecisionReason,
    /by bob \(since .*: "src\/parser\.ts fixing CRLF"\)/,
  );
});

test('an unclaimed file, or one this session claimed, goes ahead silently', async (t) => {
  const room = await TestRoom.create(t, 'alice');
  const dir = project(t);
  await room.join('claude-1234abcd');
  await room.sent('claude-1234abcd', '/claim src/mine.ts');
  for (const file of ['src/other.ts', 'src/mine.ts', 'README.md']) {
    const result = await check(room, dir, 'Edit', file);
    assert.equal(result.stdout, '', file);
    assert.equal(result.stderr, '', file);
  }
  const asBob = await room.dir.run(['edit-check', '--user', 'bob'], {
    input: hookInput(dir, 'Edit', 'src/mine.ts'),
    cwd: dir,
  });
  assert.equal(JSON.parse(asBob.stdout).hookSpecificOutput.permissionDecision, 'ask', 'for anyone else it asks');
});

test('the plugin script runs it, and nothing blocks an edit: bad input, no room, no room CLI', async (t) => {
  const room = await TestRoom.create(t, 'alice', 'bob');
  const dir = project(t);
  await room.sent('bob', '/claim src/a.ts');
  const script = join(ROOT, 'plugin', 'hooks', 'edit-check');
  const path = `${dirname(ROOM_BIN)}:${process.env.PATH}`;
  const run = (input: string, env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(script, [], { env: { ...room.dir.env, ...env }, cwd: dir });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
      child.stdin.on('error', () => {}); // a script that exits without reading its input
      child.stdin.end(input);
    });
  const asked = await run(hookInput(dir, 'Edit', 'src/a.ts'), { PATH: path });
  assert.equal(asked.code, 0);
  assert.equal(JSON.parse(asked.stdout).hookSpecificOutput.permissionDecision, 'ask');
  const emptyBin = mkdtempSync(join(tmpdir(), 'room-nobin-'));
  t.after(() => rmSync(emptyBin, { recursive: true, force: true }));
  const noCli = await run(hookInput(dir, 'Edit', 'src/a.ts'), { PATH: emptyBin });
  assert.deepEqual([noCli.code, noCli.stdout], [0, '']);

  const bad = await room.dir.run(['edit-check'], { input: 'not json', cwd: dir });
  assert.deepEqual([bad.code, bad.stdout], [0, '']);
  assert.match(bad.stderr, /^room edit-check: /);
  const badOption = await room.dir.run(['edit-check', '--bogus'], { input: '', cwd: dir });
  assert.deepEqual([badOption.code, badOption.stdout], [0, '']);
  assert.match(badOption.stderr, /\(more: room edit-check --help\)$/m, 'the usage line names the command whole');
  const elsewhere = mkdtempSync(join(tmpdir(), 'room-noproject-'));
  t.after(() => rmSync(elsewhere, { recursive: true, force: true }));
  mkdirSync(join(elsewhere, 'src'));
  const noRoom = await room.dir.run(['edit-check'], {
    input: hookInput(elsewhere, 'Edit', 'src/a.ts'),
    cwd: elsewhere,
  });
  assert.deepEqual([noRoom.code, noRoom.stdout, noRoom.stderr], [0, '', '']);
});
