// How long a live session keeps trying to reconnect to a lost broker before
// it gives up: $ROOM_RECONNECT_SECONDS, read at the edge (tests set it low).
import { roomError } from '../../shared/errors.ts';

/** The reconnect give-up time from $ROOM_RECONNECT_SECONDS (default 30 s). */
export function giveUpMsFrom(env: NodeJS.ProcessEnv, fallbackSeconds = 30): number {
  const value = env.ROOM_RECONNECT_SECONDS;
  if (value === undefined || value === '') return fallbackSeconds * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw roomError('usage.reconnect_seconds', { value: JSON.stringify(value) });
  }
  return seconds * 1000;
}
