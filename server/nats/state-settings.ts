// How a shared room's state is kept (server/nats/shared-state.ts), and the
// settings read from the environment. No NATS code here: the broker
// checks its settings before it touches any file, NATS or not.
import { roomError } from '../../shared/errors.ts';

export interface SharedStateSettings {
  /** How long a stopped broker's users stay listed elsewhere (default 30 s; ROOM_NATS_PRESENCE_TTL_MS). */
  readonly presenceTtlMs?: number;
  /** The least time between two presence writes after changes (default: a tenth of the TTL, at most 100 ms). */
  readonly presencePublishMs?: number;
  /** Replicas of the buckets in a NATS cluster (default 1). */
  readonly replicas?: number;
  /** How long shareRoomState waits for NATS before it resolves with changes refused (default 5 s). */
  readonly startWaitMs?: number;
  /** Names this broker's presence key (default: host name, pid and a random suffix). */
  readonly brokerId?: string;
  readonly log?: (message: string) => void;
}

/** ROOM_NATS_PRESENCE_TTL_MS: a positive whole number of milliseconds. */
export function sharedStateSettingsFrom(env: NodeJS.ProcessEnv): SharedStateSettings {
  const value = env.ROOM_NATS_PRESENCE_TTL_MS;
  if (value === undefined || value === '') return {};
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw roomError('usage.env_ms', { name: 'ROOM_NATS_PRESENCE_TTL_MS', value });
  return { presenceTtlMs: ms };
}

/** ROOM_NATS_REPLICAS: how many servers hold the room's stream (1, or 3 in a cluster). */
export function replicasFrom(env: NodeJS.ProcessEnv): number {
  const value = env.ROOM_NATS_REPLICAS;
  if (value === undefined || value === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw roomError('usage.nats_replicas', { value });
  return n;
}
