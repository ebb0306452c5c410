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
//   current (and the state and claims files keep mirroring it). A broker
//   that starts while NATS is away serves reads from its files and refuses
//   changes until it reaches NATS (attaching is retried).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CloseReason } from '../../shared/api.ts';
import { roomError } from '../../shared/errors.ts';
import type { Claims } from '../claims.ts';
import type { Presence } from '../presence.ts';
import type { Registry } from '../registry.ts';
import { BucketWatch } from './bucket-watch.ts';
import { SharedClaimTable } from './claims-kv.ts';
import { presenceBucket, stateBucket } from './kv-names.ts';
import { DEFAULT_PRESENCE_TTL_MS, SharedPresence } from './presence-kv.ts';
import { Reach } from './reach.ts';
import type { SharedStateSettings } from './state-settings.ts';

export type { SharedStateSettings };
import { SharedRegistry } from './registry-kv.ts';

/** The broker's parts the shared state attaches to (the Broker itself has them all). */
export interface SharedStateParts {
  readonly registry: Registry;
  readonly claims: Claims;
  readonly presence: Presence;
  /** Ends the matching users' streams with a final `close` event (a kick made on another machine). */
  endStreams(reason: CloseReason, message: string, which: (user: string) => boolean): void;
}

export interface SharedState {
  /** Emits `change` when the other brokers' presence changes. */
  readonly presence: EventEmitter;
  /** Resolves once the state is attached (changes are refused until then). */
  readonly ready: Promise<void>;
  /** Detaches the shared state (the parts keep working on their own) and removes this broker's presence. */
  close(): Promise<void>;
}

/** Refuses every change: a shared room's state before it could reach NATS (reads use the local copy meanwhile). */
const refusing = {
  change: () => Promise.reject(roomError('nats_unreachable.change', { what: 'change a user' })),
  claimHost: () => Promise.reject(roomError('nats_unreachable.change', { what: 'record the host' })),
  update: () => Promise.reject(roomError('nats_unreachable.change', { what: 'change the claims' })),
};

/** Refuses changes to a shared room's state until shareRoomState attaches it (the broker could not reach NATS yet). */
export function refuseSharedChanges(parts: Pick<SharedStateParts, 'registry' | 'claims'>): void {
  parts.registry.share(refusing);
  parts.claims.share(refusing);
}

/** How long shareRoomState waits for the first attach before it lets the broker start refusing changes. */
const DEFAULT_START_WAIT_MS = 5000;
const RETRY_FIRST_MS = 500;
/**
 * The least time between two presence writes of a broker after changes: a
 * session opened elsewhere shows here within it (UIs ask for the users
 * 150 ms after a join or leave: client/tui/link.ts), at ten writes a second
 * at most.
 */
const DEFAULT_PUBLISH_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * Attaches the shared state to the broker's parts. Until it is attached,
 * changes are refused with `nats_unreachable` and reads answer from the
 * local copy; if NATS cannot be reached, attaching is retried until it
 * succeeds (or `close()`). Resolves once attached, or after `startWaitMs`
 * (default 5 s) with `ready` still pending, so a broker whose NATS is away
 * starts all the same and serves reads.
 */
export async function shareRoomState(
  nc: NatsConnection,
  room: string,
  parts: SharedStateParts,
  settings: SharedStateSettings = {},
): Promise<SharedState> {
  const log = settings.log ?? (() => {});
  const reach = new Reach(nc);
  const presence = new EventEmitter();
  parts.registry.share(refusing);
  parts.claims.share(refusing);
  let closed = false;
  let attached: Attached | null = null;
  const ready = (async () => {
    await reach.known;
    for (let wait = RETRY_FIRST_MS; !closed; wait = Math.min(wait * 2, RETRY_MAX_MS)) {
      try {
        attached = await attach(nc, reach, room, parts, settings, () => closed);
        attached.presence.on('change', () => presence.emit('change'));
        return;
      } catch (error) {
        log(`cannot share the state of ${room} through NATS yet (${(error as Error).message}); retrying in ${wait} ms`);
        // Sooner when the connection comes back.
        let stop = () => {};
        await new Promise<void>((resolve) => {
          setTimeout(resolve, wait).unref();
          stop = reach.onReconnect(resolve);
        });
        stop();
      }
    }
  })();
  const startWaitMs = settings.startWaitMs ?? DEFAULT_START_WAIT_MS;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ready, new Promise((resolve) => (timer = setTimeout(resolve, startWaitMs)))]);
  clearTimeout(timer);
  return {
    presence,
    ready,
    async close() {
      closed = true;
      parts.registry.share(null);
      parts.claims.share(null);
      await (attached as Attached | null)?.close();
    },
  };
}

interface Attached {
  readonly presence: SharedPresence;
  close(): Promise<void>;
}

/** One attempt: the buckets, the local state seeded into them, their watches, this broker's presence. Undone if it fails. */
async function attach(
  nc: NatsConnection,
  reach: Reach,
  room: string,
  parts: SharedStateParts,
  settings: SharedStateSettings,
  closed: () => boolean,
): Promise<Attached> {
  const log = settings.log ?? (() => {});
  const ttlMs = settings.presenceTtlMs ?? DEFAULT_PRESENCE_TTL_MS;
  const replicas = settings.replicas ?? 1;
  const kvm = new Kvm(nc);
  const undo: Array<() => unknown> = [];
  try {
    const stateKv = await reach.whileUp(() => kvm.create(stateBucket(room), { history: 1, replicas }));
    const presenceKv = await reach.whileUp(() =>
      kvm.create(presenceBucket(room), { history: 1, replicas, ttl: ttlMs }),
    );
    const users = new SharedRegistry(stateKv, reach, parts.registry, {
      room,
      endStreams: (reason, message, which) => parts.endStreams(reason, message, which),
      forget: (user) => parts.presence.forget(user),
    });
    const claims = new SharedClaimTable(stateKv, reach, parts.claims);
    await reach.whileUp(() => users.seed());
    const stateWatch = await BucketWatch.open(
      stateKv,
      stateBucket(room),
      reach,
      (entry) => {
        if (!users.receive(entry)) claims.receive(entry);
      },
      log,
    );
    undo.push(() => stateWatch.stop());
    await reach.whileUp(() => claims.seed());

    const brokerId = settings.brokerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const presence = new SharedPresence(
      presenceKv,
      reach,
      parts.presence,
      brokerId,
      { ttlMs, publishMs: settings.presencePublishMs ?? Math.min(DEFAULT_PUBLISH_MS, Math.ceil(ttlMs / 10)) },
      log,
    );
    undo.push(() => presence.close());
    const presenceWatch = await BucketWatch.open(
      presenceKv,
      presenceBucket(room),
      reach,
      (entry) => presence.receive(entry),
      log,
    );
    undo.push(() => presenceWatch.stop());
    if (closed()) throw new Error('closed while attaching');
    parts.registry.share(users);
    parts.claims.share(claims);
    await presence.publish();
    return {
      presence,
      async close() {
        stateWatch.stop();
        presenceWatch.stop();
        await presence.close();
      },
    };
  } catch (error) {
    for (const step of undo.reverse()) await step();
    throw error;
  }
}
