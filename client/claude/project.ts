// Which room a project uses, for commands run inside a project that are not
// told it (the Claude Code hooks, room mcp, room edit-check). The one place
// that knows where a project names its room, nearest folder first from the
// working directory up: the file `room init` writes, `.claude/room.json`
// ({"room": "<id>", ...}), else the marker line of the protocol section
// (`<!-- room:protocol room=<id> … -->`) in an instructions file there. Null
// when the project names no room: the plugin then does nothing.
import { dirname, join } from 'node:path';
import { isValidName } from '../../shared/names.ts';
import { readProjectFile } from '../../shared/safe-fs.ts';
import { findProtocolRoom } from '../protocol-section.ts';

/** The project's room settings file, relative to the project folder. */
export const PROJECT_FILE = join('.claude', 'room.json');

/** The instructions files room init may write the protocol section into. */
export const INSTRUCTIONS_FILES = ['CLAUDE.md', 'AGENTS.md', 'GEMINI.md'] as const;

export interface ProjectRoom {
  readonly room: string;
  /** Session names are `<prefix>-<first 8 characters of the session id>`. */
  readonly prefix: string;
  /** Deliver what arrived when the model finishes a turn (the Stop hook); off unless the project turns it on. */
  readonly deliverOnStop: boolean;
  /** The project folder: where the room was found. Claimed paths are relative to it. */
  readonly dir: string;
  /** The file that named the room. */
  readonly source: string;
}

export const DEFAULT_PREFIX = 'claude';

function fromSettings(dir: string): ProjectRoom | null {
  const file = join(dir, PROJECT_FILE);
  let value: { room?: unknown; prefix?: unknown; deliverOnStop?: unknown };
  try {
    value = JSON.parse(readProjectFile(file) ?? 'null') as typeof value;
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (typeof value.room !== 'string' || !isValidName(value.room)) return null;
  const prefix = typeof value.prefix === 'string' && isValidName(value.prefix) ? value.prefix : DEFAULT_PREFIX;
  return {
    room: value.room,
    prefix: prefix.slice(0, 50),
    deliverOnStop: value.deliverOnStop === true,
    dir,
    source: file,
  };
}

/**
 * The room of the project at `start` (or a folder above it). `files` are the
 * instructions files whose protocol section may name it: the Claude Code
 * hooks read only CLAUDE.md.
 */
export function findProjectRoom(start: string, files: readonly string[] = INSTRUCTIONS_FILES): ProjectRoom | null {
  for (let dir = start, i = 0; i < 64; dir = dirname(dir), i++) {
    // A file that is missing, unreadable, or not a regular file of ours (or root's): look further up.
    const found = fromSettings(dir);
    if (found !== null) return found;
    for (const name of files) {
      const source = join(dir, name);
      const text = readProjectFile(source);
      const room = text === null ? null : findProtocolRoom(text);
      if (room !== null) return { room, prefix: DEFAULT_PREFIX, deliverOnStop: false, dir, source };
    }
    if (dirname(dir) === dir) break;
  }
  return null;
}
