// What each slash command does, whichever way it arrived (TUI, agent mode,
// `room send "/..."`, or a `{"type":"command"}` over HTTP). Built-ins answer
// privately (`/who`, `/help`) or publish a system notice; admin commands are
// for the host only; any other command is broadcast as a `command` event.
//
// Handlers see the broker through CommandContext, a narrow interface of
// what commands do (the broker implements it; commands.ts imports nothing
// of it but types). A new command is one more entry in USER_COMMANDS or
// ADMIN_COMMANDS.
import type { CloseReason, Inbound, Users } from '../shared/api.ts';
import { COMMANDS, commandUsage, findCommand } from '../shared/commands.ts';
import { hostname } from 'node:os';
import { RoomError, roomError } from '../shared/errors.ts';
import type { Notice, RoomEvent } from '../shared/events.ts';
import type { Claims } from './claims.ts';
import type { Presence } from './presence.ts';
import type { Registry } from './registry.ts';
import type { Draft, PostResult } from './room.ts';
import { ago } from '../shared/ago.ts';
import { andThen, type MaybePromise } from './maybe-async.ts';

/** What a command handler may do. */
export interface CommandContext {
  readonly id: string;
  readonly host: string | null;
  /** Whether the room is shared between machines through NATS (issue 16). */
  readonly shared: boolean;
  readonly registry: Registry;
  readonly presence: Presence;
  /** The claim table (/claim, /release, /claims, leases). */
  readonly claims: Claims;
  /** Stamps, stores and broadcasts an event. */
  publish(draft: Draft): RoomEvent;
  /** A stored notice from the broker to everyone. */
  system(content: string): RoomEvent;
  /** A private answer, never stored. */
  notice(content: string): Notice;
  /** Posts an inbound event as `user` (what /dm and /reply turn into). */
  post(user: string, inbound: Inbound): MaybePromise<PostResult>;
  /** A username argument (a leading @ allowed) that must have joined this room. */
  knownUser(arg: string): string;
  users(you: string): Users;
  /** Empties the history, tells every open stream (`event: clear`), then stores `notice` (on every machine, in a shared room). */
  clearHistory(notice: string): RoomEvent;
  /** Ends the matching users' streams with a final `close` event. */
  endStreams(reason: CloseReason, message: string, which?: (user: string) => boolean): void;
  /** Asks the broker process to shut down; writes are refused from now on. */
  requestExit(): void;
}

/** A handler answers at once, or once a shared room's NATS stored the change (server/maybe-async.ts). */
type Handler = (room: CommandContext, user: string, params: readonly string[]) => MaybePromise<PostResult>;

/** A status is one short line: /who lists every status on one line. */
/** A status is at most this many bytes of UTF-8 (like every size limit of room, counted in bytes). */
const MAX_STATUS_BYTES = 1024;

const stored = (event: RoomEvent): PostResult => ({ stored: true, event });
const lookup = (table: Record<string, Handler>, cmd: string): Handler | undefined =>
  Object.hasOwn(table, cmd) ? table[cmd] : undefined;

function usage(name: string): never {
  const info = findCommand(name);
  throw roomError('invalid_command', { usage: info === undefined ? `/${name}` : commandUsage(info) });
}

/** The single username argument of an admin command. */
function oneUser(room: CommandContext, name: string, params: readonly string[]): string {
  if (params.length !== 1 || params[0] === '') usage(name);
  return room.knownUser(params[0]!);
}

/** Admin commands without arguments refuse any: `/clear-tokens bob` must not revoke everyone's. */
function noArgs(name: string, params: readonly string[]): void {
  if (params.some((p) => p.trim() !== '')) usage(name);
}

/** The status text: every param, whitespace runs (newlines too) collapsed to one space. */
function statusText(params: readonly string[]): string {
  const text = params.join(' ').replace(/\s+/g, ' ').trim();
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_STATUS_BYTES) {
    throw roomError('content_too_large.status', { limit: MAX_STATUS_BYTES, bytes });
  }
  return text;
}

/**
 * `online — alice (host), bob: reviewing PRs`, then a line of the users who
 * listen without a live session (room follow, a waiting watch), then the
 * users neither online nor listening who were active lately (one-shot
 * commands, or a session that ended), with when.
 */
function whoText(room: CommandContext, user: string, now: Date): string {
  const { host, online, listening = [], recent } = room.users(user);
  const label = (user: string, status: string) =>
    `${user}${user === host ? ' (host)' : ''}${status === '' ? '' : `: ${status}`}`;
  const lines = [
    online.length === 0 ? 'no users online' : `online — ${online.map((u) => label(u.user, u.status)).join(', ')}`,
  ];
  if (listening.length > 0) lines.push(`listening — ${listening.map((u) => label(u.user, u.status)).join(', ')}`);
  if (recent.length > 0) {
    lines.push(
      `recently active — ${recent.map((u) => `${label(u.user, u.status)} (${ago(new Date(u.last_active), now)})`).join(', ')}`,
    );
  }
  const claims = room.claims.whoLine();
  if (claims !== null) lines.push(claims);
  return lines.join('\n');
}

