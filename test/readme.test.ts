// The README's curl examples and exit-code table are checked against the
// real broker and the real error table.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COMMANDS, commandUsage } from '../shared/commands.ts';
import { EXIT_CODE_HELP } from '../shared/errors.ts';
import { ROOT, RoomDir } from './helpers.ts';

const readme = readFileSync(`${ROOT}/README.md`, 'utf8');

function curlBlock(): string[] {
  const marker = readme.indexOf('<!-- curl-examples');
  assert.notEqual(marker, -1, 'the README marks its curl examples');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker));
  assert.ok(block);
  return block[1]!.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
}

test('every curl example in the README works against a real broker', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('myroom', 'alice');
  const lines = curlBlock();
  assert.ok(lines.filter((l) => l.includes('curl')).length >= 10);
  // Run the block as one script, marking each command's output and exit status.
  const script = lines.map((line, i) => `printf '\\n@@ ${i}\\n'; ${line}; printf '\\n@@ exit %s\\n' $?`).join('\n');
  const run = spawnSync('bash', ['-c', script], { env: dir.env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const outputs = [...run.stdout.matchAll(/@@ (\d+)\n([\s\S]*?)\n@@ exit (\d+)\n/g)].map((m) => ({
    line: lines[Number(m[1])]!,
    out: m[2]!.trim(),
    status: Number(m[3]),
  }));
  assert.equal(outputs.length, lines.length);
  for (const { line, out, status } of outputs) {
    if (line.includes('/events')) {
      assert.equal(status, 28, 'the SSE example ends at --max-time');
      assert.match(out, /^id: \d+\ndata: \{"type":"join"/m);
      continue;
    }
    if (line.includes('/listen')) {
      assert.equal(status, 28, 'the listening example ends at --max-time');
      assert.match(out, /^: connected$/m);
      continue;
    }
    assert.equal(status, 0, line);
    if (line.includes('openapi.json')) {
      assert.equal(out, 'room broker API');
    } else if (line.startsWith('curl')) {
      const value = JSON.parse(out);
      assert.equal(value.code, undefined, `${line} answered an error: ${out}`);
    }
  }
  // What the examples stored is all there, in order.
  const history = readFileSync(dir.file('myroom.chat'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).type);
  assert.deepEqual(history, ['message', 'message', 'message', 'reply', 'command', 'dm', 'join', 'leave']);
});

test('the README exit-code table matches the error table and room --help', async (t) => {
  const rows = [...readme.matchAll(/^\| (\d) \| (.+) \|$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(
    rows,
    EXIT_CODE_HELP.map(([code]) => code),
  );
  const dir = RoomDir.create(t);
  const help = await dir.run(['--help']);
  for (const [code, meaning] of EXIT_CODE_HELP)
    assert.ok(help.stdout.includes(`${code}  ${meaning}`), `--help lists exit code ${code}`);
});

test('the README command table lists every command of shared/commands.ts, as room /help does', () => {
  const marker = readme.indexOf('<!-- room-commands');
  assert.notEqual(marker, -1, 'the README marks its command table');
  const rows = [...readme.slice(marker).matchAll(/^\| `(\/[^`]+)` \| (anyone|host) \| (.+) \|$/gm)];
  assert.deepEqual(
    rows.map((m) => [m[1], m[2], m[3]]),
    COMMANDS.map((c) => [commandUsage(c), c.admin ? 'host' : 'anyone', c.description]),
  );
});
