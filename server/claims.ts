// The claim table: who holds which path, glob or topic, as leases. Invariants:
// - no two users hold overlapping claims (shared/claims.ts says what overlaps);
//   a conflicting claim is refused, unless it is forced (`--force`, or by the
//   host), which takes the other claims over with a notice to their holder;
// - the table is written to its own file (atomically, durably) before the
//   claim or release is published, so a restart keeps exactly what was acknowledged;
// - a claim ends by `/release`, when its holder is kicked, or as a lease:
//   `graceMs` after the holder's last live session (or follower) ended, or,
//   for a holder without one, after `ttlMs` with no activity (a request to
//   the broker, or a poll or watch). Acting again (any request) turns a
//   holder who left back to the TTL rule. Every ending is announced once.
// `/claim` and `/release` are still broadcast as the `command` events they
// always were, so readers that know nothing of this table keep working.
//
// In a shared room (issue 16) the table lives in NATS (server/nats/claims-kv.ts,
// through `share`): every change is planned against the shared table and
// stored with compare-and-set (planned again after a lost race), so claims
// made on two machines conflict like claims made on one; changes made
// elsewhere arrive through `adopt`, and the file stays a mirror for
// `room edit-check`. Every broker sweeps the leases it knows of; an ending is
// announced only by the broker whose write removed the claims, so it is
// announced once however many brokers saw the lease run out.
import { type RoomError, roomError } from '../shared/errors.ts';
import type { Notice, RoomEvent } from '../shared/events.ts';
import { Claim, claimTargets, covers, normalisePath, overlaps, type ClaimTarget } from '../shared/claims.ts';
import { readFileSafe, writeFileAtomic } from '../shared/safe-fs.ts';
import { SchemaChecker } from '../shared/validate.ts';
import type { Draft, PostResult } from './room.ts';
import { ago } from '../shared/ago.ts';
import { andThen, type MaybePromise } from './maybe-async.ts';

export interface ClaimSettings {
  /** Where the table is kept; null keeps it in memory only (the OpenAPI generator). */
  readonly file: string | null;
  readonly graceMs: number;
  readonly ttlMs: number;
}

export const DEFAULT_GRACE_MS = 120_000;
export const DEFAULT_TTL_MS = 3_600_000;

/** The lease settings from `ROOM_CLAIM_GRACE_MS` and `ROOM_CLAIM_TTL_MS`. */
export function claimSettingsFrom(env: NodeJS.ProcessEnv, file: string | null): ClaimSettings {
  const ms = (name: string, fallback: number): number => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw roomError('usage.env_ms', { name, value });
    return n;
  };
  return { file, graceMs: ms('ROOM_CLAIM_GRACE_MS', DEFAULT_GRACE_MS), ttlMs: ms('ROOM_CLAIM_TTL_MS', DEFAULT_TTL_MS) };
}

/** What the claim table needs from the room around it. */
export interface ClaimHooks {
  /** Stamps, stores and broadcasts an event. */
  readonly publish: (draft: Draft) => RoomEvent;
  readonly system: (content: string) => RoomEvent;
  readonly notice: (content: string) => Notice;
  readonly host: () => string | null;
  /** Whether the user has a live session or follower now. */
  readonly isPresent: (user: string) => boolean;
  /** When the user last polled or watched (read the history without the broker), if ever. */
  readonly polledAt: (user: string) => Date | undefined;
  readonly now: () => Date;
  readonly log?: (message: string) => void;
  /** When the user was last active on another machine of a shared room, if known. */
  readonly activeElsewhere?: (user: string) => Date | undefined;
}

/** The next table planned from the current one; null: nothing to change. Throws to refuse. */
export type ClaimPlan = (current: readonly Claim[]) => Claim[] | null;

/** A shared room's claim table, kept in NATS (server/nats/claims-kv.ts). */
export interface SharedClaims {
  /** Plans from the shared table and stores the plan with compare-and-set (planning again after a lost race), then adopts it here. */
  update(plan: ClaimPlan): Promise<void>;
}

interface ClaimFile {
  version: 1;
  claims: Claim[];
}

const CLAIM_SHAPE = new SchemaChecker([Claim]);
const FORCE = '--force';
const MAX_SWEEP_MS = 5000;

export class Claims {
  #claims: Claim[] = [];
  readonly #settings: ClaimSettings;
  readonly #hooks: ClaimHooks;
  readonly #startedAt: Date;
  /** The last request each user made to the broker. */
  readonly #active = new Map<string, Date>();
  /** When a holder's last live session ended (cleared when they act again). */
  readonly #goneSince = new Map<string, Date>();
  /** Holders seen present by the last sweep: a sweep that finds one gone notes when. */
  readonly #seenPresent = new Set<string>();
  readonly #sweep: NodeJS.Timeout;
  #shared: SharedClaims | null = null;
  /** Users whose claims a shared write is ending now: a sweep meanwhile does not end them twice. */
  readonly #ending = new Set<string>();

