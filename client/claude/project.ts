// Which room a project uses, as the Claude Code hooks find it: the file
// `room init` writes, `.claude/room.json` ({"room": "<id>", ...}), in the
// project folder or a folder above it; else the room line of the protocol
// section in a CLAUDE.md there. Null when the project names no room: the
// plugin then does nothing.
import { dirname, join } from 'node:path';
import { isValidName } from '../../shared/names.ts';
import { readProjectFile } from '../../shared/safe-fs.ts';
import { findProtocolRoom } from '../protocol-section.ts';

/** The project's room settings file, relative to the project folder. */
export const PROJECT_FILE = join('.claude', 'room.json');

export interface ProjectRoom {
  readonly room: string;
  /** Session names are `<prefix>-<first 8 characters of the session id>`. */
  readonly prefix: string;
  /** Deliver what arrived when the model finishes a turn (the Stop hook); off unless the project turns it on. */
  readonly deliverOnStop: boolean;
  /** Where the room was found. */
  readonly source: string;
}

export const DEFAULT_PREFIX = 'claude';

function fromSettings(file: string): ProjectRoom | null {
  let value: { room?: unknown; prefix?: unknown; deliverOnStop?: unknown };
  try {
    value = JSON.parse(readProjectFile(file) ?? 'null') as typeof value;
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (typeof value.room !== 'string' || !isValidName(value.room)) return null;
  const prefix = typeof value.prefix === 'string' && isValidName(value.prefix) ? value.prefix : DEFAULT_PREFIX;
  return { room: value.room, prefix: prefix.slice(0, 50), deliverOnStop: value.deliverOnStop === true, source: file };
}

/** The room of the project at `start` (or a folder above it). */
export function findProjectRoom(start: string): ProjectRoom | null {
  for (let dir = start, i = 0; i < 64; dir = dirname(dir), i++) {
    // A file that is missing, unreadable, or not a regular file of ours (or root's): look further up.
    const found = fromSettings(join(dir, PROJECT_FILE));
    if (found !== null) return found;
    const claudeMd = join(dir, 'CLAUDE.md');
    const text = readProjectFile(claudeMd);
    const room = text === null ? null : findProtocolRoom(text);
    if (room !== null) return { room, prefix: DEFAULT_PREFIX, deliverOnStop: false, source: claudeMd };
    if (dirname(dir) === dir) break;
  }
  return null;
}
