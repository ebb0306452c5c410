// A shared room's claim table in its state bucket (server/nats/kv-names.ts):
// one key, `claims`, holding the whole table as JSON ({version: 1, claims}),
// because whether a claim conflicts depends on every other claim. A change
// is planned against the last table seen (kept current by the bucket's
// watch), stored with compare-and-set on that revision, and, when another
// machine wrote in between, planned again against the table it wrote. Each
// broker adopts every newer table into its Claims (and the claims file, the
// mirror `room edit-check` reads).
import type { KV, KvEntry } from '@nats-io/kv';
import type { Claim } from '../../shared/claims.ts';
import type { ClaimPlan, Claims, SharedClaims } from '../claims.ts';
import { CLAIMS_KEY } from './kv-names.ts';
import type { Reach } from './reach.ts';
import { lostRace } from './registry-kv.ts';

const MAX_ATTEMPTS = 32;

function tableOf(entry: KvEntry | null): unknown[] {
  if (entry === null || entry.operation !== 'PUT') return [];
  const value = entry.json<{ version?: unknown; claims?: unknown }>();
  if (value?.version !== 1 || !Array.isArray(value.claims)) throw new Error('not a version 1 claim table');
  return value.claims;
}

const encode = (claims: readonly Claim[]): string => JSON.stringify({ version: 1, claims });

export class SharedClaimTable implements SharedClaims {
  readonly #kv: KV;
  readonly #reach: Reach;
  readonly #claims: Claims;
  /** The revision of the table adopted last (0: the bucket has none yet). */
  #revision = 0;

  constructor(kv: KV, reach: Reach, claims: Claims) {
    this.#kv = kv;
    this.#reach = reach;
    this.#claims = claims;
  }

  /** An entry of the state bucket; false when it is not the claim table. */
  receive(entry: KvEntry): boolean {
    if (entry.key !== CLAIMS_KEY) return false;
    this.#adopt(tableOf(entry), entry.revision);
    return true;
  }

  /** Puts this broker's table in the bucket when the bucket has none (the room was local until now). */
  async seed(): Promise<void> {
    if (this.#revision > 0) return;
    const table = this.#claims.list();
    try {
      this.#adopt(table, await this.#kv.create(CLAIMS_KEY, encode(table)));
    } catch (error) {
      if (!lostRace(error)) throw error;
      const entry = await this.#kv.get(CLAIMS_KEY);
      if (entry !== null) this.#adopt(tableOf(entry), entry.revision);
    }
  }

  update(plan: ClaimPlan): Promise<void> {
    return this.#reach.write('change the claims', async () => {
      for (let attempt = 1; ; attempt++) {
        // The adopted table is the one at #revision: what the plan sees is what the write replaces.
        const next = plan(this.#claims.list());
        if (next === null) return;
        try {
          const revision =
            this.#revision === 0
              ? await this.#kv.create(CLAIMS_KEY, encode(next))
              : await this.#kv.update(CLAIMS_KEY, encode(next), this.#revision);
          this.#adopt(next, revision);
          return;
        } catch (error) {
          if (!lostRace(error) || attempt === MAX_ATTEMPTS) throw error;
          const entry = await this.#kv.get(CLAIMS_KEY);
          if (entry !== null) this.#adopt(tableOf(entry), entry.revision);
        }
      }
    });
  }

  #adopt(table: readonly unknown[], revision: number): void {
    if (revision <= this.#revision) return;
    this.#revision = revision;
    this.#claims.adopt(table);
  }
}