  constructor(settings: ClaimSettings, hooks: ClaimHooks) {
    this.#settings = settings;
    this.#hooks = hooks;
    this.#startedAt = hooks.now();
    this.#claims = this.#load();
    const every = Math.max(20, Math.min(MAX_SWEEP_MS, Math.floor(Math.min(settings.graceMs, settings.ttlMs) / 4)));
    this.#sweep = setInterval(() => this.sweep(), every);
    this.#sweep.unref();
  }

  /** Keeps the table in a shared room's NATS from now on (null: local only again). */
  share(shared: SharedClaims | null): void {
    this.#shared = shared;
  }

  /** Takes the table as changed in the shared state (validated: another machine wrote it); the file mirrors it. */
  adopt(claims: readonly unknown[]): void {
    this.#commit(claims.filter((c): c is Claim => CLAIM_SHAPE.check(Claim, c)));
  }

  /** The open claims, oldest first. */
  list(): Claim[] {
    return this.#claims.map((c) => ({ ...c }));
  }

  /** Notes a request by `user`: activity renews their leases. */
  touch(user: string): void {
    this.#active.set(user, this.#hooks.now());
    this.#goneSince.delete(user);
  }

  /** The user's last live session or follower ended: their claims end after the grace period. */
  left(user: string): void {
    if (!this.#claims.some((c) => c.user === user)) return;
    this.#goneSince.set(user, this.#hooks.now());
    setTimeout(() => this.sweep(), this.#settings.graceMs + 5).unref();
  }

  /** `/claim <what…> [--force]`. */
  claim(user: string, params: readonly string[]): MaybePromise<PostResult> {
    const force = params.includes(FORCE);
    const words = params.filter((p) => p !== FORCE);
    const targets = claimTargets(words);
    if (targets.length === 0) throw roomError('invalid_command', { usage: '/claim <path|glob|topic…> [--force]' });
    const host = this.#hooks.host();
    const text = words.join(' ');
    let taken: Claim[] = [];
    const plan = (current: readonly Claim[]): Claim[] => {
      const others = (t: ClaimTarget) => current.filter((c) => c.user !== user && overlaps(c, t));
      taken = [...new Set(targets.flatMap(others))];
      if (taken.length > 0 && !force && user !== host) throw conflict(taken[0]!, targets, this.#hooks.now());
      const now = this.#hooks.now().toISOString();
      const kept = current.filter((c) => !taken.includes(c) && !(c.user === user && targets.some((t) => covers(t, c))));
      return [...kept, ...targets.map((t) => ({ ...t, user, since: now, text }))];
    };
    return andThen(this.#change(plan), () => {
      this.#active.set(user, this.#hooks.now());
      const event = this.#hooks.publish({ type: 'command', user, cmd: 'claim', params: words });
      for (const [holder, lost] of groupByUser(taken)) {
        this.#hooks.system(
          `${user} took over ${lost.map((c) => c.what).join(', ')} from @${holder}` +
            `${force ? ' (--force)' : ' (host)'}; ${holder}'s claim since ${clock(lost[0]!.since)}: "${lost[0]!.text}"`,
        );
      }
      return { stored: true, event };
    });
  }

  /** `/release <what…>`, or `/release` for all of the caller's claims. */
  release(user: string, params: readonly string[]): MaybePromise<PostResult> {
    // A word names a path here even without a `/` or `.` (`/release src`), as long as you hold it.
    const words = params.flatMap((p) => p.split(/\s+/)).filter((w) => w !== '');
    const targets = [...claimTargets(words), ...words.map((w) => ({ what: normalisePath(w), kind: 'path' as const }))];
    const plan = (current: readonly Claim[]): Claim[] => {
      const mine = current.filter((c) => c.user === user);
      const ending = words.length === 0 ? mine : mine.filter((c) => targets.some((t) => covers(t, c)));
      if (ending.length === 0) {
        const what = params.join(' ').trim();
        if (mine.length > 0) throw roomError('claim_not_found', { what, yours: mine.map((c) => c.what).join(', ') });
        throw what === '' ? roomError('claim_not_found.none') : roomError('claim_not_found.holding_none', { what });
      }
      return current.filter((c) => !ending.includes(c));
    };
    return andThen(this.#change(plan), () => ({
      stored: true,
      event: this.#hooks.publish({ type: 'command', user, cmd: 'release', params: [...params] }),
    }));
  }

  /** `/claims`: the open claims, as a private answer. */
  answer(): PostResult {
    const now = this.#hooks.now();
    const lines = this.#claims.map(
      (c) => `${c.what} — ${c.user} since ${clock(c.since)} (${ago(new Date(c.since), now)}): "${c.text}"`,
    );
    const content = lines.length === 0 ? 'no open claims' : `open claims:\n${lines.join('\n')}`;
    return { stored: false, notice: this.#hooks.notice(content) };
  }

  /** One line for /who: what each holder holds; null when nobody holds anything. */
  whoLine(): string | null {
    const groups = groupByUser(this.#claims);
    if (groups.size === 0) return null;
    return `claims — ${[...groups].map(([user, cs]) => `${user}: ${cs.map((c) => c.what).join(', ')}`).join('; ')}`;
  }

  /**
   * Ends every claim of `user` (kicked, lease over), announcing it once. In a
   * shared room a failed write is logged, not thrown: the claims then end by
   * their lease.
   */
  endAllOf(user: string, why: string): MaybePromise<void> {
    this.#goneSince.delete(user);
    this.#seenPresent.delete(user);
    let ending: Claim[] = [];
    const plan = (current: readonly Claim[]): Claim[] | null => {
      ending = current.filter((c) => c.user === user);
      return ending.length === 0 ? null : current.filter((c) => c.user !== user);
    };
    const announce = () => {
      if (ending.length > 0)
        this.#hooks.system(`${user}'s claims ended (${why}): ${ending.map((c) => c.what).join(', ')}`);
    };
    if (this.#shared === null) return andThen(this.#change(plan), announce);
    if (this.#ending.has(user)) return;
    this.#ending.add(user);
    return this.#shared
      .update(plan)
      .then(announce, (error: Error) => this.#hooks.log?.(`could not end the claims of ${user}: ${error.message}`))
      .finally(() => this.#ending.delete(user));
  }

  /** Ends the leases that ran out. Runs on a timer; public so a test clock can drive it. */
  sweep(): void {
    const now = this.#hooks.now();
    for (const user of new Set(this.#claims.map((c) => c.user))) {
      if (this.#hooks.isPresent(user)) {
        this.#seenPresent.add(user);
        this.#goneSince.delete(user);
        continue;
      }
      if (this.#seenPresent.delete(user) && !this.#goneSince.has(user)) this.#goneSince.set(user, now);
      const gone = this.#goneSince.get(user);
      if (gone !== undefined) {
        if (now.getTime() - gone.getTime() >= this.#settings.graceMs)
          this.endAllOf(user, `${user} left ${ago(gone, now)} and did not come back`);
        continue;
      }
      const last = latest(
        this.#active.get(user),
        this.#hooks.polledAt(user),
        this.#hooks.activeElsewhere?.(user),
        this.#startedAt,
      );
      if (now.getTime() - last.getTime() >= this.#settings.ttlMs)
        this.endAllOf(user, `no activity from ${user} since ${clock(last.toISOString())}`);
    }
  }

  stop(): void {
    clearInterval(this.#sweep);
  }

  #load(): Claim[] {
    if (this.#settings.file === null) return [];
    const data = readFileSafe(this.#settings.file);
    if (data === null) return [];
    try {
      const parsed = JSON.parse(data.toString('utf8')) as ClaimFile;
      if (parsed.version !== 1 || !Array.isArray(parsed.claims)) throw new Error('not a version 1 claims file');
      // An entry that is not a claim (the file edited by hand) would break every sweep and /claims: drop it.
      const claims = parsed.claims.filter((c: unknown) => CLAIM_SHAPE.check(Claim, c));
      const dropped = parsed.claims.length - claims.length;
      if (dropped > 0)
        this.#hooks.log?.(`ignoring ${dropped} malformed entries of the claims file ${this.#settings.file}`);
      return claims;
    } catch (error) {
      // The file is rewritten at the next change; an unreadable one must not keep the room from starting.
      this.#hooks.log?.(`ignoring the claims file ${this.#settings.file}: ${(error as Error).message}`);
      return [];
    }
  }

  /** Plans the next table and keeps it: here at once, or in the shared state first. */
  #change(plan: ClaimPlan): MaybePromise<void> {
    if (this.#shared !== null) return this.#shared.update(plan);
    const next = plan(this.#claims);
    if (next !== null) this.#commit(next);
  }

  /** Saves the next table, then adopts it: a failed write changes nothing. */
  #commit(next: Claim[]): void {
    if (this.#settings.file !== null) {
      const file: ClaimFile = { version: 1, claims: next };
      writeFileAtomic(this.#settings.file, `${JSON.stringify(file, null, 2)}\n`, { durable: true });
    }
    this.#claims = next;
  }
}

function conflict(held: Claim, targets: readonly ClaimTarget[], now: Date): RoomError {
  const asked = targets.map((t) => t.what).join(' ');
  const since = clock(held.since);
  return roomError('claim_conflict', {
    what: held.what,
    holder: held.user,
    since,
    ago: ago(new Date(held.since), now),
    text: held.text,
    asked,
  });
}

function groupByUser(claims: readonly Claim[]): Map<string, Claim[]> {
  const groups = new Map<string, Claim[]>();
  for (const c of claims) groups.set(c.user, [...(groups.get(c.user) ?? []), c]);
  return groups;
}

function latest(...dates: Array<Date | undefined>): Date {
  return new Date(Math.max(...dates.map((d) => d?.getTime() ?? 0)));
}

/** `22:01:03 UTC` from an ISO time. */
function clock(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}
