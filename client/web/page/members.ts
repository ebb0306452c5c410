// Who is here: the users with a live session, then those listening (a
// follower, a waiting watch, an agent's monitor), then those seen lately
// (GET /users); each with their status and what they hold (GET /claims).
import type { Users } from '../../../shared/api.ts';
import type { Claim } from '../../../shared/claim-schema.ts';
import { hueOf } from './render.ts';

function entry(name: string, status: string, held: readonly Claim[], note?: string): HTMLLIElement {
  const li = document.createElement('li');
  const user = document.createElement('span');
  user.className = 'user';
  user.textContent = name;
  user.style.setProperty('--hue', String(hueOf(name)));
  li.append(user);
  if (note !== undefined) li.append(document.createTextNode(` ${note}`));
  if (status !== '') {
    const text = document.createElement('span');
    text.className = 'status';
    text.textContent = status;
    li.append(text);
  }
  if (held.length > 0) {
    const claims = document.createElement('span');
    claims.className = 'claims';
    claims.textContent = `holds ${held.map((c) => c.what).join(', ')}`;
    claims.title = held.map((c) => `${c.what}: ${c.text} (since ${c.since})`).join('\n');
    li.append(claims);
  }
  return li;
}

export interface MemberLists {
  readonly online: HTMLUListElement;
  readonly listening: HTMLUListElement;
  readonly recent: HTMLUListElement;
  readonly count: HTMLElement;
}

export function showMembers(users: Users, claims: readonly Claim[], lists: MemberLists): void {
  const heldBy = (user: string) => claims.filter((c) => c.user === user);
  lists.online.replaceChildren(
    ...users.online.map((u) => entry(u.user, u.status, heldBy(u.user), u.user === users.host ? '(host)' : undefined)),
  );
  const listening = users.listening ?? [];
  lists.listening.replaceChildren(...listening.map((u) => entry(u.user, u.status, heldBy(u.user))));
  (lists.listening.previousElementSibling as HTMLElement | null)?.toggleAttribute('hidden', listening.length === 0);
  lists.listening.hidden = listening.length === 0;
  lists.recent.replaceChildren(...users.recent.map((u) => entry(u.user, u.status, heldBy(u.user))));
  lists.count.textContent = String(users.online.length);
}
