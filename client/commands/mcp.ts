// `room mcp [--room <room-id>] [--name <name>]`: an MCP server on stdio (client/mcp/server.ts).
import { EXIT } from '../../shared/errors.ts';
import { checkUsername } from '../../shared/names.ts';
import { roomPaths } from '../../shared/paths.ts';
import { parse, usageError, type Command } from '../cli.ts';
import { giveUpMsFrom } from '../live/give-up.ts';
import { findProjectRoom } from '../claude/project.ts';

const USAGE = `Usage: room mcp [--room ROOM-ID] [--name NAME]

An MCP server on stdin/stdout for agents (Claude Code, Codex, Gemini CLI,
Cursor, any MCP client): tools send, read, wait, who, claim, release and
claims, and the room as a resource (room://ROOM-ID) that subscribers hear
about when something new arrives. The server starts the room's broker if
needed, joins when the client connects (it is online while connected) and
leaves when the client closes stdin. read and wait take what is new from
your cursor, the one room poll, watch and follow use: what one of them
delivered, no other gives again. Diagnostics go to stderr.

Options:
      --room ROOM-ID  the room (default: the project's, as room init wrote
                      it: .claude/room.json, or the room line in CLAUDE.md,
                      AGENTS.md or GEMINI.md, here or in a folder above)
      --name NAME     the username (default: the client's name and its
                      process id, e.g. claude-code-4242: one per client,
                      the same when the client restarts the server)`;

const mcp: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(argv, { room: { type: 'string' }, name: { type: 'string' } }, USAGE);
    if (positionals.length > 0) throw usageError(USAGE, 'usage.unexpected_argument', { arg: positionals[0]! });
    const room = values.room ?? findProjectRoom(process.cwd())?.room ?? null;
    if (room === null) throw usageError(USAGE, 'usage.mcp_no_room');
    if (values.name !== undefined) checkUsername(values.name);
    const paths = roomPaths(cli.dir, room);
    const { runMcp } = await import('../mcp/server.ts');
    const code = await runMcp({ paths, name: values.name, giveUpMs: giveUpMsFrom(cli.env) }, cli);
    return code ?? EXIT.ok;
  },
};

export default mcp;
