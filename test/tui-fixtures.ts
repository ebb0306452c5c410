// Events and states for the terminal UI's unit and component tests.
import { randomUUID } from 'node:crypto';
import type { Notice, RoomEvent } from '../shared/events.ts';
import { initialState, reduce, type Action, type State } from '../client/tui/state.ts';

let seq = 0;
/**
 * Today, at the local time of 2025-01-02T10:01:05Z (what tests compare the
 * clock with): from today, so no day separator (days.ts) comes before it.
 */
const TS = (() => {
  const at = new Date('2025-01-02T10:01:05.000Z');
  const today = new Date();
  today.setHours(at.getHours(), at.getMinutes(), at.getSeconds(), 0);
  return today.toISOString();
})();

type Draft = { type: RoomEvent['type']; user: string } & Record<string, unknown>;

/** A complete event with a fresh id and the next seq. */
export function ev<T extends Draft>(draft: T, fields: { id?: string; ts?: string } = {}): RoomEvent {
  return {
    id: fields.id ?? randomUUID(),
    room: 'demo',
    ts: fields.ts ?? TS,
    seq: ++seq,
    ...draft,
  } as unknown as RoomEvent;
}

export const msg = (user: string, content: string, id?: string) => ev({ type: 'message', user, content }, { id });

export function notice(content: string): Notice {
  return { type: 'system', id: randomUUID(), room: 'demo', user: 'broker', ts: TS, content };
}

/** A state after these actions (me: alice, host: alice unless given). */
export function stateWith(
  actions: readonly Action[],
  options: { me?: string; host?: string | null; columns?: number; rows?: number } = {},
): State {
  const start = initialState('demo', options.me ?? 'alice', options.host === undefined ? 'alice' : options.host, {
    columns: options.columns ?? 80,
    rows: options.rows ?? 24,
  });
  return actions.reduce(reduce, start);
}

/** `count` one-line messages from carl. */
export function many(count: number, from = 1): RoomEvent[] {
  return Array.from({ length: count }, (_, i) => msg('carl', `message number ${from + i}`));
}
