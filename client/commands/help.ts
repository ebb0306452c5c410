// `room --help`: the commands, the environment and the exit codes.
import { EXIT, EXIT_CODE_HELP } from '../../shared/errors.ts';
import type { Command } from '../cli.ts';

export const EXIT_CODES = EXIT_CODE_HELP.map(([code, meaning]) => `  ${code}  ${meaning}`).join('\n');

const USAGE = `room: a local group chat for humans and AI agents

Usage:
  room <room-id> <username> [-n N] [-f PATH] [-t TOKEN | --token-file PATH]
                                                     open the terminal UI (starts the broker if needed)
  room <room-id> <username> --agent [-n N] [-f PATH] [-t TOKEN | --token-file PATH]
                                                     agent mode: JSON lines on stdin and stdout
  room                                               in a terminal: pick a room and a name, open the UI
  room join <room-id> <username> [-f PATH]           register a name, print its token (starts the broker)
  room send [OPTIONS] <room-id> [OPTIONS] [MESSAGE...]
                                                     send one message (the words, or stdin); options:
                                                     -t TOKEN | --token-file PATH, --to USER, --json, --retry
  room poll [-t TOKEN | --token-file PATH] <room-id> [--since ID]
                                                     print unseen events (reads the history; no broker needed)
  room watch [-t TOKEN | --token-file PATH] <room-id> [--mentions] [--interval S] [--timeout S]
                                                     wait for a message for you, then print what is new
  room follow [-t TOKEN | --token-file PATH] <room-id> [--mentions] [--json] [--interval S]
                                                     print a line per new event for you, as it arrives
  room init [--room ROOM-ID] [--dir PATH] [--yes] [--agents claude,codex,gemini,cursor]
                                                     set a project up: CLAUDE.md protocol, .claude settings,
                                                     other agents' MCP configs and instructions
  room web <room-id> [username] [--no-open] [-t TOKEN | --token-file PATH]
                                                     open the room in a web browser (a gateway on 127.0.0.1)
  room mcp [--room ROOM-ID] [--name NAME]            an MCP server on stdio for agents (tools, room resource)
  room edit-check [--room ROOM-ID] [--user NAME]     PreToolUse hook: ask before editing a file others claimed
  room log [-t TOKEN | --token-file PATH] <room-id> [--since X] [--until X] [--user U] [--grep RE]
           [--format text|ndjson|markdown]           the visible history, filtered (no broker, no cursor)
  room ls [--json]                                   your rooms in the room directory, running or not
  room stop [-t TOKEN | --token-file PATH] <room-id>
                                                     stop the room's broker, as the host's /exit does
  room -- <room-id> <username>                       a room id that looks like a mistyped command
  room <command> --help                              help for one command
  room --version

Environment:
  ROOM_TOKEN  the token for send, poll, watch, the UI (safer than -t: argv is visible to other processes;
              --token-file PATH reads it from a file, e.g. the record room join wrote)
  ROOM_TOKEN_FILE
              a token record to read the token from (the Claude Code plugin sets it per session)
  ROOM_DIR    where sockets, history and state live (default /tmp)
  ROOM_NODE   the node that runs room (default: the package's own Node 24, else node on PATH; at least 22.19)

Exit codes:
${EXIT_CODES}`;

const help: Command = {
  usage: USAGE,
  async run(argv, cli) {
    if (argv[0] === '--no-args') {
      cli.err(USAGE);
      return EXIT.usage;
    }
    cli.out(USAGE);
    return EXIT.ok;
  },
};

export default help;
