// The model of the screen a UI in tmux should show (client/tui/screen.ts),
// built from the room as the broker has it, and a wait for the pane to match
// it exactly.
import assert from 'node:assert/strict';
import { drawableSize } from '../client/tui/layout.ts';
import { initialState, reduce, type Action, type State } from '../client/tui/state.ts';
import type { Users } from '../shared/api.ts';
import { roomPaths } from '../shared/paths.ts';
import { readRoomState } from '../shared/room-state.ts';
import type { RoomEvent } from '../shared/events.ts';
import { http, ROOM_BIN, type RoomDir } from './helpers.ts';
import { COLUMNS, ROWS, rows, type Tmux } from './tui-tmux.ts';

/** Starts `room demo <user>` in a new window and waits for its UI. */
export async function openUi(tmux: Tmux, dir: RoomDir, user: string, env: Record<string, string> = {}): Promise<void> {
  await tmux.window(user, { ...dir.env, ...env });
  await tmux.line(user, `${ROOM_BIN} demo ${user}; echo EXIT=$?`);
  await tmux.waitFor(user, (s) => s.includes(`╭─ ${user} `) && s.includes(`→ ${user} joined`), `${user}'s UI`);
}

/** The state the UI should be in: the room as the broker has it, seen by `me`, plus `actions`. */
export async function modelState(
  dir: RoomDir,
  token: string,
  me: string,
  actions: readonly Action[] = [],
): Promise<State> {
  const socket = dir.socket('demo');
  const events = (await http(socket, 'GET', '/messages?limit=500', { token })).json<RoomEvent[]>();
  const users = (await http(socket, 'GET', '/users', { token })).json<Users>();
  const room = readRoomState(roomPaths(dir.path, 'demo'))!;
  const start = initialState('demo', me, users.host, drawableSize({ columns: COLUMNS, rows: ROWS }));
  const all: Action[] = [
    { type: 'users', users },
    {
      type: 'roster',
      names: Object.keys(room.users),
      kicked: Object.entries(room.users)
        .filter(([, r]) => r.kicked)
        .map(([n]) => n),
    },
    { type: 'connection', connection: 'live' },
    { type: 'events', events },
    ...actions,
  ];
  return all.reduce(reduce, start);
}

/**
 * A row as compared: tmux 3.3a's capture sometimes leaves out the zero-width
 * joiner inside a ZWJ sequence it stored across two cells (🏳️‍🌈 captured as
 * 🏳️🌈, drawn in the same columns), so joiners are not compared.
 */
const comparable = (lines: readonly string[]) => JSON.stringify(lines.map((l) => l.replaceAll('\u200d', '')));

/** Waits until the pane shows exactly the model's screen; fails showing both. */
export async function expectScreen(
  tmux: Tmux,
  window: string,
  model: () => Promise<string[]>,
  what: string,
): Promise<void> {
  let expected: string[] = [];
  try {
    await tmux.waitFor(
      window,
      (screen) => comparable(rows(screen)) === comparable(expected),
      what,
      10_000,
      async () => {
        expected = await model();
      },
    );
  } catch (error) {
    assert.deepEqual(rows(await tmux.screen(window)), expected, `${what}\n${(error as Error).message}`);
  }
}
