// `room edit-check`: Claude Code's PreToolUse hook for file edits (the room
// plugin runs it through plugin/hooks/edit-check). Reads the hook's JSON on
// stdin; prints the `ask` answer when someone else holds a claim on the file,
// else nothing. It reads the broker's claims file directly (no token, no
// broker needed) and never blocks an edit by failing: any problem (no room,
// no claims file, bad input) means silence and exit 0.
import { EXIT } from '../../shared/errors.ts';
import { checkUsername } from '../../shared/names.ts';
import { roomPaths } from '../../shared/paths.ts';
import { readFileSafe } from '../../shared/safe-fs.ts';
import type { Claim } from '../../shared/claims.ts';
import { parse, usageError, type Cli, type Command } from '../cli.ts';
import { editDecision, editedFile, type PreToolUseInput } from '../edit-check.ts';
import { sessionName } from '../claude/identity.ts';
import { DEFAULT_PREFIX, findProjectRoom } from '../claude/project.ts';

const USAGE = `Usage: room edit-check [--room ROOM-ID] [--user NAME] < hook-input.json

Claude Code's PreToolUse hook for Edit, Write, MultiEdit and NotebookEdit
(room's plugin runs it). Reads the hook's JSON from stdin; when the file is
covered by a claim of someone else in the room, prints the hook answer
{"hookSpecificOutput":{"permissionDecision":"ask",...}} naming the holder and
their claim; otherwise prints nothing, so the edit goes ahead. Always exits 0.

Options:
      --room ROOM-ID  the room (default: the project's, found from the hook's
                      cwd as room mcp finds it)
      --user NAME     whose own claims never ask (default: $ROOM_USER, else the
                      plugin's name for the session: <prefix>-<first 8
                      characters of session_id>)`;

async function readAll(stdin: NodeJS.ReadStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += String(chunk);
  return text;
}

/** The plugin's name for a Claude Code session (as its SessionStart hook joins). */
function sessionUser(prefix: string, sessionId: string | undefined): string | null {
  return typeof sessionId !== 'string' || sessionId === '' ? null : sessionName(prefix, sessionId);
}

function readClaims(file: string): Claim[] {
  const data = readFileSafe(file);
  if (data === null) return [];
  const value = JSON.parse(data.toString('utf8')) as { claims?: Claim[] };
  return Array.isArray(value.claims) ? value.claims : [];
}

async function check(argv: string[], cli: Cli): Promise<string | null> {
  const { values, positionals } = parse(argv, { room: { type: 'string' }, user: { type: 'string' } }, USAGE);
  if (positionals.length > 0) throw usageError(USAGE, 'usage.unexpected_argument', { arg: positionals[0]! });
  if (values.user !== undefined) checkUsername(values.user);
  const input = JSON.parse(await readAll(cli.stdin)) as PreToolUseInput;
  const file = editedFile(input);
  if (file === null) return null;
  const cwd = typeof input.cwd === 'string' ? input.cwd : process.cwd();
  const project = findProjectRoom(cwd);
  const room = values.room ?? project?.room;
  if (room === undefined) return null;
  const me = values.user ?? (cli.env.ROOM_USER || sessionUser(project?.prefix ?? DEFAULT_PREFIX, input.session_id));
  const answer = editDecision(readClaims(roomPaths(cli.dir, room).claims), file, project?.dir ?? cwd, room, me);
  return answer === null ? null : JSON.stringify(answer);
}

const editCheck: Command = {
  usage: USAGE,
  async run(argv, cli) {
    let answer: string | null = null;
    try {
      answer = await check(argv, cli);
    } catch (error) {
      // A guard that fails must not stop the edit: say why on stderr (Claude Code's debug log) and allow.
      cli.err(`room edit-check: ${(error as Error).message}`);
    }
    if (answer !== null) cli.out(answer);
    return EXIT.ok;
  },
};

export default editCheck;
