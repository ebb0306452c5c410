// When the history is flushed to disk (fsync), like Redis's appendfsync.
// Every policy writes an event to the file (the kernel's page cache) before
// it is published or acknowledged, so a crash of the broker process never
// loses an acknowledged event. They differ on power loss or a kernel crash:
// - `always`: fsync after every append, before the echo and before any
//   subscriber sees the event: an acknowledged event survives power loss;
// - `batch` (the default): fsync at most every `batchMs` (default 100 ms)
//   while there are unflushed appends, off the event loop: power loss loses
//   at most the last `batchMs` of acknowledged events;
// - `off`: never fsync; the kernel writes back when it likes (Linux: within
//   about 30 s).
// Configured per broker with ROOM_FSYNC=always|batch|off and ROOM_FSYNC_MS.
import { roomError } from '../../shared/errors.ts';

export type Durability =
  | { readonly policy: 'always' }
  | { readonly policy: 'batch'; readonly batchMs: number }
  | { readonly policy: 'off' };

export const DEFAULT_BATCH_MS = 100;

export function durabilityFrom(env: NodeJS.ProcessEnv): Durability {
  const policy = env.ROOM_FSYNC ?? 'batch';
  switch (policy) {
    case 'always':
    case 'off':
      return { policy };
    case 'batch': {
      const raw = env.ROOM_FSYNC_MS ?? String(DEFAULT_BATCH_MS);
      const batchMs = Number(raw);
      if (!/^[0-9]+$/.test(raw) || batchMs < 1 || batchMs > 60_000) throw roomError('usage.fsync_ms', { value: raw });
      return { policy, batchMs };
    }
    default:
      throw roomError('usage.fsync', { value: policy });
  }
}

export const describeDurability = (d: Durability): string =>
  d.policy === 'batch' ? `batch (every ${d.batchMs} ms)` : d.policy;
