// Why the session ended, as the user should read it. A kick reaches a
// connected UI as the stream's `kicked` close. A UI that was reconnecting
// when the host kicked it (the broker restarted, the kick came before the UI
// was back) only sees its token refused on the next connection, which reads
// "invalid or revoked token… run room join again": wrong, since the name is
// blocked and `room join` fails. The room's state file, written by the
// broker before it refuses the token, says whether the name was kicked; only
// the host kicks, so it also says by whom. Read without the broker.
import { readRoomState } from '../../shared/room-state.ts';
import type { RoomPaths } from '../../shared/paths.ts';
import type { SessionEnd } from '../live/session.ts';

export function explainEnd(end: SessionEnd, paths: RoomPaths, me: string): SessionEnd {
  if (end.reason !== 'revoked') return end;
  let state: ReturnType<typeof readRoomState>;
  try {
    state = readRoomState(paths);
  } catch {
    return end; // an unreadable state file: the broker's own words stand
  }
  if (state?.users[me]?.kicked !== true) return end;
  const by = state.host === null ? '' : ` by ${state.host}`;
  return { reason: 'kicked', message: `you were kicked from ${paths.room}${by}` };
}
