// `room ls`: the rooms under the room directory, running or not, from their
// state files: who is in each, who is host, and when its history last moved;
// a room shared between machines (issue 16) also shows its NATS server(s).
// Files of another Unix user (in a shared /tmp) are not this user's rooms and
// are left out; a room whose state cannot be read is listed with the reason.
import { closeSync, fstatSync, lstatSync, readdirSync, readSync } from 'node:fs';
import { EXIT, roomError } from '../../shared/errors.ts';
import { isValidName } from '../../shared/names.ts';
import { roomPaths } from '../../shared/paths.ts';
import { readRoomState, type RoomState } from '../../shared/room-state.ts';
import { openForRead } from '../../shared/safe-fs.ts';
import { probeSocket } from '../../shared/socket.ts';
import { parseEvent } from '../../shared/validate.ts';
import { parse, usageError, type Command } from '../cli.ts';
import { localTime } from '../log-format.ts';

const USAGE = `Usage: room ls [--json]

Lists the rooms in the room directory ($ROOM_DIR, default /tmp), running or
not: whether a broker answers, the host and the other users (kicked ones
marked), the time of the last event in this machine's history and, for a room
shared between machines, the NATS server(s) it is shared through (the state is
this machine's broker's). Needs no token and starts nothing.

Options:
      --json  one JSON object per room (NDJSON): {"room","running","host","users",
              "kicked","last_activity" (ISO 8601 or null),"history", and "nats" for a
              shared room}, or {"room","error"}`;

const STATE_FILE = /^room-(.+)\.state$/;
const PROBE_MS = 300;
/** The last event is looked for in this much of the history's end. */
const TAIL_BYTES = 256 * 1024;

interface Listing {
  readonly room: string;
  readonly running: boolean;
  readonly host: string | null;
  readonly users: string[];
  readonly kicked: string[];
  readonly last_activity: string | null;
  readonly history: string;
  /** A shared room's NATS server(s); absent for a room on this machine only. */
  readonly nats?: string;
}

/** The `ts` of the last complete, valid event line in the file, or null. */
function lastActivity(path: string): string | null {
  const fd = openForRead(path);
  if (fd === null) return null;
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.allocUnsafe(length);
    const n = readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8', 0, n).split('\n');
    lines.pop(); // after the last newline: empty, or a line still being written
    for (let i = lines.length - 1; i >= 0; i--) {
      const event = parseEvent(lines[i]!);
      if (event !== null) return event.ts;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Whether the file belongs to this Unix user (another user's room in a shared /tmp is not listed). */
function ours(path: string): boolean {
  try {
    return lstatSync(path).uid === process.getuid?.();
  } catch {
    return false;
  }
}

async function describe(dir: string, room: string): Promise<Listing | { room: string; error: string } | null> {
  const paths = roomPaths(dir, room);
  if (!ours(paths.state)) return null;
  let state: RoomState | null;
  try {
    state = readRoomState(paths);
  } catch (error) {
    return { room, error: (error as Error).message };
  }
  if (state === null) return null;
  let running = false;
  try {
    running = (await probeSocket(paths.socket, PROBE_MS)) === 'alive';
  } catch {
    // an unusable socket path: not a running room of ours
  }
  let last: string | null = null;
  try {
    last = lastActivity(state.chat);
  } catch (error) {
    return { room, error: (error as Error).message };
  }
  const names = Object.keys(state.users);
  return {
    room,
    running,
    host: state.host,
    users: names.filter((name) => !state.users[name]!.kicked),
    kicked: names.filter((name) => state.users[name]!.kicked),
    last_activity: last,
    history: state.chat,
    ...(state.nats === undefined ? {} : { nats: state.nats }),
  };
}

function textRow(entry: Listing | { room: string; error: string }, shared: boolean): string[] {
  if ('error' in entry) return [entry.room, 'unreadable', entry.error, '', ...(shared ? [''] : [])];
  const users = [
    ...entry.users.map((u) => (u === entry.host ? `${u} (host)` : u)),
    ...entry.kicked.map((u) => `${u} (kicked)`),
  ];
  return [
    entry.room,
    entry.running ? 'running' : 'stopped',
    users.join(', ') || '-',
    entry.last_activity === null ? '-' : localTime(entry.last_activity),
    ...(shared ? [entry.nats ?? '-'] : []),
  ];
}

const ls: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, USAGE);
    if (positionals.length > 0) throw usageError(USAGE, 'usage.ls_room_id');
    let names: string[];
    try {
      names = readdirSync(cli.dir);
    } catch (error) {
      throw roomError('usage.read_room_dir', { dir: cli.dir, detail: (error as Error).message });
    }
    const rooms = names
      .map((name) => STATE_FILE.exec(name)?.[1])
      .filter((id): id is string => id !== undefined && isValidName(id))
      .sort();
    const entries = (await Promise.all(rooms.map((room) => describe(cli.dir, room)))).filter((e) => e !== null);
    if (values.json === true) {
      for (const entry of entries) cli.out(JSON.stringify(entry));
      return EXIT.ok;
    }
    if (entries.length === 0) {
      cli.err(`room: no rooms in ${cli.dir} (start one with: room <room-id> <username>)`);
      return EXIT.ok;
    }
    // The SHARED THROUGH column shows only when a room is shared: a machine without NATS sees no change.
    const shared = entries.some((entry) => 'nats' in entry);
    const header = ['ROOM', 'STATE', 'USERS', 'LAST ACTIVITY', ...(shared ? ['SHARED THROUGH'] : [])];
    const rows = [header, ...entries.map((entry) => textRow(entry, shared))];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows)
      cli.out(
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
    return EXIT.ok;
  },
};

export default ls;
