// The project's room, for commands run inside a project (room mcp, room
// edit-check) that are not told it. The one place that knows where a project
// names its room: today the protocol section `room init` writes, whose marker
// line names the room (`<!-- room:protocol room=<id> … -->`), in CLAUDE.md,
// AGENTS.md or GEMINI.md of the folder or the nearest parent that has one.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findProtocolRoom } from '../protocol-section.ts';

const FILES = ['CLAUDE.md', 'AGENTS.md', 'GEMINI.md'];

/** The room the project around `cwd` names, or null. */
export function projectRoom(cwd: string): string | null {
  for (let dir = cwd; ; dir = dirname(dir)) {
    for (const name of FILES) {
      let text: string;
      try {
        text = readFileSync(join(dir, name), 'utf8');
      } catch {
        continue;
      }
      const room = findProtocolRoom(text);
      if (room !== null) return room;
    }
    if (dirname(dir) === dir) return null;
  }
}
