// The message box: Enter sends, Shift+Enter starts a new line; typing `/` or
// `@` opens the palette (completion.ts), walked with the arrows or Tab and
// taken with Enter or Tab; Escape closes it. What is sent is parsed the way
// the terminal UI parses it (shared/input.ts): /dm, /reply, other commands.
import type { Inbound } from '../../../shared/api.ts';
import { parseInput } from '../../../shared/input.ts';
import { suggest, type CompletionSource, type Suggestions } from './completion.ts';

export interface ComposerOptions {
  readonly input: HTMLTextAreaElement;
  readonly button: HTMLButtonElement;
  readonly palette: HTMLUListElement;
  readonly error: HTMLElement;
  readonly source: () => CompletionSource;
  /** Sends one event; rejects with an Error whose message is shown. */
  readonly send: (inbound: Inbound) => Promise<void>;
}

export class Composer {
  readonly #o: ComposerOptions;
  #open: Suggestions | undefined;
  #selected = 0;
  #sending = false;

  constructor(options: ComposerOptions) {
    this.#o = options;
    const { input, button } = options;
    input.addEventListener('keydown', (e) => this.#key(e));
    input.addEventListener('input', () => {
      this.#fit();
      this.#refresh();
    });
    input.addEventListener('click', () => this.#refresh());
    input.addEventListener('blur', () => setTimeout(() => this.#close(), 150));
    button.addEventListener('click', () => void this.submit());
  }

  /** Puts `text` in the box (e.g. `/reply 3f2a `) and focuses it. */
  prefill(text: string): void {
    this.#o.input.value = text;
    this.#o.input.focus();
    this.#o.input.setSelectionRange(text.length, text.length);
    this.#fit();
  }

  #fit(): void {
    const input = this.#o.input;
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight + 2}px`;
  }

  #key(e: KeyboardEvent): void {
    if (e.isComposing) return;
    const open = this.#open;
    if (open !== undefined) {
      if (e.key === 'ArrowDown' || (e.key === 'Tab' && !e.shiftKey)) {
        e.preventDefault();
        this.#select((this.#selected + 1) % open.items.length);
        return;
      }
      if (e.key === 'ArrowUp' || (e.key === 'Tab' && e.shiftKey)) {
        e.preventDefault();
        this.#select((this.#selected - 1 + open.items.length) % open.items.length);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        this.#close();
        return;
      }
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        this.#accept(this.#selected);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void this.submit();
    }
  }

  async submit(): Promise<void> {
    const { input, error } = this.#o;
    const text = input.value;
    if (text.trim() === '' || this.#sending) return;
    let inbound: Inbound;
    try {
      inbound = parseInput(text, { json: false });
    } catch (e) {
      this.#showError((e as Error).message);
      return;
    }
    // The box empties as the message leaves, not when the answer comes: the
    // broker shows the echo to every stream before it answers the sender, so
    // waiting would show the message in the log and in the box at once. A
    // refusal puts the text back (unless something new was typed meanwhile).
    this.#sending = true;
    input.value = '';
    error.hidden = true;
    this.#fit();
    this.#close();
    try {
      await this.#o.send(inbound);
    } catch (e) {
      if (input.value === '') {
        input.value = text;
        this.#fit();
      }
      this.#showError((e as Error).message);
    } finally {
      this.#sending = false;
    }
  }

  #showError(message: string): void {
    this.#o.error.textContent = message;
    this.#o.error.hidden = false;
  }

  #refresh(): void {
    const input = this.#o.input;
    this.#open = suggest(input.value, input.selectionStart ?? input.value.length, this.#o.source());
    const palette = this.#o.palette;
    if (this.#open === undefined) {
      this.#close();
      return;
    }
    palette.replaceChildren(
      ...this.#open.items.map((item, index) => {
        const li = document.createElement('li');
        const usage = document.createElement('span');
        usage.className = 'usage';
        usage.textContent = item.label;
        const detail = document.createElement('span');
        detail.className = 'desc';
        detail.textContent = item.detail;
        li.append(usage, detail);
        li.addEventListener('mousedown', (e) => {
          e.preventDefault();
          this.#accept(index);
        });
        return li;
      }),
    );
    palette.hidden = false;
    this.#select(0);
  }

  #select(index: number): void {
    this.#selected = index;
    const items = this.#o.palette.children;
    for (let i = 0; i < items.length; i++) items[i]!.setAttribute('aria-selected', String(i === index));
    items[index]?.scrollIntoView({ block: 'nearest' });
  }

  #accept(index: number): void {
    const open = this.#open;
    const item = open?.items[index];
    if (open === undefined || item === undefined) return;
    const input = this.#o.input;
    const value = input.value;
    input.value = value.slice(0, open.from) + item.insert + value.slice(open.to);
    const caret = open.from + item.insert.length;
    input.setSelectionRange(caret, caret);
    input.focus();
    this.#close();
    this.#refresh();
  }

  #close(): void {
    this.#open = undefined;
    this.#o.palette.hidden = true;
    this.#o.palette.replaceChildren();
  }
}
