// Who is here: the users with a live session and their status, then those
// seen lately through one-shot commands (GET /users).
import type { Users } from '../../../shared/api.ts';
import { hueOf } from './render.ts';

function entry(name: string, status: string, note?: string): HTMLLIElement {
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
  return li;
}

export function showMembers(
  users: Users,
  online: HTMLUListElement,
  recent: HTMLUListElement,
  count: HTMLElement,
): void {
  online.replaceChildren(
    ...users.online.map((u) => entry(u.user, u.status, u.user === users.host ? '(host)' : undefined)),
  );
  recent.replaceChildren(...users.recent.map((u) => entry(u.user, u.status)));
  count.textContent = String(users.online.length);
}
