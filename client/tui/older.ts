// Older history, on demand: scrolling past the top of what is loaded asks
// the broker for the page of events before the oldest one loaded
// (GET /messages?before=<id>).
import { RoomError } from '../../shared/errors.ts';
import type { RoomEvent } from '../../shared/events.ts';
import type { BrokerClient } from '../live/broker-client.ts';

/**
 * Up to `page` events visible to the token's user just before the event
 * `id`, oldest first; [] at the start of the history, or when `id` is gone
 * (a cleared history).
 */
export async function olderThan(client: BrokerClient, token: string, id: string, page: number): Promise<RoomEvent[]> {
  try {
    return await client.before(token, id, page);
  } catch (error) {
    if (error instanceof RoomError && error.code === 'unknown_id') return [];
    throw error;
  }
}
