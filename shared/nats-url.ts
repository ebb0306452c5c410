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
import { roomError } from './errors.ts';

const SCHEMES = new Set(['nats:', 'tls:']);

/** The servers named by a `--nats` value, each checked, each once; throws a usage error naming what is wrong. */
export function natsServers(value: string): string[] {
  const servers = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (servers.length === 0) throw roomError('usage.nats_no_server');
  return [...new Set(servers.map(checkServer))];
}

function checkServer(server: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `nats://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw roomError('usage.nats_url', { server });
  }
  if (!SCHEMES.has(url.protocol)) throw roomError('usage.nats_scheme', { server });
  if (url.hostname === '') throw roomError('usage.nats_no_host', { server });
  if (url.username !== '' || url.password !== '')
    throw roomError('usage.nats_url_credentials', { url: `${url.protocol}//${url.host}` });
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '')
    throw roomError('usage.nats_url_path', { server });
  return `${url.protocol}//${url.host}`;
}

/** The servers as one value, as the state file records them. */
export function natsSetting(value: string): string {
  return natsServers(value).join(',');
}
