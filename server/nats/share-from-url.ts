// The broker's stopgap for a shared room's state until the NATS connection
// settings (credentials, TLS, contexts: server/nats/connect.ts) are wired in
// server/main.ts: a plain connection to ROOM_NATS_URL, then shareRoomState.
// Loaded only when ROOM_NATS_URL is set. Replace with connect.ts's
// connection when the two meet; nothing else depends on this file.
import { connect } from '@nats-io/transport-node';
import { RoomError } from '../../shared/errors.ts';
import { type SharedStateParts, type SharedStateSettings, shareRoomState } from './shared-state.ts';

export async function shareStateFromUrl(
  url: string,
  room: string,
  parts: SharedStateParts,
  settings: SharedStateSettings,
  log: (message: string) => void,
): Promise<{ close(): Promise<void> }> {
  let nc: Awaited<ReturnType<typeof connect>>;
  try {
    nc = await connect({ servers: url, maxReconnectAttempts: -1 });
  } catch (error) {
    throw new RoomError('nats_unreachable', `cannot reach the NATS server ${url}: ${(error as Error).message}`);
  }
  const state = await shareRoomState(nc, room, parts, { ...settings, log });
  log(`room state shared through NATS ${url}`);
  return {
    async close() {
      await state.close();
      await nc.close();
    },
  };
}
