// The NATS server(s) a shared room lives on (issue 16): `--nats` or
// ROOM_NATS_URL, recorded in the room's state file. Checked on both sides:
// by the client before it starts a broker (a bad URL is a usage error, exit
// 2, and nothing is created) and by the broker when it reads its settings.
//
// The value is one URL or several, comma-separated (the servers of one NATS
// cluster): `nats://host:4222`, `tls://host:4222`, or `host:port`. It is
// written to the state file, so it must carry no secret: a URL with a user
// or password in it is refused, and credentials come from the standard NATS
// places instead (NATS_CREDS, a NATS context: server/nats/connect.ts).
import { RoomError } from './errors.ts';

const SCHEMES = new Set(['nats:', 'tls:']);

/** The servers named by a `--nats` value, each checked; throws a usage error naming what is wrong. */
export function natsServers(value: string): string[] {
  const servers = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (servers.length === 0) throw new RoomError('usage', 'no NATS server given: use --nats nats://host:4222');
  return servers.map(checkServer);
}

function checkServer(server: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `nats://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new RoomError('usage', `not a NATS server URL: ${server} (use nats://host:4222)`);
  }
  if (!SCHEMES.has(url.protocol))
    throw new RoomError('usage', `not a NATS server URL: ${server} (the scheme must be nats:// or tls://)`);
  if (url.hostname === '') throw new RoomError('usage', `not a NATS server URL: ${server} (no host)`);
  if (url.username !== '' || url.password !== '')
    throw new RoomError(
      'usage',
      `the NATS URL ${url.host} carries credentials: they would be written to the room's state file; put them in a NATS context (NATS_CONTEXT) or a credentials file (NATS_CREDS) instead`,
    );
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '')
    throw new RoomError('usage', `not a NATS server URL: ${server} (a NATS URL has no path or query)`);
  return `${url.protocol}//${url.host}`;
}

/** The servers as one value, as the state file records them. */
export function natsSetting(value: string): string {
  return natsServers(value).join(',');
}
