// `room web <room-id> [username]`: the room in a browser. Starts a gateway on
// 127.0.0.1 (client/web/gateway.ts), prints the page's address with a
// one-time secret in its fragment, opens a browser where one is available,
// and runs until its last page has gone (or Ctrl-C).
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { EXIT, roomError } from '../../shared/errors.ts';
import { checkUsername } from '../../shared/names.ts';
import { roomPaths, webOpenPagePath, type RoomPaths } from '../../shared/paths.ts';
import { readRoomState } from '../../shared/room-state.ts';
import { writeFileAtomic } from '../../shared/safe-fs.ts';
import { ensureBroker } from '../broker-start.ts';
import { checkToken, count, parse, TOKEN_OPTIONS, usageError, type Cli, type Command } from '../cli.ts';
import { givenToken } from '../env-token.ts';

const USAGE = `Usage: room web <room-id> [username] [--no-open] [-t TOKEN | --token-file PATH]

Opens the room in a web browser. Starts a small gateway on 127.0.0.1 (a free
port) that serves the page and forwards its calls to the room's broker
(started if none runs), prints the page's address on stdout and opens it in
a browser where one is available. The address holds a one-time secret after
its #: it opens the page once, within 10 minutes, as that user. If the room
already has a gateway, it is reused: the new address is printed (and
opened) and room web exits at once.

Identity, as in the terminal UI: the token from -t or --token-file (it must
belong to [username], if given), or ROOM_TOKEN (set aside, with a line on
stderr, if it is not [username]'s); else the name is joined
(writing its token record); else the token in that user's record is reused
while it is valid. Without a username, a token is needed.

The gateway ends when no page has been open for $ROOM_WEB_LINGER_SECONDS
(default 10), when nobody opened the address in time, or on Ctrl-C.

Options:
      --no-open          print the address only; do not start a browser
  -t, --token TOKEN      use this token (default: $ROOM_TOKEN)
      --token-file PATH  read the token from this file (a token record works)`;

const DEFAULT_LINGER_SECONDS = 10;

/**
 * Opens `address` in the user's browser, if this machine has one to open;
 * says so on stderr if not. The browser is given a file of the user's own
 * (0600) that redirects to the address, not the address itself: argv is
 * visible to other users, and the secret would be theirs to use first.
 */
function openBrowser(paths: RoomPaths, address: string, cli: Cli): void {
  const opener =
    cli.env.BROWSER ||
    (process.platform === 'darwin' ? 'open' : cli.env.DISPLAY || cli.env.WAYLAND_DISPLAY ? 'xdg-open' : undefined);
  if (opener === undefined) {
    cli.err('room web: no browser to open here (no display): open the address above yourself');
    return;
  }
  const page = webOpenPagePath(paths);
  const url = address.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  writeFileAtomic(
    page,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
      `<meta http-equiv="refresh" content="0;url=${url}"><title>room</title><a href="${url}">Open the room</a>\n`,
  );
  const child = spawn(opener, [pathToFileURL(page).href], { detached: true, stdio: 'ignore' });
  child.on('error', (error) =>
    cli.err(`room web: could not start ${opener}: ${error.message}: open the address yourself`),
  );
  child.unref();
}

async function identity(
  paths: RoomPaths,
  username: string | undefined,
  token: string | undefined,
): Promise<{ user: string; token: string }> {
  const { BrokerClient } = await import('../live/broker-client.ts');
  const client = new BrokerClient(paths.socket);
  try {
    if (username === undefined) {
      if (token === undefined) throw new Error('unreachable: checked by run');
      return { user: (await client.users(token)).you, token };
    }
    const { resolveIdentity } = await import('../live/identity.ts');
    const found = await resolveIdentity(client, paths, username, token);
    return { user: found.user, token: found.token };
  } finally {
    await client.close();
  }
}

/**
 * A new address from the room's running gateway, if it has one that answers
 * (asked with the user's token, which it checks with the broker); undefined
 * if there is none, and a new gateway is started instead.
 */
async function reuseGateway(paths: RoomPaths, token: string): Promise<string | undefined> {
  const { readGatewayRecord } = await import('../web/record.ts');
  const record = readGatewayRecord(paths);
  if (record === undefined || record.pid === process.pid) return undefined;
  try {
    process.kill(record.pid, 0);
  } catch {
    return undefined;
  }
  try {
    const response = await fetch(`${record.origin}/secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) return undefined;
    const { secret } = (await response.json()) as { secret?: unknown };
    return typeof secret === 'string' ? `${record.origin}/#${secret}` : undefined;
  } catch {
    return undefined;
  }
}

const web: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(argv, { ...TOKEN_OPTIONS, 'no-open': { type: 'boolean' } }, USAGE);
    if (positionals.length < 1 || positionals.length > 2)
      throw usageError(USAGE, 'usage.expected', { what: '<room-id> [username]' });
    const [roomId, username] = positionals as [string, string | undefined];
    const paths = roomPaths(cli.dir, roomId);
    if (username !== undefined) checkUsername(username);
    // With a username, a ROOM_TOKEN of another name is set aside, as the terminal UI does.
    const given = givenToken(values, cli, paths, username, USAGE);
    const token = given === undefined ? undefined : checkToken(given, 'invalid_token.record_json_web');
    const lingerSeconds = count(
      cli.env.ROOM_WEB_LINGER_SECONDS,
      'ROOM_WEB_LINGER_SECONDS',
      DEFAULT_LINGER_SECONDS,
      USAGE,
    );

    if (username === undefined && token === undefined) throw roomError('missing_token.web');
    // A token is valid only in a room someone joined: with no name to create the room as,
    // a room with no state is refused before a broker starts, so the typo creates nothing.
    if (username === undefined && readRoomState(paths) === null)
      throw roomError('invalid_token.no_state_web', { room: roomId, dir: cli.dir });
    await ensureBroker(paths);
    const who = await identity(paths, username, token);
    const reused = await reuseGateway(paths, who.token);
    if (reused !== undefined) {
      cli.out(reused);
      cli.err(
        `room web: room ${roomId} as ${who.user}, through the room's running gateway (the address above opens once)`,
      );
      if (values['no-open'] !== true) openBrowser(paths, reused, cli);
      return EXIT.ok;
    }
    const { startGateway } = await import('../web/gateway.ts');
    let finish: (code: number) => void = () => {};
    const finished = new Promise<number>((resolve) => (finish = resolve));
    const gateway = await startGateway({
      paths,
      lingerMs: Math.max(lingerSeconds, 1) * 1000,
      onIdle: () => {
        cli.err('room web: no page is open any more; the gateway stops');
        finish(0);
      },
    });
    // Ctrl-C is handled from before the address is out: whoever reads it may stop us at once.
    const stop = () => void gateway.close().then(() => finish(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const address = gateway.address(who);
    cli.out(address);
    cli.err(
      `room web: room ${roomId} as ${who.user} at ${gateway.origin} (the address above opens once); Ctrl-C to stop`,
    );
    if (values['no-open'] !== true) openBrowser(paths, address, cli);
    return finished;
  },
};

export default web;
