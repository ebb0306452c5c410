// The MCP tools: a lean set, since every description costs each agent
// context on every turn (test/mcp-server.test.ts measures the whole list in
// tokens). Each tool answers in short text; a broker error becomes a tool
// error whose text starts with the broker's code (`claim_conflict: …`).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Inbound } from '../../shared/api.ts';
import type { RoomEvent } from '../../shared/events.ts';
import { RoomError, roomError } from '../../shared/errors.ts';
import { parseInput } from '../../shared/input.ts';
import { compactLine } from './format.ts';
import type { RoomLink } from './link.ts';

const MAX_WAIT_SECONDS = 600;

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

function failure(error: unknown): CallToolResult {
  const message =
    error instanceof RoomError ? `${error.code}: ${error.message}` : `internal: ${(error as Error).message}`;
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/** Runs a tool against the link once it is up; any error becomes a tool error. */
function guarded<A>(
  link: () => Promise<RoomLink>,
  run: (link: RoomLink, args: A, signal: AbortSignal) => Promise<string>,
): (args: A, extra: { signal: AbortSignal }) => Promise<CallToolResult> {
  return async (args, extra) => {
    try {
      return text(await run(await link(), args, extra.signal));
    } catch (error) {
      return failure(error);
    }
  };
}

async function posted(link: RoomLink, inbound: Inbound): Promise<string> {
  const answer = await link.post(inbound);
  if (!answer.stored) return answer.notice.content;
  return `ok [${answer.event.id.slice(0, 8)}] #${answer.event.seq}`;
}

function lines({ events, left }: { events: readonly RoomEvent[]; left: number }): string {
  if (events.length === 0) return 'nothing new';
  const shown = events.map(compactLine);
  if (left > 0) shown.push(`(${left} more: read again)`);
  return shown.join('\n');
}

export function registerTools(server: McpServer, link: () => Promise<RoomLink>): void {
  server.registerTool(
    'send',
    {
      description:
        'Post to the room: a message, or a command such as /set_status text or /who. Give to for a DM or reply_to to answer an event (not both).',
      inputSchema: z.strictObject({
        text: z.string().min(1),
        to: z.string().optional().describe('username'),
        reply_to: z.string().optional().describe('event id or its first 8 characters'),
      }),
    },
    guarded(link, (l, args: { text: string; to?: string; reply_to?: string }) => {
      // A reply is seen by the whole room, a DM by one user: both at once is one of them by mistake.
      if (args.to !== undefined && args.reply_to !== undefined)
        throw roomError('invalid_event', { detail: 'give to (a DM) or reply_to (a reply to the room), not both' });
      if (args.to !== undefined) return posted(l, { type: 'dm', to: args.to, content: args.text });
      if (args.reply_to !== undefined) return posted(l, { type: 'reply', reply_to: args.reply_to, content: args.text });
      return posted(l, parseInput(args.text, { json: false }));
    }),
  );

  server.registerTool(
    'read',
    {
      description:
        "What is new from others since you last read (here or with room poll), oldest first, one line each: '[id] time user: text'.",
      inputSchema: z.strictObject({ limit: z.number().int().min(1).max(200).optional().describe('default 50') }),
    },
    guarded(link, async (l, args: { limit?: number }) => lines(l.inbox.take(args.limit ?? 50))),
  );

  server.registerTool(
    'wait',
    {
      description: 'Block until something new arrives from others, then return it as read does.',
      inputSchema: z.strictObject({
        seconds: z.number().int().min(1).max(MAX_WAIT_SECONDS).optional().describe('give up after; default 30'),
      }),
    },
    guarded(link, async (l, args: { seconds?: number }, signal) => {
      const seconds = args.seconds ?? 30;
      const taken = await l.inbox.next(50, AbortSignal.any([signal, AbortSignal.timeout(seconds * 1000)]));
      return taken.events.length > 0 ? lines(taken) : `nothing new after ${seconds}s`;
    }),
  );

  server.registerTool(
    'who',
    { description: 'Who is in the room, with status and claims.', inputSchema: z.strictObject({}) },
    guarded(link, (l) => posted(l, { type: 'command', cmd: 'who', params: [] })),
  );

  server.registerTool(
    'claim',
    {
      description:
        'Claim files, folders, globs or a topic before working on them. Refused if someone else holds an overlapping claim.',
      inputSchema: z.strictObject({
        what: z.string().min(1).describe('paths/globs, optional note after; or a topic'),
        force: z.boolean().optional().describe('take it over from its holder'),
      }),
    },
    guarded(link, (l, args: { what: string; force?: boolean }) =>
      posted(l, { type: 'command', cmd: 'claim', params: [...words(args.what), ...(args.force ? ['--force'] : [])] }),
    ),
  );

  server.registerTool(
    'release',
    {
      description: 'Release your claim when done.',
      inputSchema: z.strictObject({ what: z.string().optional().describe('omit for all yours') }),
    },
    guarded(link, (l, args: { what?: string }) =>
      posted(l, { type: 'command', cmd: 'release', params: words(args.what ?? '') }),
    ),
  );

  server.registerTool(
    'claims',
    { description: 'The open claims: what, holder, since when, their note.', inputSchema: z.strictObject({}) },
    guarded(link, async (l) => {
      const claims = await l.claims();
      if (claims.length === 0) return 'no open claims';
      return claims.map((c) => `${c.what} — ${c.user} since ${c.since.slice(11, 16)}: ${c.text}`).join('\n');
    }),
  );
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}
