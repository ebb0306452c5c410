// Agent mode, `room <room-id> <username> --agent`: a live session with JSON
// lines instead of a UI. Events go to stdout (the last -n of the history,
// the user's own join, then everything live); every stdin line is sent.
// The session lasts until the broker ends it (/exit, kick, revoked tokens)
// or stdin ends; at end of input, the lines still queued are sent first and
// their echoes printed, then the stream is closed (the broker broadcasts the
// leave) and the process exits 0. If the broker is lost and does not come
// back within the give-up time, it exits 3 (broker unreachable).
import { EXIT, RoomError } from '../../shared/errors.ts';
import { parseInput } from '../../shared/input.ts';
import { roomPaths } from '../../shared/paths.ts';
import { ensureBroker } from '../broker-start.ts';
import type { Cli } from '../cli.ts';
import type { SessionOptions } from '../commands/session.ts';
import { BrokerClient } from '../live/broker-client.ts';
import { resolveIdentity } from '../live/identity.ts';
import { giveUpMsFrom } from '../live/give-up.ts';
import { LiveSession, type ConnectionState, type SessionEnd } from '../live/session.ts';
import { readLines } from './input.ts';
import { Outbox } from './outbox.ts';
import { AgentOutput } from './output.ts';

/** Stop reading stdin while this many lines wait to be sent; read again below the low mark. */
const QUEUE_HIGH = 256;
const QUEUE_LOW = 64;
/** At end of input, how long to wait for the last events (echoes of the last lines) before leaving. */
const ECHO_WAIT_MS = 3000;
/** At the end, how long a post still in flight may take to be answered. */
const SETTLE_MS = 2000;

/** A bound on a wait that must not itself keep the process alive. */
const deadline = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export async function runAgent(options: SessionOptions, cli: Cli): Promise<number> {
  const giveUpMs = giveUpMsFrom(cli.env);
  const paths = roomPaths(cli.dir, options.roomId);
  await ensureBroker(paths, { chat: options.chat, nats: options.nats });
  const output = new AgentOutput(cli);
  const client = new BrokerClient(paths.socket);
  try {
    const { token } = await resolveIdentity(client, paths, options.username, options.token);
    const session = new LiveSession({
      client,
      paths,
      token,
      history: options.history,
      giveUpMs,
      onEvent: (_event, line) => output.event(line),
      onState: connectionReporter(output, paths.room, giveUpMs),
      onWarning: (message) => output.diagnostic(message),
      backpressure: () => output.whenWritable(),
    });
    return await converse(cli, output, session, client, token);
  } finally {
    await client.close();
  }
}

/** Says on stderr when the connection is lost and when it is back. */
function connectionReporter(output: AgentOutput, room: string, giveUpMs: number): (state: ConnectionState) => void {
  let lost = false;
  return (state) => {
    if (state === 'reconnecting')
      output.diagnostic(
        `lost the connection to the broker of room ${room}: reconnecting (giving up after ${giveUpMs / 1000} s)`,
      );
    else if (state === 'live' && lost) output.diagnostic(`reconnected to room ${room}`);
    lost = state === 'reconnecting';
  };
}

/** Streams events out and stdin lines in until the session ends; returns the exit code. */
async function converse(
  cli: Cli,
  output: AgentOutput,
  session: LiveSession,
  client: BrokerClient,
  token: string,
): Promise<number> {
  const input = readLines(
    cli.stdin,
    (line, number) => {
      if (line.trim() === '') return;
      try {
        outbox.push(parseInput(line, { json: true }), number);
      } catch (error) {
        if (!(error instanceof RoomError)) throw error;
        outbox.refuse(`${error.message} (${error.code})`, number);
        return;
      }
      if (outbox.queued >= QUEUE_HIGH) input.pause();
    },
    (message) => output.diagnostic(message),
  );
  const outbox = new Outbox({
    client,
    token,
    session,
    onNotice: (notice) => output.notice(notice),
    onError: (message) => output.diagnostic(message),
    onProgress: (pending) => pending < QUEUE_LOW && input.resume(),
  });
  try {
    const running = session.run();
    const first = await Promise.race([running, input.ended.then(() => null)]);
    const end = first ?? (await finish(session, outbox, client, token, running));
    // A post in flight when the broker ended the session (the host's own
    // /exit) may still be answered: let it settle before counting what is left.
    await Promise.race([outbox.idle(), deadline(SETTLE_MS)]);
    outbox.reportRefusals();
    return report(output, end, outbox.pending);
  } finally {
    input.close();
  }
}

/** Stdin ended: send what is queued, print everything up to now, then leave. */
async function finish(
  session: LiveSession,
  outbox: Outbox,
  client: BrokerClient,
  token: string,
  running: Promise<SessionEnd>,
): Promise<SessionEnd> {
  await Promise.race([outbox.idle(), running]);
  await Promise.race([caughtUp(session, outbox, client, token), running, deadline(ECHO_WAIT_MS)]);
  session.stop();
  return running;
}

/**
 * Resolves once every event the room held at this moment has been printed:
 * the history, the user's own join and the echoes of their lines, even when
 * stdin ended before the stream was up.
 */
async function caughtUp(session: LiveSession, outbox: Outbox, client: BrokerClient, token: string): Promise<void> {
  await session.whenLive();
  if (session.ended) return;
  let last = outbox.lastStoredSeq;
  try {
    last = Math.max(last, (await client.recent(token, 1)).at(-1)?.seq ?? 0);
  } catch {
    // The broker went away: the stream's end decides what happens next.
  }
  await session.whenDelivered(last);
}

function report(output: AgentOutput, end: SessionEnd, unsent: number): number {
  if (unsent > 0)
    output.diagnostic(`${unsent} input line${unsent === 1 ? ' was' : 's were'} not sent: the session ended first`);
  switch (end.reason) {
    case 'stopped':
      return EXIT.ok;
    case 'lost':
      output.diagnostic(end.message);
      return EXIT.unreachable;
    default:
      output.diagnostic(`session ended (${end.reason}): ${end.message}`);
      return EXIT.ok;
  }
}
