// The list of events the page shows, in seq order. Events arrive from the
// stream, from a send's echo (whichever comes first wins: an event is shown
// once, by its id) and from older pages loaded on scroll-up.
import type { Notice, RoomEvent } from '../../../shared/events.ts';
import { renderEvent, renderNotice, searchText, type RenderContext } from './render.ts';

export class Timeline {
  readonly #list: HTMLOListElement;
  readonly #scroller: HTMLElement;
  readonly #ctx: RenderContext;
  readonly #events = new Map<string, RoomEvent>();
  #query = '';

  constructor(list: HTMLOListElement, scroller: HTMLElement, ctx: Omit<RenderContext, 'lookup'>) {
    this.#list = list;
    this.#scroller = scroller;
    this.#ctx = { ...ctx, lookup: (id) => this.#events.get(id) };
  }

  /** How many events are shown; the seq of the oldest. */
  get size(): number {
    return this.#events.size;
  }

  get oldestSeq(): number | undefined {
    const first = this.#list.querySelector<HTMLElement>('li[data-seq]');
    return first === null ? undefined : Number(first.dataset.seq);
  }

  #atBottom(): boolean {
    const s = this.#scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 40;
  }

  #item(event: RoomEvent): HTMLLIElement {
    const item = renderEvent(event, this.#ctx);
    if (this.#query !== '' && !searchText(event).includes(this.#query)) item.classList.add('hidden-by-search');
    return item;
  }

  /** Adds a new event (live or an echo); false if it is already shown. */
  add(event: RoomEvent): boolean {
    if (this.#events.has(event.id)) return false;
    this.#events.set(event.id, event);
    const follow = this.#atBottom();
    const item = this.#item(event);
    // Echoes and the stream agree on order by seq: insert before the first later event, if any.
    let before: Element | null = null;
    for (let node = this.#list.lastElementChild; node !== null; node = node.previousElementSibling) {
      const seq = (node as HTMLElement).dataset.seq;
      if (seq === undefined || Number(seq) > event.seq) before = node;
      else break;
    }
    this.#list.insertBefore(item, before);
    if (follow) this.scrollToEnd();
    return true;
  }

  /** Older events (oldest first) at the top, keeping what is on screen in place. */
  prepend(events: readonly RoomEvent[]): number {
    const fresh = events.filter((event) => !this.#events.has(event.id));
    const height = this.#scroller.scrollHeight;
    const fragment = document.createDocumentFragment();
    for (const event of fresh) {
      this.#events.set(event.id, event);
      fragment.append(this.#item(event));
    }
    this.#list.prepend(fragment);
    this.#scroller.scrollTop += this.#scroller.scrollHeight - height;
    return fresh.length;
  }

  notice(notice: Notice): void {
    this.#list.append(renderNotice(notice));
    this.scrollToEnd();
  }

  /** The host's /clear: what was shown is gone from the history. */
  clear(): void {
    this.#events.clear();
    this.#list.replaceChildren();
  }

  /** Shows only the events whose sender or text contains `query` (case-insensitive); '' shows all. */
  filter(query: string): void {
    this.#query = query.trim().toLowerCase();
    for (const item of this.#list.children) {
      const event = this.#events.get((item as HTMLElement).dataset.id ?? '');
      const hide = this.#query !== '' && (event === undefined || !searchText(event).includes(this.#query));
      item.classList.toggle('hidden-by-search', hide);
    }
  }

  /** Every name seen in the events shown (for @ completion). */
  names(): Set<string> {
    const names = new Set<string>();
    for (const event of this.#events.values()) if (event.user !== 'broker') names.add(event.user);
    return names;
  }

  scrollToEnd(): void {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
  }
}
