// One event as a list item. Text goes in through textContent, and message
// bodies through the safe Markdown renderer (markdown.ts): nothing a user
// sends can become markup of the page.
import type { Notice, RoomEvent } from '../../../shared/events.ts';
import { renderMarkdown } from './markdown.ts';

export interface RenderContext {
  /** The user this page speaks as. */
  readonly me: string;
  /** The event a reply answers, if this page holds it. */
  readonly lookup: (id: string) => RoomEvent | undefined;
  /** The reply button was pressed on `event`. */
  readonly onReply: (event: RoomEvent) => void;
}

/** A stable hue per name, so a sender keeps its colour everywhere. */
export function hueOf(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return hash % 360;
}

/** Whether `text` names `user` as @user (not inside a longer name). */
export function mentions(text: string, user: string): boolean {
  const escaped = user.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9._-])@${escaped}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9_-])`, 'i').test(text);
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className !== undefined) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function timeOf(ts: string): HTMLTimeElement {
  const time = el('time');
  const date = new Date(ts);
  time.dateTime = ts;
  // 24-hour HH:MM, as the terminal UI shows it, whatever the browser's locale would pick.
  time.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  time.title = date.toLocaleString();
  return time;
}

function userOf(name: string): HTMLSpanElement {
  const span = el('span', 'user', name);
  span.style.setProperty('--hue', String(hueOf(name)));
  return span;
}

function markdownBody(text: string): HTMLDivElement {
  const body = el('div', 'body');
  body.innerHTML = renderMarkdown(text);
  return body;
}

/** The first line of what `event` said, for a reply's quote. */
function gist(event: RoomEvent): string {
  switch (event.type) {
    case 'message':
    case 'reply':
    case 'dm':
    case 'system':
      return event.content.split('\n')[0] ?? '';
    case 'command':
      return `/${event.cmd} ${event.params.join(' ')}`;
    default:
      return event.type;
  }
}

/** Text that is searched by the search box. */
export function searchText(event: RoomEvent): string {
  return `${event.user} ${gist(event)} ${'content' in event ? event.content : ''}`.toLowerCase();
}

/** Whether an event is for `me` in particular: a DM to me, or a message that mentions me. */
export function isForMe(event: RoomEvent, me: string): boolean {
  if (event.user === me) return false;
  if (event.type === 'dm') return event.to === me;
  if (event.type === 'message' || event.type === 'reply') return mentions(event.content, me);
  return false;
}

export function renderEvent(event: RoomEvent, ctx: RenderContext): HTMLLIElement {
  const item = el('li', `ev ${event.type}`);
  item.dataset.id = event.id;
  item.dataset.seq = String(event.seq);
  const meta = el('div', 'meta');
  meta.append(timeOf(event.ts), userOf(event.user));
  item.append(meta);
  switch (event.type) {
    case 'join':
      meta.append(el('span', 'what', 'joined'));
      break;
    case 'leave':
      meta.append(el('span', 'what', 'left'));
      break;
    case 'system':
      item.append(el('div', 'body plain', event.content));
      break;
    case 'command':
      item.append(
        el('div', 'body command', `/${event.cmd}${event.params.length > 0 ? ` ${event.params.join(' ')}` : ''}`),
      );
      break;
    case 'dm':
      meta.append(
        el(
          'span',
          'tag',
          event.user === ctx.me ? `DM to ${event.to}` : event.to === ctx.me ? 'DM to you' : `DM to ${event.to}`,
        ),
      );
      item.append(markdownBody(event.content));
      break;
    case 'reply': {
      const target = ctx.lookup(event.reply_to);
      const quote = el('div', 'quote');
      quote.append(
        target === undefined ? el('span', undefined, 'an earlier message') : userOf(target.user),
        document.createTextNode(target === undefined ? '' : ` ${gist(target)}`),
      );
      item.append(quote, markdownBody(event.content));
      break;
    }
    case 'message':
      item.append(markdownBody(event.content));
      break;
  }
  if (isForMe(event, ctx.me)) item.classList.add('mention');
  if (event.type === 'message' || event.type === 'reply' || event.type === 'command') {
    const reply = el('button', 'act', 'reply');
    reply.type = 'button';
    reply.title = `Reply to ${event.user}`;
    reply.addEventListener('click', () => ctx.onReply(event));
    meta.append(reply);
  }
  meta.append(el('span', 'id', event.id.slice(0, 4)));
  return item;
}

/** A private answer from the broker (/who, /help): shown to this page only, never stored. */
export function renderNotice(notice: Notice): HTMLLIElement {
  const item = el('li', 'ev notice private');
  item.dataset.id = notice.id;
  const meta = el('div', 'meta');
  meta.append(timeOf(notice.ts), userOf(notice.user), el('span', 'tag', 'only you'));
  const body = el('div', 'body plain', notice.content);
  item.append(meta, body);
  return item;
}
