// One post to the room that outlives a broker restart, for the long-lived
// clients (agent mode, room mcp). A post that fails because the broker is
// gone is tried again, with the same Idempotency-Key, once the live session
// has reconnected (the session starts the broker again when none runs): a
// broker that stored the event and died before answering answers the retry
// with the stored record instead of storing it twice (for a command, only if
// the broker did not restart: see server/idempotency.ts). Posts are made only
// while the stream is live, so the user's own join comes before anything they
// send. Any other refusal is thrown as it came.
import type { Inbound } from '../../shared/api.ts';
import { isUnreachable, type BrokerClient, type PostAnswer } from './broker-client.ts';
import type { LiveSession } from './session.ts';

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The answer, or undefined when the session ended before the post could be made. */
export async function postThroughRestarts(
  session: LiveSession,
  client: BrokerClient,
  token: string,
  inbound: Inbound,
  key: string,
): Promise<PostAnswer | undefined> {
  let retry = FIRST_RETRY_MS;
  for (;;) {
    await session.whenLive();
    if (session.ended) return undefined;
    try {
      return await client.post(token, inbound, key);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      // The stream may not have noticed yet: back off, then wait for it to be live again.
      await sleep(retry);
      retry = Math.min(retry * 2, MAX_RETRY_MS);
    }
  }
}
