// Open claims, for the SessionStart digest and for SessionEnd's releases.
// A claim is the protocol's `/claim <path>` command; it stays open until the
// same user's `/release <path>`. Read from the history file (no broker
// needed); when the broker serves GET /claims (leases), that answer is used.
import type { RoomEvent } from '../../shared/events.ts';
import { request } from '../http.ts';
import { scanEntries } from '../history-file.ts';

export interface Claim {
  readonly user: string;
  readonly path: string;
  /** The claim event's short id, or '' when the broker gave none. */
  readonly id: string;
  /** The claim's words as sent (`src/a.ts fixing CRLF`). */
  readonly text: string;
  /** When it was claimed (ISO time), or '' when unknown. */
  readonly since: string;
}

/** `bob: src/a.ts ("src/a.ts fixing CRLF", since 22:01 UTC)`: the holder, what, their words and since when. */
export function describeClaim(claim: Claim, holder = true): string {
  const words = claim.text !== '' && claim.text !== claim.path ? `"${claim.text}"` : '';
  const since = claim.since === '' ? '' : `since ${claim.since.slice(11, 16)} UTC`;
  const notes = [words, since].filter((n) => n !== '').join(', ');
  return `${holder ? `${claim.user}: ` : ''}${claim.path}${notes === '' ? '' : ` (${notes})`}`;
}

/** Open claims in the history as the reader sees it. */
export function claimsFromHistory(fd: number, canSee: (event: RoomEvent) => boolean): Claim[] {
  const open = new Map<string, Claim>();
  scanEntries(fd, 0, ({ event }) => {
    if (event.type === 'system' && /^\S+ cleared chat history$/.test(event.content)) open.clear();
    if (event.type !== 'command' || !canSee(event)) return;
    const cmd = event.cmd.toLowerCase();
    if (cmd !== 'claim' && cmd !== 'release') return;
    // `/release` alone ends every claim of its sender (server/claims.ts).
    if (cmd === 'release' && event.params.length === 0)
      for (const [key, claim] of open) if (claim.user === event.user) open.delete(key);
    for (const path of event.params) {
      const key = `${event.user}\n${path}`;
      if (cmd === 'claim')
        open.set(key, {
          user: event.user,
          path,
          id: event.id.slice(0, 8),
          text: event.params.join(' '),
          since: event.ts,
        });
      else open.delete(key);
    }
  });
  return [...open.values()];
}

/** The broker's own list (GET /claims) when it has one; null when it has none or is not running. */
export async function claimsFromBroker(socket: string, token: string): Promise<Claim[] | null> {
  try {
    const response = await request(socket, { method: 'GET', path: '/claims', token });
    if (response.status !== 200) return null;
    const body = JSON.parse(response.body) as unknown;
    const list = Array.isArray(body) ? body : (body as { claims?: unknown })?.claims;
    if (!Array.isArray(list)) return null;
    // The broker's Claim (shared/claims.ts): `what` is the path, glob or topic; claims carry no event id.
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    return list
      .filter(
        (c): c is { user: string; what: string; text?: unknown; since?: unknown } =>
          typeof c?.user === 'string' && typeof c?.what === 'string',
      )
      .map((c) => ({ user: c.user, path: c.what, id: '', text: text(c.text), since: text(c.since) }));
  } catch {
    return null;
  }
}
