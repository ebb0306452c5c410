// The page's calls to the room, through the gateway: `fetch` with the
// user's token as a Bearer header (no cookies exist, so no other site can
// act as the user). Paths under /api/ are the broker's own API.
import type { Inbound, Users } from '../../../shared/api.ts';
import type { Claim } from '../../../shared/claim-schema.ts';
import type { Notice, RoomEvent } from '../../../shared/events.ts';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface SessionInfo {
  readonly token: string;
  readonly user: string;
  readonly room: string;
}

export type PostAnswer =
  | { readonly stored: true; readonly event: RoomEvent }
  | { readonly stored: false; readonly notice: Notice };

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (response.ok) return value as T;
  const error = (value ?? {}) as { code?: unknown; message?: unknown };
  throw new ApiError(
    response.status,
    typeof error.code === 'string' ? error.code : 'internal',
    typeof error.message === 'string' ? error.message : `the gateway answered ${response.status}`,
  );
}

/** Exchanges the address's one-time secret for the user's token (POST /session). */
export async function redeemSecret(secret: string): Promise<SessionInfo> {
  const response = await fetch('/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret }),
  });
  return answer<SessionInfo>(response);
}

/** How many older events one scroll to the top loads. */
export const OLDER_PAGE = 100;

export class Api {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  get authorization(): string {
    return `Bearer ${this.#token}`;
  }

  async #call(method: 'GET' | 'POST', path: string, json?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: this.authorization };
    if (json !== undefined) headers['content-type'] = 'application/json';
    return fetch(`/api${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  }

  async users(): Promise<Users> {
    return answer<Users>(await this.#call('GET', '/users'));
  }

  async post(inbound: Inbound): Promise<PostAnswer> {
    const response = await this.#call('POST', '/messages', inbound);
    const value = await answer<RoomEvent | Notice>(response);
    return response.status === 201
      ? { stored: true, event: value as RoomEvent }
      : { stored: false, notice: value as Notice };
  }

  /** Up to OLDER_PAGE visible events before `seq`, oldest first; fewer (or none) at the start of the history. */
  async olderThan(seq: number): Promise<RoomEvent[]> {
    return answer<RoomEvent[]>(await this.#call('GET', `/messages?before=${seq}&limit=${OLDER_PAGE}`));
  }

  /** The open claims (GET /claims). */
  async claims(): Promise<Claim[]> {
    return (await answer<{ claims: Claim[] }>(await this.#call('GET', '/claims'))).claims;
  }
}
