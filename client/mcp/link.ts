// The MCP server's connection to its room: it starts the broker if needed,
// takes its identity (joining the name, or reusing that name's token record,
// so a client that reconnects under the same name keeps it), and holds a live
// session while the client is connected: the server counts as present, and
// each event it hears wakes the inbox (which reads the history file from the
// user's shared cursor) and reaches the resource's subscribers.
import { randomUUID } from 'node:crypto';
import type { Inbound } from '../../shared/api.ts';
import type { Claim } from '../../shared/claims.ts';
import { RoomError, roomError } from '../../shared/errors.ts';
import type { RoomEvent } from '../../shared/events.ts';
import type { RoomPaths } from '../../shared/paths.ts';
import { ensureBroker } from '../broker-start.ts';
import { BrokerClient, type PostAnswer } from '../live/broker-client.ts';
import { resolveIdentity } from '../live/identity.ts';
import { postThroughRestarts } from '../live/post-through-restarts.ts';
import { LiveSession, type SessionEnd } from '../live/session.ts';
import { openReader } from '../reader.ts';
import { Inbox } from './inbox.ts';

/** Events of news a user with no cursor yet gets on the first read: some context, not the whole history. */
const FIRST_HISTORY = 10;
/** Events kept for the room resource. */
const RECENT = 50;

export interface LinkOptions {
  readonly paths: RoomPaths;
  readonly username: string;
  /** The name was made up (not --name): if someone is online under it, try `<name>-2`, `<name>-3`, … */
  readonly derived: boolean;
  readonly giveUpMs: number;
  /** Called for each event that is news for the client (not its own, not a join or leave). */
  readonly onNews: () => void;
  readonly onEnd: (end: SessionEnd) => void;
}

/** Distinct names tried for a made-up name before giving up. */
const MAX_SUFFIX = 20;

/** Joins (or takes back, from its token record) the name; a made-up name someone is online under is skipped. */
async function identity(client: BrokerClient, options: LinkOptions): Promise<{ user: string; token: string }> {
  for (let n = 1; ; n++) {
    const user = n === 1 ? options.username : `${options.username}-${n}`;
    let token: string;
    try {
      ({ token } = await resolveIdentity(client, options.paths, user, undefined));
    } catch (error) {
      // A made-up name taken by someone whose token we do not have: try the next.
      if (!options.derived || !(error instanceof RoomError) || error.code !== 'name_taken' || n === MAX_SUFFIX)
        throw error;
      continue;
    }
    if (!options.derived) return { user, token };
    const { online } = await client.users(token);
    if (!online.some((u) => u.user === user)) return { user, token };
    if (n === MAX_SUFFIX)
      throw roomError('name_taken.variants_online', { name: options.username, count: MAX_SUFFIX - 1 });
  }
}

export class RoomLink {
  readonly user: string;
  readonly inbox: Inbox;
  readonly #client: BrokerClient;
  readonly #token: string;
  readonly #room: string;
  readonly #session: LiveSession;
  readonly #running: Promise<SessionEnd>;
  readonly #recent: RoomEvent[] = [];

  private constructor(options: LinkOptions, client: BrokerClient, user: string, token: string) {
    this.user = user;
    this.inbox = new Inbox(openReader(options.paths.dir, options.paths.room, token));
    this.#client = client;
    this.#token = token;
    this.#room = options.paths.room;
    this.#session = new LiveSession({
      client,
      paths: options.paths,
      token,
      history: RECENT,
      giveUpMs: options.giveUpMs,
      onEvent: (event) => {
        this.#recent.push(event);
        if (this.#recent.length > RECENT) this.#recent.shift();
        this.inbox.poke();
        if (event.type !== 'join' && event.type !== 'leave' && event.user !== user) options.onNews();
      },
    });
    this.#running = this.#session.run().then((end) => {
      options.onEnd(end);
      return end;
    });
  }

  static async open(options: LinkOptions): Promise<RoomLink> {
    await ensureBroker(options.paths);
    const client = new BrokerClient(options.paths.socket);
    try {
      const { user, token } = await identity(client, options);
      const link = new RoomLink(options, client, user, token);
      link.inbox.startNear(FIRST_HISTORY);
      await link.#session.whenLive();
      if (link.#session.ended) throw roomError('broker_unreachable.session_ended');
      return link;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  get ended(): boolean {
    return this.#session.ended;
  }

  /** The last events of the room, oldest first (for the room resource). */
  recent(): readonly RoomEvent[] {
    return this.#recent;
  }

  /**
   * Sends, through a broker restart (client/live/post-through-restarts.ts):
   * a send made while the broker is down waits for the session to bring it
   * back, and one the broker stored before dying is not stored twice.
   */
  async post(inbound: Inbound): Promise<PostAnswer> {
    const answer = await postThroughRestarts(this.#session, this.#client, this.#token, inbound, randomUUID());
    if (answer === undefined) throw roomError('broker_unreachable.session_over', { room: this.#room });
    return answer;
  }

  claims(): Promise<Claim[]> {
    return this.#client.claims(this.#token);
  }

  /** Ends the live session (the broker then broadcasts the leave) and the connection. */
  async close(): Promise<void> {
    this.#session.stop();
    this.inbox.close();
    await this.#running;
    await this.#client.close();
  }
}
