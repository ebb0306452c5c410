// One-time secrets for the page's address. `room web` prints
// http://127.0.0.1:<port>/#<secret>: the fragment never leaves the browser in
// a request line, a Referer or a log. The page posts it once to /session and
// gets the user's token back; a secret works once and only for a while, so
// an address found later in a shell history or a screenshot opens nothing.
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a printed address can be opened. */
export const SECRET_LIFETIME_MS = 10 * 60_000;

/** Who a redeemed secret makes the page speak as. */
export interface Grant {
  readonly token: string;
  readonly user: string;
}

interface Pending {
  readonly secret: Buffer;
  readonly grant: Grant;
  readonly expires: number;
}

export class OneTimeSecrets {
  readonly #pending: Pending[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A new secret (URL-safe, 256 bits) that exchanges once for `grant`. */
  issue(grant: Grant): string {
    const secret = randomBytes(32).toString('base64url');
    this.#pending.push({ secret: Buffer.from(secret), grant, expires: this.#now() + SECRET_LIFETIME_MS });
    return secret;
  }

  /** What `secret` grants; it is used up. Undefined for an unknown, used or expired one. */
  redeem(secret: string): Grant | undefined {
    const given = Buffer.from(secret);
    const now = this.#now();
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const entry = this.#pending[i]!;
      if (entry.expires <= now) {
        this.#pending.splice(i, 1);
        continue;
      }
      if (entry.secret.length === given.length && timingSafeEqual(entry.secret, given)) {
        this.#pending.splice(i, 1);
        return entry.grant;
      }
    }
    return undefined;
  }

  /** Whether any secret can still be redeemed (the gateway waits for a first page only that long). */
  get waiting(): boolean {
    const now = this.#now();
    return this.#pending.some((entry) => entry.expires > now);
  }
}
