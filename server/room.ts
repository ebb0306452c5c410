// The room: the one place events are made. Invariants:
// - every event gets its id, room, ts and the next seq here, and nowhere else;
// - an event is appended to the log before it is published or echoed: stamp
//   → append → publish, in one event-loop turn, so every subscriber sees
//   events in log order and nothing unlogged is ever seen or acknowledged;
// - the log's storage is checked before each append (server/log/event-log.ts
//   verify), and what happened to it outside the broker is said in the
//   broker's log and, as a notice, to the room.
import { randomUUID } from 'node:crypto';
import type { Notice, RoomEvent } from '../shared/events.ts';
import { BROKER_USER } from '../shared/names.ts';
import type { EventLog } from './log/event-log.ts';

type Distribute<E> = E extends RoomEvent ? Omit<E, 'id' | 'room' | 'ts' | 'seq'> : never;
/** An event before the room stamps it. */
export type Draft = Distribute<RoomEvent>;

/** What posting one inbound event gave: a stored event (201) or a private notice (200). */
export type PostResult =
  | { readonly stored: true; readonly event: RoomEvent }
  | { readonly stored: false; readonly notice: Notice };

export interface RoomOptions {
  readonly id: string;
  readonly log: EventLog;
  /** Delivers an event already in the log to its subscribers (the hub). */
  readonly fanOut: (event: RoomEvent, line: string) => void;
  /** Where the broker's own log lines go. */
  readonly say?: (message: string) => void;
  readonly now?: () => Date;
}

export class Room {
  readonly id: string;
  readonly log: EventLog;
  readonly now: () => Date;
  readonly #fanOut: RoomOptions['fanOut'];
  readonly #say: (message: string) => void;

  constructor(options: RoomOptions) {
    this.id = options.id;
    this.log = options.log;
    this.#fanOut = options.fanOut;
    this.#say = options.say ?? (() => {});
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Stamps, appends, then publishes an event. Throws (and publishes nothing)
   * if the append fails. `id` is given for a keyed post (server/idempotency.ts).
   */
  publish(draft: Draft, id?: string): RoomEvent {
    this.checkLog();
    return this.#publish(draft, id);
  }

  #publish(draft: Draft, id: string = randomUUID()): RoomEvent {
    const { type, user, ...fields } = draft;
    const event = {
      type,
      id,
      room: this.id,
      user,
      ts: this.now().toISOString(),
      seq: this.log.state.lastSeq + 1,
      ...fields,
    } as RoomEvent;
    const line = this.log.append(event);
    this.#fanOut(event, line);
    return event;
  }

  /**
   * Checks the log's storage and, if it changed outside the broker, says so
   * (broker log, and a notice in the log itself, so readers see it in place).
   * Run before every append and before reads that trust positions.
   */
  checkLog(): void {
    const recovery = this.log.verify();
    if (recovery === null) return;
    this.#say(`history ${recovery.message}`);
    this.#publish({ type: 'system', user: BROKER_USER, content: `the history file ${recovery.message}` });
  }

  /** A notice from the broker to everyone, stored. */
  system(content: string): RoomEvent {
    return this.publish({ type: 'system', user: BROKER_USER, content });
  }

  /** A private answer for one caller; never stored or broadcast. */
  notice(content: string): Notice {
    return {
      type: 'system',
      id: randomUUID(),
      room: this.id,
      user: BROKER_USER,
      ts: this.now().toISOString(),
      content,
    };
  }
}
