// A DM to you or a message that mentions you (@name), arriving live: the
// terminal bell rings and the window title is marked, so a person in another
// window notices. History replayed when the UI opens does not ring.
import type { RoomEvent } from '../../shared/events.ts';
import { isAddressedTo } from '../for-you.ts';

/** Events stamped this long before the UI opened are history, not news (clock skew between processes is small). */
const REPLAY_SLACK_MS = 1000;

export class Attention {
  readonly #room: string;
  readonly #me: string;
  readonly #write: (text: string) => void;
  readonly #openedAt = Date.now();

  constructor(room: string, me: string, write: (text: string) => void = (text) => void process.stdout.write(text)) {
    this.#room = room;
    this.#me = me;
    this.#write = write;
  }

  /** Rings and marks the title for an event addressed to the user. Names and room ids hold no control characters. */
  notice(event: RoomEvent): void {
    if (Date.parse(event.ts) < this.#openedAt - REPLAY_SLACK_MS) return;
    if (!isAddressedTo(event, this.#me)) return;
    const what = event.type === 'dm' ? 'DM' : 'mention';
    this.#write(`\x07\x1b]2;(@) ${this.#room}: ${what} from ${event.user}\x07`);
  }
}
