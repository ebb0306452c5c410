// Older history, on demand: scrolling past the top of what is loaded asks
// the broker for the page of events before the oldest one loaded.
//
// GET /messages has no `before=` yet (only `since` and `limit`), so this asks
// for the last N visible events with N growing until the oldest loaded event
// is among them, and keeps the page before it. When `before=` lands, this one
// function becomes a single request.
import type { RoomEvent } from '../../shared/events.ts';
import type { BrokerClient } from '../live/broker-client.ts';

/** GET /messages' largest `limit`. */
const MAX_LIMIT = 10_000;

/**
 * Up to `page` events visible to the token's user just before the event
 * `id`, oldest first; [] at the start of the history (or when `id` is not
 * within the last MAX_LIMIT events, or is gone: a cleared history).
 */
export async function olderThan(client: BrokerClient, token: string, id: string, page: number): Promise<RoomEvent[]> {
  for (let limit = Math.min(page * 2, MAX_LIMIT); ; limit = Math.min(limit * 4, MAX_LIMIT)) {
    const events = await client.recent(token, limit);
    const at = events.findIndex((e) => e.id === id);
    if (at >= 0) return events.slice(Math.max(0, at - page), at);
    if (events.length < limit || limit === MAX_LIMIT) return [];
  }
}
