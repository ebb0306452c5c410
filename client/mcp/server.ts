// `room mcp`: an MCP server on stdio (the official SDK) that lets any MCP
// client take part in a room: the tools of tools.ts, and the room as a
// subscribable resource (`room://<room-id>`, its last events; subscribers
// get notifications/resources/updated when something new arrives). The
// server joins once the client has said who it is (initialize): as --name,
// or a name made from the client's name and its process, so two clients get
// two names and a client that restarts the server keeps its own (a made-up
// name someone is online under gets a suffix: `-2`, `-3`, …). It holds a
// live session while the client is connected (it is online in /who) and
// leaves when the client closes stdin.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { EXIT } from '../../shared/errors.ts';
import { isValidName } from '../../shared/names.ts';
import type { RoomPaths } from '../../shared/paths.ts';
import { VERSION } from '../../shared/version.ts';
import type { Cli } from '../cli.ts';
import { compactLine } from './format.ts';
import { RoomLink } from './link.ts';
import { registerTools } from './tools.ts';

export interface McpOptions {
  readonly paths: RoomPaths;
  /** The username; undefined: derived from the client (clientName). */
  readonly name: string | undefined;
  readonly giveUpMs: number;
}

const INSTRUCTIONS =
  'A shared chat room with the other people and agents on this project. Claim files before editing them and release them when done; read (or wait) to see what others said.';

/**
 * The username for a client that gave none: its name (`claude-code`) and the
 * pid of the process that started this server, the client itself, which is
 * the same when the client restarts the server and differs between clients.
 */
export function clientName(client: string | undefined, parentPid: number): string {
  const base = (client ?? 'mcp')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[.-]+|-+$/g, '')
    .slice(0, 40);
  const name = `${base === '' ? 'mcp' : base}-${parentPid}`;
  return isValidName(name) ? name : `mcp-${parentPid}`;
}

export async function runMcp(options: McpOptions, cli: Cli): Promise<number> {
  const uri = `room://${options.paths.room}`;
  const server = new McpServer({ name: 'room', version: VERSION }, { instructions: INSTRUCTIONS });
  let subscribed = false;
  let opening: Promise<RoomLink> | undefined;
  const link = (): Promise<RoomLink> => {
    opening ??= RoomLink.open({
      paths: options.paths,
      username: options.name ?? clientName(server.server.getClientVersion()?.name, process.ppid),
      derived: options.name === undefined,
      giveUpMs: options.giveUpMs,
      onNews: () => {
        if (subscribed) void server.server.sendResourceUpdated({ uri }).catch(() => {});
      },
      onEnd: (end) => cli.err(`room mcp: the session in ${options.paths.room} ended (${end.reason}): ${end.message}`),
    });
    return opening;
  };

  registerTools(server, link);
  server.registerResource(
    'room',
    uri,
    { description: `The last events of room ${options.paths.room}`, mimeType: 'text/plain' },
    async () => {
      const events = (await link()).recent();
      return { contents: [{ uri, mimeType: 'text/plain', text: events.map(compactLine).join('\n') }] };
    },
  );
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    if (request.params.uri === uri) subscribed = true;
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    if (request.params.uri === uri) subscribed = false;
    return {};
  });
  // Join as soon as the client has introduced itself: present while connected.
  server.server.oninitialized = () => {
    link().catch((error: Error) => cli.err(`room mcp: cannot join ${options.paths.room}: ${error.message}`));
  };

  const closed = new Promise<void>((resolve) => {
    cli.stdin.once('end', resolve);
    cli.stdin.once('close', resolve);
  });
  await server.connect(new StdioServerTransport(cli.stdin, cli.stdout));
  await closed;
  await server.close();
  if (opening !== undefined) await (await opening.catch(() => undefined))?.close();
  return EXIT.ok;
}
