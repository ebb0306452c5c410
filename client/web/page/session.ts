// Who the page speaks as. The address `room web` printed carries a one-time
// secret after its `#`: it is taken out of the address bar at once (so a
// reload or a copied URL does not show it), exchanged for the user's token,
// and the token is kept in memory and in sessionStorage, which survives a
// reload of this tab and nothing else (no cookies, no other tab).
import { redeemSecret, type SessionInfo } from './api.ts';

const KEY = 'room.session';

function stored(): SessionInfo | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as SessionInfo | null;
    return value !== null && typeof value.token === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function startSession(): Promise<SessionInfo | undefined> {
  const secret = location.hash.slice(1);
  if (secret !== '') {
    history.replaceState(null, '', location.pathname);
    const info = await redeemSecret(secret);
    sessionStorage.setItem(KEY, JSON.stringify(info));
    return info;
  }
  return stored();
}

/** Forgets the token (it was refused: revoked, or the user was kicked). */
export function endSession(): void {
  sessionStorage.removeItem(KEY);
}
