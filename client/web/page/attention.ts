// While the tab is hidden, mentions of the user and DMs to them count in the
// tab's title and, if the user allowed it, raise a desktop notification.
// Showing the tab again resets the count.
export class Attention {
  readonly #title: string;
  #unread = 0;

  constructor(title: string) {
    this.#title = title;
    document.title = title;
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.#reset();
    });
  }

  get unread(): number {
    return this.#unread;
  }

  /** Something for the user arrived: counted (and notified) only while the tab is hidden. */
  notify(from: string, text: string): void {
    if (!document.hidden) return;
    this.#unread++;
    document.title = `(${this.#unread}) ${this.#title}`;
    if ('Notification' in window && Notification.permission === 'granted') {
      const note = new Notification(`${from} in ${this.#title}`, { body: text.slice(0, 200), tag: 'room' });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    }
  }

  /** Asks for permission to notify (browsers want a click first). */
  static async ask(): Promise<NotificationPermission | 'unsupported'> {
    if (!('Notification' in window)) return 'unsupported';
    return Notification.permission === 'default' ? Notification.requestPermission() : Notification.permission;
  }

  #reset(): void {
    this.#unread = 0;
    document.title = this.#title;
  }
}
