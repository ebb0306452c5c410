// The project's room, for commands run inside a project (room mcp, room
// edit-check) that are not told it. The one place here that knows where a
// project names its room, nearest folder first from the working directory up:
// `.claude/room.json` (`{"room": "<id>"}`, written by room init), else the
// marker line of the protocol section room init writes
// (`<!-- room:protocol room=<id> … -->`) in CLAUDE.md, AGENTS.md or GEMINI.md.
import { dirname, join } from 'node:path';
import { isValidName } from '../../shared/names.ts';
import { readProjectFile } from '../../shared/safe-fs.ts';
import { findProtocolRoom } from '../protocol-section.ts';

const FILES = ['CLAUDE.md', 'AGENTS.md', 'GEMINI.md'];

export interface ProjectRoom {
  readonly room: string;
  /** The project folder: where the room was found. Claimed paths are relative to it. */
  readonly dir: string;
  /** Session names of the Claude Code plugin start with this (`.claude/room.json`'s "prefix"). */
  readonly prefix: string;
}

/** Null when missing, unreadable, or not a regular file of ours (a FIFO, another user's file in /tmp). */
function read(path: string): string | null {
  return readProjectFile(path);
}

function fromSettings(dir: string): ProjectRoom | null {
  const text = read(join(dir, '.claude', 'room.json'));
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as { room?: unknown; prefix?: unknown };
    if (typeof value.room !== 'string' || !isValidName(value.room)) return null;
    const prefix = typeof value.prefix === 'string' && isValidName(value.prefix) ? value.prefix : 'claude';
    return { room: value.room, dir, prefix };
  } catch {
    return null;
  }
}

/** The room the project around `cwd` names, or null. */
export function projectRoom(cwd: string): ProjectRoom | null {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const settings = fromSettings(dir);
    if (settings !== null) return settings;
    for (const name of FILES) {
      const text = read(join(dir, name));
      const room = text === null ? null : findProtocolRoom(text);
      if (room !== null) return { room, dir, prefix: 'claude' };
    }
    if (dirname(dir) === dir) return null;
  }
}
