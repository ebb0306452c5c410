// Who a live session (TUI, agent mode) speaks as. In order:
// 1. the token given with -t or ROOM_TOKEN (it must belong to <username>);
// 2. joining the name (which writes its token record);
// 3. if the name is taken, the token in that user's token record, if it is
//    still valid; so re-running `room myroom alice` after quitting just works.
// Names are unique regardless of case: `room myroom Alice` is alice, and the
// session takes the spelling she joined with (and her record, named with it).
import { RoomError, roomError } from '../../shared/errors.ts';
import { nameKey } from '../../shared/names.ts';
import type { RoomPaths } from '../../shared/paths.ts';
import { joinedName, readRoomState } from '../../shared/room-state.ts';
import { readTokenRecord, writeTokenRecord } from '../token-record.ts';
import type { BrokerClient } from './broker-client.ts';

export interface Identity {
  readonly user: string;
  readonly token: string;
  readonly host: string | null;
  /** Where the token was written, when this session joined the name. */
  readonly recordWritten?: string;
}

/** The user behind a token, with the room's host; null when the broker refuses the token. */
async function check(client: BrokerClient, token: string): Promise<{ you: string; host: string | null } | null> {
  try {
    return await client.users(token);
  } catch (error) {
    if (error instanceof RoomError && (error.code === 'invalid_token' || error.code === 'missing_token')) return null;
    throw error;
  }
}

export async function resolveIdentity(
  client: BrokerClient,
  paths: RoomPaths,
  username: string,
  token: string | undefined,
): Promise<Identity> {
  if (token !== undefined) {
    const who = await check(client, token);
    if (who === null) throw roomError('invalid_token.given_not_valid', { room: paths.room });
    if (nameKey(who.you) !== nameKey(username))
      throw roomError('invalid_token.other_user', { owner: who.you, name: username });
    return { user: who.you, token, host: who.host };
  }
  try {
    const joined = await client.join(username);
    const recordWritten = writeTokenRecord(paths, joined);
    const who = await check(client, joined.token);
    return { user: username, token: joined.token, host: who?.host ?? null, recordWritten };
  } catch (error) {
    if (!(error instanceof RoomError) || error.code !== 'name_taken') throw error;
    const state = readRoomState(paths);
    const spelled = (state === null ? null : joinedName(state, username)) ?? username;
    const recorded = readTokenRecord(paths, spelled);
    const who = recorded === null ? null : await check(client, recorded);
    if (recorded === null || who === null || who.you !== spelled) {
      throw roomError(recorded === null ? 'name_taken.no_record' : 'name_taken.record_invalid', {
        taken: error.message,
      });
    }
    return { user: spelled, token: recorded, host: who.host };
  }
}
