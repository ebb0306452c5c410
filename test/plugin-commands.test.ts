// Every `room …` command written in the plugin's skill and commands and in
// CLAUDE.md is a real invocation: each one is run, exactly as written (with
// its placeholders filled in), by the real CLI against a real broker, and
// must succeed. A mistyped flag, a missing argument or a wrong command name
// fails here. The lines must also be simple commands an agent can run with
// a `Bash(room <command> *)` permission: no pipes, substitutions or
// variables, no token in argv, and `room join`'s stdout (the token) thrown away.
// Lines without --token-file run as a plugin session runs them: with
// ROOM_TOKEN_FILE naming the agent's token record.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { findProtocolRoom } from '../client/protocol-section.ts';
import { ROOT, RoomDir } from './helpers.ts';

const DOCS = ['plugin/skills/room/SKILL.md', 'plugin/commands/check.md', 'plugin/commands/send.md', 'CLAUDE.md'];
const RUNNABLE = new Set(['join', 'send', 'poll', 'watch', 'init']);

/** The `room …` lines of a Markdown text: code-block lines and inline code spans. */
function roomLines(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const [n, line] of markdown.split('\n').entries()) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
    } else if (fenced) {
      if (/^\s*room\s/.test(line)) lines.push(line.trim());
    } else {
      // An inline span cut by a line break would escape the check.
      assert.equal((line.match(/`/g) ?? []).length % 2, 0, `line ${n + 1} has an unclosed inline code span: ${line}`);
      for (const span of line.matchAll(/`([^`]+)`/g)) if (/^room\s/.test(span[1]!)) lines.push(span[1]!);
    }
  }
  return lines;
}

/** Splits a simple shell command into words; returns a reason when it is not one. */
function shellWords(line: string): string[] | string {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) return 'unterminated quote';
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end === -1) return 'unterminated quote';
      const inner = line.slice(i + 1, end);
      if (/[$`\\!]/.test(inner)) return `shell expansion in ${JSON.stringify(inner)}`;
      word = (word ?? '') + inner;
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if ('|&;<>$`()\\*?[]{}~#!'.includes(c)) {
      return `shell syntax ${JSON.stringify(c)}`;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

interface Failure {
  readonly line: string;
  readonly reason: string;
}

/**
 * Runs each line in a fresh room (`room`, also for the <room-id> placeholder)
 * where `peer` has joined and written, as the agent `agent`: joins first, then
 * the rest in order. Returns what failed.
 */
async function checkLines(
  t: TestContext,
  lines: readonly string[],
  room = 'r',
): Promise<{ checked: number; failures: Failure[] }> {
  const dir = RoomDir.create(t);
  const peer = await dir.join(room, 'peer');
  const say = async (text: string): Promise<string> => {
    const sent = await dir.run(['send', '-t', peer, room, text]);
    assert.equal(sent.code, 0, sent.stderr);
    return (JSON.parse(sent.stdout) as { id: string }).id;
  };
  const id = await say('hello agent');
  const failures: Failure[] = [];
  const unique = [...new Set(lines)];
  const ordered = [
    ...unique.filter((l) => /^room\s+join\s/.test(l)),
    ...unique.filter((l) => !/^room\s+join\s/.test(l)),
  ];
  const tokens: string[] = [];
  for (const line of ordered) {
    const fail = (reason: string) => failures.push({ line, reason });
    const filled = line
      .replaceAll('<room-id>', room)
      .replaceAll('<name>', 'agent')
      .replaceAll('<id>', id.slice(0, 8))
      .replaceAll('<user>', 'peer')
      .replace(/<[^<>]*>/g, 'text'); // free text: <task>, <path>, <message>…
    const redirect = / ?> ?\/dev\/null$/.exec(filled);
    const words = shellWords(redirect === null ? filled : filled.slice(0, redirect.index));
    if (typeof words === 'string') {
      fail(`not a simple command: ${words}`);
      continue;
    }
    const [, command, ...rest] = words;
    if (words[0] !== 'room' || command === undefined || !RUNNABLE.has(command)) {
      fail(`room ${command} cannot be run by this check`);
      continue;
    }
    if (rest.some((w) => w === '-t' || w.startsWith('--token=') || w === '--token')) fail('puts a token in argv');
    if (command === 'join' && redirect === null) fail('room join without > /dev/null prints the token');
    const args = [command, ...rest.map((w) => w.replace(/^\/tmp\//, `${dir.path}/`))];
    if (command === 'watch') await say('a message to wake the watch');
    const cwd = command === 'init' ? mkdtempSync(join(dir.path, 'project-')) : undefined;
    // As in a Claude Code session with the plugin: ROOM_TOKEN_FILE names the agent's record.
    const env = { ROOM_TOKEN_FILE: join(dir.path, `room-${room}-agent.token`) };
    const result = await dir.run(args, { cwd, timeoutMs: 10_000, env });
    if (result.code !== 0) fail(`exit ${result.code}: ${result.stderr.trim()}`);
    if (command === 'join' && result.code === 0) tokens.push((JSON.parse(result.stdout) as { token: string }).token);
    else if (tokens.some((token) => result.stdout.includes(token))) fail('prints the token');
  }
  return { checked: ordered.length, failures };
}

for (const doc of DOCS) {
  test(`every room command in ${doc} runs as written`, async (t) => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const lines = roomLines(text);
    assert.ok(lines.length >= 2, `${doc} shows its room commands (found ${lines.length})`);
    assert.ok(
      lines.some((l) => /^room join /.test(l)),
      `${doc} shows how to join`,
    );
    const { checked, failures } = await checkLines(t, lines, findProtocolRoom(text) ?? 'r');
    assert.deepEqual(failures, []);
    assert.ok(checked >= 2);
  });
}

test('the check catches typos, wrong arguments, shell syntax and a token on show', async (t) => {
  const bad = [
    'room poll <room-id> --tokn-file /tmp/room-<room-id>-<name>.token',
    'room sned <room-id> --token-file /tmp/room-<room-id>-<name>.token hi',
    'room watch <room-id> <name> --token-file /tmp/room-<room-id>-<name>.token',
    'room send <room-id> --token-file /tmp/room-<room-id>-<name>.token --interval 5 hi',
    'room poll <room-id> --token-file /tmp/room-<room-id>-<name>.token | jq .',
    'room send <room-id> --token-file $TOKEN_FILE hi',
    'room poll <room-id> -t 00000000-0000-4000-8000-000000000000',
    'room join <room-id> other',
    'room join <room-id> ../x > /dev/null',
  ];
  const markdown = ['```sh', 'room join <room-id> <name> > /dev/null', ...bad, '```'].join('\n');
  const lines = roomLines(markdown);
  assert.equal(lines.length, bad.length + 1);
  const { failures } = await checkLines(t, lines);
  assert.deepEqual(
    [...new Set(failures.map((f) => f.line))].sort(),
    [...bad].sort(),
    JSON.stringify(failures, null, 1),
  );
  assert.throws(() => roomLines('see `room poll\nr` here'), /unclosed inline code span/);
});
