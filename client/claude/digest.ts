// What is new for a session, bounded for a model's context: the most
// important first (DMs and mentions for it, then requests to hold), then the
// latest of the rest, then one line counting what was left out and saying
// how to read it all.
import type { RoomEvent } from '../../shared/events.ts';
import { readAllCommand, type Unseen } from '../delivery.ts';
import { isAddressedTo } from '../for-you.ts';

/** A request to hold or stop: the protocol says to stop and acknowledge. */
const HOLD = /\b(hold|stop|wait|pause|freeze|don'?t (merge|push|touch|edit))\b/i;

export function isHoldRequest(event: RoomEvent): boolean {
  return (event.type === 'message' || event.type === 'reply' || event.type === 'dm') && HOLD.test(event.content);
}

export interface Digest {
  readonly lines: string[];
  readonly addressed: number;
  readonly holds: number;
}

export function digest(unseen: Unseen, user: string, room: string, max: number): Digest {
  const rank = (event: RoomEvent) => (isAddressedTo(event, user) ? 0 : isHoldRequest(event) ? 1 : 2);
  const ranked = unseen.picked
    .map((p, i) => ({ p, i, r: rank(p.event) }))
    .sort((a, b) => a.r - b.r || b.i - a.i) // most important first; within a rank, the latest first
    .slice(0, max)
    .sort((a, b) => a.r - b.r || a.i - b.i); // shown in the order they were written, within a rank
  const lines = ranked.map((x) => x.p.line);
  const left = unseen.picked.length - lines.length;
  if (left > 0) {
    lines.push(`[room] …and ${left} more for you not shown here; all of them: ${readAllCommand(unseen, room)}`);
  }
  return {
    lines,
    addressed: unseen.picked.filter((p) => isAddressedTo(p.event, user)).length,
    holds: unseen.picked.filter((p) => isHoldRequest(p.event)).length,
  };
}
