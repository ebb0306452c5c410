// How a broker reaches the NATS server of a shared room (issue 16). The
// servers come from the room's state file (shared/nats-url.ts: URLs only,
// never a secret); credentials and TLS come only from the standard NATS
// places, read when the broker starts:
// - NATS_CREDS: a credentials file (user JWT and nkey seed, as `nsc` writes);
// - a NATS CLI context (ADR-21): `$XDG_CONFIG_HOME/nats/context/<name>.json`
//   (default `~/.config/nats`), the one named by NATS_CONTEXT, else the one
//   `nats context select` recorded in `nats/context.txt`. Its `creds`,
//   `nkey` (a seed file), `user`/`password`, `token`, `ca`, `cert`, `key`
//   and `tls_first` are used; its `url` is not (the room names its servers).
// NATS_CREDS wins over the context's `creds`. Nothing read here is written
// anywhere, and none of it reaches a client.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
  nkeyAuthenticator,
} from '@nats-io/transport-node';
import { roomError } from '../../shared/errors.ts';
import { natsServers } from '../../shared/nats-url.ts';

/** A NATS CLI context file: the fields room uses (ADR-21 names them). */
interface NatsContext {
  readonly creds?: string;
  readonly nkey?: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly tls_first?: boolean;
}

/** Where to connect and how: the options for `connect`, and where the credentials came from (for the broker's log). */
export interface NatsAccess {
  readonly servers: string[];
  readonly options: NodeConnectionOptions;
  /** `no credentials`, `NATS_CREDS <path>`, `context <name>`…: said in the broker's log, never the secret itself. */
  readonly source: string;
}

const expandHome = (path: string): string => (path.startsWith('~/') ? join(homedir(), path.slice(2)) : path);

function readSetting(path: string, what: string): Buffer {
  try {
    return readFileSync(expandHome(path));
  } catch (error) {
    throw roomError('usage.nats_file', { what, path, detail: (error as Error).message });
  }
}

/** The NATS CLI's configuration folder (ADR-21, after the XDG base directory rules). */
function natsConfigDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(env.HOME ?? homedir(), '.config'), 'nats');
}

/** The context named by NATS_CONTEXT, else the selected one; null when there is none. */
function readContext(env: NodeJS.ProcessEnv): { name: string; context: NatsContext } | null {
  const dir = natsConfigDir(env);
  let name = env.NATS_CONTEXT ?? '';
  if (name === '') {
    try {
      name = readFileSync(join(dir, 'context.txt'), 'utf8').trim();
    } catch {
      return null; // no context selected: connect without one
    }
    if (name === '') return null;
  }
  if (!/^[\w.-]+$/.test(name)) throw roomError('usage.nats_context_name', { name });
  const path = join(dir, 'context', `${name}.json`);
  let context: unknown;
  try {
    context = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw roomError('usage.nats_context_read', { name, path, detail: (error as Error).message });
  }
  if (typeof context !== 'object' || context === null || Array.isArray(context))
    throw roomError('usage.nats_context_shape', { path });
  return { name, context: context as NatsContext };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Where and how to connect, for a room whose state names `setting` (one URL or several). */
export function natsAccess(setting: string, env: NodeJS.ProcessEnv): NatsAccess {
  const servers = natsServers(setting);
  const found = readContext(env);
  const context: NatsContext = found?.context ?? {};
  const sources: string[] = [];
  const authenticator: Authenticator[] = [];
  const options: NodeConnectionOptions = {};
  const credsPath = text(env.NATS_CREDS) ?? text(context.creds);
  if (credsPath !== undefined) {
    authenticator.push(credsAuthenticator(readSetting(credsPath, 'the NATS credentials file')));
    sources.push(text(env.NATS_CREDS) !== undefined ? `NATS_CREDS ${credsPath}` : `creds ${credsPath}`);
  }
  const nkey = text(context.nkey);
  if (nkey !== undefined) {
    const seed = readSetting(nkey, 'the NATS nkey seed file').toString('utf8').trim();
    authenticator.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
    sources.push(`nkey ${nkey}`);
  }
  if (text(context.user) !== undefined) {
    options.user = text(context.user);
    options.pass = text(context.password);
    sources.push(`user ${context.user}`);
  }
  if (text(context.token) !== undefined) {
    options.token = text(context.token);
    sources.push('token');
  }
  const ca = text(context.ca);
  const cert = text(context.cert);
  const key = text(context.key);
  if (ca !== undefined || cert !== undefined || key !== undefined || context.tls_first === true) {
    options.tls = {
      ...(ca === undefined ? {} : { caFile: expandHome(ca) }),
      ...(cert === undefined ? {} : { certFile: expandHome(cert) }),
      ...(key === undefined ? {} : { keyFile: expandHome(key) }),
      ...(context.tls_first === true ? { handshakeFirst: true } : {}),
    };
    sources.push('TLS');
  }
  if (authenticator.length > 0) options.authenticator = authenticator;
  const from = found === null ? '' : `context ${found.name}: `;
  return { servers, options, source: sources.length === 0 ? `${from}no credentials` : `${from}${sources.join(', ')}` };
}

/**
 * Connects for the broker's whole life: it reconnects by itself forever
 * (the room refuses writes meanwhile: server/nats/event-stream.ts) and
 * notices a silent server within ~2 pings. Fails at once when the server
 * cannot be reached, or, `patiently`, keeps trying until it can.
 */
export async function connectNats(access: NatsAccess, name: string, patiently = false): Promise<NatsConnection> {
  try {
    return await connect({
      waitOnFirstConnect: patiently,
      servers: access.servers,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
      maxPingOut: 2,
      timeout: 5_000,
      ...access.options,
    });
  } catch (error) {
    throw roomError(
      'nats_unreachable.connect',
      { servers: access.servers.join(','), detail: (error as Error).message, source: access.source },
      { cause: error },
    );
  }
}
