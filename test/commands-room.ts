// Shared setup of the commands-*.test.ts files: a room whose users joined
// with the real CLI (the first one is the host), and short ways to send
// through the CLI or HTTP, open raw SSE streams and read the room's files.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { RoomDir, SseReader, http, ndjson, waitUntil, type HttpResult, type RunResult } from './helpers.ts';

export type Event = {
  type: string;
  id: string;
  seq?: number;
  user: string;
  content?: string;
  to?: string;
  cmd?: string;
  params?: string[];
  reply_to?: string;
};
export type Users = {
  you: string;
  host: string | null;
  online: Array<{ user: string; status: string; sessions: number }>;
  recent: Array<{ user: string; status: string; last_active: string }>;
};

export const ROOM = 'r';

export class TestRoom {
  readonly dir: RoomDir;
  readonly tokens: Record<string, string> = {};
  readonly #t: TestContext;

  private constructor(t: TestContext, dir: RoomDir) {
    this.#t = t;
    this.dir = dir;
  }

  /** Joins `names` in order with `room join` (the first becomes the host). */
  static async create(t: TestContext, ...names: string[]): Promise<TestRoom> {
    const room = new TestRoom(t, RoomDir.create(t));
    for (const name of names) await room.join(name);
    return room;
  }

  get socket(): string {
    return this.dir.socket(ROOM);
  }

  async join(name: string): Promise<string> {
    this.tokens[name] = await this.dir.join(ROOM, name);
    return this.tokens[name];
  }

  token(name: string): string {
    const token = this.tokens[name];
    assert.ok(token !== undefined, `${name} has no token`);
    return token;
  }

  /** `room send -t <token of user> r <words...>`. */
  send(user: string, ...words: string[]): Promise<RunResult> {
    return this.dir.run(['send', '-t', this.token(user), ROOM, ...words]);
  }

  /** `room send` that must succeed; returns the printed record. */
  async sent(user: string, ...words: string[]): Promise<Event> {
    const result = await this.send(user, ...words);
    assert.equal(result.code, 0, `${words.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr, '');
    return JSON.parse(result.stdout) as Event;
  }

  /** POST /messages as `user`. */
  post(user: string, body: object | string): Promise<HttpResult> {
    return http(this.socket, 'POST', '/messages', { token: this.token(user), body });
  }

  async users(user: string): Promise<Users> {
    const response = await http(this.socket, 'GET', '/users', { token: this.token(user) });
    assert.equal(response.status, 200, response.body);
    return response.json<Users>();
  }

  /** A raw SSE stream for `user`, waited on until its own new join arrived (the replay is done, it is live). */
  async stream(user: string, path = '/events?n=0', headers: Record<string, string> = {}): Promise<SseReader> {
    const after = this.history().at(-1)?.seq ?? 0;
    const reader = new SseReader(this.socket, path, this.token(user), headers);
    this.#t.after(() => reader.close());
    await reader.waitFor((r) => r.events<Event>().some((e) => e.type === 'join' && e.user === user && e.seq! > after));
    return reader;
  }

  /** The history file's text ('' before it exists). */
  historyText(): string {
    const path = this.dir.file(`${ROOM}.chat`);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  history(): Event[] {
    return ndjson<Event>(this.historyText());
  }

  stateText(): string {
    return readFileSync(this.dir.file(`room-${ROOM}.state`), 'utf8');
  }

  state(): { host: string | null; users: Record<string, { token: string | null; kicked: boolean }> } {
    return JSON.parse(this.stateText());
  }

  /** Waits until `user`'s online entry matches (or, with null, until they are offline). */
  async waitOnline(
    asker: string,
    user: string,
    check: ((u: Users['online'][number]) => boolean) | null,
    what: string,
  ): Promise<Users> {
    let users: Users | undefined;
    await waitUntil(
      async () => {
        users = await this.users(asker);
        const entry = users.online.find((u) => u.user === user);
        return check === null ? entry === undefined : entry !== undefined && check(entry);
      },
      5000,
      what,
    );
    return users!;
  }
}

/** Sends a public marker from `user` and waits until every reader got it: what they lack by then, they never get. */
export async function fence(
  room: TestRoom,
  user: string,
  readers: readonly SseReader[],
  text = `fence ${Math.random()}`,
): Promise<void> {
  await room.sent(user, text);
  for (const reader of readers) await reader.waitFor((r) => r.events<Event>().some((e) => e.content === text));
}
