// The shared state of a room that spans machines (issue 16): its users,
// host, kicks and tokens, its claims, and who is present, kept in two
// JetStream key-value buckets (server/nats/kv-names.ts) and attached to a
// broker's existing parts. The broker process calls `shareRoomState` once,
// when the room has a NATS server, after the Broker exists and before it
// listens; `close()` detaches it (before the connection closes).
//
// - Writes that must hold on every machine (join, /kick, /reauth,
//   /clear-tokens, /claim, /release, a lease's end) go to NATS first and are
//   acknowledged only once stored there; while NATS cannot be reached they
//   are refused with `nats_unreachable` (server/nats/reach.ts).
// - Reads never wait for NATS: tokens, the host, claims and presence are
//   answered from the broker's copy, which a watch of each bucket keeps
//   current (and the state and claims files keep mirroring it).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CloseReason } from '../../shared/api.ts';
import { RoomError } from '../../shared/errors.ts';
import type { Claims } from '../claims.ts';
import type { Presence } from '../presence.ts';
import type { Registry } from '../registry.ts';
import { BucketWatch } from './bucket-watch.ts';
import { SharedClaimTable } from './claims-kv.ts';
import { presenceBucket, stateBucket } from './kv-names.ts';
import { DEFAULT_PRESENCE_TTL_MS, SharedPresence } from './presence-kv.ts';
import { Reach } from './reach.ts';
import { SharedRegistry } from './registry-kv.ts';

/** The broker's parts the shared state attaches to (the Broker itself has them all). */
export interface SharedStateParts {
  readonly registry: Registry;
  readonly claims: Claims;
  readonly presence: Presence;
  /** Ends the matching users' streams with a final `close` event (a kick made on another machine). */
  endStreams(reason: CloseReason, message: string, which: (user: string) => boolean): void;
}

export interface SharedStateSettings {
  /** How long a stopped broker's users stay listed elsewhere (default 30 s; ROOM_NATS_PRESENCE_TTL_MS). */
  readonly presenceTtlMs?: number;
  /** The least time between two presence writes after changes (default: a tenth of the TTL, at most 1 s). */
  readonly presencePublishMs?: number;
  /** Replicas of the buckets in a NATS cluster (default 1). */
  readonly replicas?: number;
  /** Names this broker's presence key (default: host name, pid and a random suffix). */
  readonly brokerId?: string;
  readonly log?: (message: string) => void;
}

export interface SharedState {
  /** The other brokers' presence; emits `change` when it changes. */
  readonly presence: SharedPresence;
  /** Detaches the shared state (the parts keep working on their own) and removes this broker's presence. */
  close(): Promise<void>;
}

/** ROOM_NATS_PRESENCE_TTL_MS: a positive whole number of milliseconds. */
export function sharedStateSettingsFrom(env: NodeJS.ProcessEnv): SharedStateSettings {
  const value = env.ROOM_NATS_PRESENCE_TTL_MS;
  if (value === undefined || value === '') return {};
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0)
    throw new RoomError(
      'usage',
      `ROOM_NATS_PRESENCE_TTL_MS must be a positive whole number of milliseconds, not ${value}`,
    );
  return { presenceTtlMs: ms };
}

export async function shareRoomState(
  nc: NatsConnection,
  room: string,
  parts: SharedStateParts,
  settings: SharedStateSettings = {},
): Promise<SharedState> {
  const log = settings.log ?? (() => {});
  const ttlMs = settings.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
  const replicas = settings.replicas ?? 1;
  const reach = new Reach(nc);
  const kvm = new Kvm(nc);
  const stateKv = await kvm.create(stateBucket(room), { history: 1, replicas });
  const presenceKv = await kvm.create(presenceBucket(room), { history: 1, replicas, ttl: ttlMs });

  const users = new SharedRegistry(stateKv, reach, parts.registry, {
    room,
    endStreams: (reason, message, which) => parts.endStreams(reason, message, which),
    forget: (user) => parts.presence.forget(user),
  });
  const claims = new SharedClaimTable(stateKv, reach, parts.claims);
  await users.seed();
  const stateWatch = await BucketWatch.open(
    stateKv,
    stateBucket(room),
    reach,
    (entry) => {
      if (!users.receive(entry)) claims.receive(entry);
    },
    log,
  );
  await claims.seed();
  parts.registry.share(users);
  parts.claims.share(claims);

  const brokerId = settings.brokerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const presence = new SharedPresence(
    presenceKv,
    reach,
    parts.presence,
    brokerId,
    { ttlMs, publishMs: settings.presencePublishMs ?? Math.min(1000, Math.ceil(ttlMs / 10)) },
    log,
  );
  const presenceWatch = await BucketWatch.open(
    presenceKv,
    presenceBucket(room),
    reach,
    (entry) => presence.receive(entry),
    log,
  );
  await presence.publish();

  return {
    presence,
    async close() {
      stateWatch.stop();
      presenceWatch.stop();
      parts.registry.share(null);
      parts.claims.share(null);
      await presence.close();
    },
  };
}