function helpText(room: CommandContext, user: string): string {
  const isHost = user === room.host;
  const rows = COMMANDS.filter((c) => isHost || !c.admin).map((c) => `${commandUsage(c)} — ${c.description}`);
  return [...rows, 'any other /name args… is broadcast to the room as a command'].join('\n');
}

const USER_COMMANDS: Record<string, Handler> = {
  who: (room, user) => ({ stored: false, notice: room.notice(whoText(room, user, new Date())) }),
  help: (room, user) => ({ stored: false, notice: room.notice(helpText(room, user)) }),
  set_status: (room, user, params) => {
    const text = statusText(params);
    room.presence.setStatus(user, text);
    return stored(room.system(text === '' ? `${user} cleared their status` : `${user} set status: ${text}`));
  },
  dm: (room, user, params) => {
    if (params.length < 2) usage('dm');
    return room.post(user, { type: 'dm', to: params[0]!, content: params.slice(1).join(' ') });
  },
  reply: (room, user, params) => {
    if (params.length < 2) usage('reply');
    return room.post(user, { type: 'reply', reply_to: params[0]!, content: params.slice(1).join(' ') });
  },
  claim: (room, user, params) => room.claims.claim(user, params),
  release: (room, user, params) => room.claims.release(user, params),
  claims: (room) => room.claims.answer(),
};

const ADMIN_COMMANDS: Record<string, Handler> = {
  kick: (room, user, params) => {
    const name = oneUser(room, 'kick', params);
    if (name === room.host) throw roomError('invalid_command.kick_host');
    if (room.registry.isKicked(name)) throw roomError('invalid_command.already_kicked', { name });
    return andThen(room.registry.kick(name), () => {
      room.presence.forget(name);
      const event = room.system(`${user} kicked ${name} (token invalidated)`);
      return andThen(room.claims.endAllOf(name, `${name} was kicked`), () => {
        room.endStreams('kicked', `you were kicked from ${room.id} by ${user}`, (u) => u === name);
        return stored(event);
      });
    });
  },
  reauth: (room, user, params) => {
    const name = oneUser(room, 'reauth', params);
    // Only a kick is lifted: a user in good standing keeps their token.
    if (!room.registry.isKicked(name)) throw roomError('invalid_command.not_kicked', { name });
    return andThen(room.registry.reauth(name), () =>
      stored(room.system(`${user} reauthed ${name} (token cleared, can rejoin)`)),
    );
  },
  'clear-tokens': (room, user, params) => {
    noArgs('clear-tokens', params);
    return andThen(room.registry.clearTokens(), () => {
      const event = room.system(`${user} cleared all tokens (all users must rejoin)`);
      room.endStreams('revoked', `${user} revoked every token in ${room.id}: run room join again`);
      return stored(event);
    });
  },
  clear: (room, user, params) => {
    noArgs('clear', params);
    return stored(room.clearHistory(`${user} cleared chat history`));
  },
  exit: (room, user, params) => {
    noArgs('exit', params);
    if (room.shared) return exitShared(room, user);
    const event = room.system(`${user} is shutting down the room`);
    room.requestExit();
    return stored(event);
  },
};

/**
 * /exit in a shared room stops this machine's broker only (the room goes on
 * on the other machines), and its notice says so. It stops even while NATS
 * cannot be reached: stopping a broker must not depend on the network. The
 * notice then cannot be stored, and only the caller gets it (200).
 */
function exitShared(room: CommandContext, user: string): PostResult {
  const content = `${user} is shutting down the broker on ${hostname()}; the room goes on on the other machines`;
  let event: RoomEvent;
  try {
    event = room.system(content);
  } catch (error) {
    if (!(error instanceof RoomError && error.code === 'nats_unreachable')) throw error;
    room.requestExit();
    return { stored: false, notice: room.notice(`${content} (not announced in the room: ${error.message})`) };
  }
  room.requestExit();
  return stored(event);
}

export function runCommand(
  room: CommandContext,
  user: string,
  cmd: string,
  params: readonly string[],
): MaybePromise<PostResult> {
  // Built-in names match in any case: `/KICK bob` must not be broadcast as a
  // custom command. Other commands keep the name as sent.
  const name = cmd.toLowerCase();
  const builtin = lookup(USER_COMMANDS, name);
  if (builtin !== undefined) return builtin(room, user, params);
  const admin = lookup(ADMIN_COMMANDS, name);
  if (admin !== undefined) {
    if (user !== room.host) throw roomError('permission_denied');
    return admin(room, user, params);
  }
  return stored(room.publish({ type: 'command', user, cmd, params: [...params] }));
}
