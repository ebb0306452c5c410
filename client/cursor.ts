// A user's read position, shared by poll and watch:
// <dir>/room-<id>-<user>.cursor (or room-<id>+<user>.cursor, shared/paths.ts) holds the id of the last event read and the
// byte range of its line, so the next read starts right there (poll does not
// slow down as the history grows). The range is verified before use: if the
// line there no longer holds that id (the history was cleared), the id is
// looked up from the start, and if it is gone the read starts over.
// A file holding just an event id (written by hand) is accepted too.
import type { RoomPaths } from '../shared/paths.ts';
import { readFileSafe } from '../shared/safe-fs.ts';
import { userFilePath, writeUserFile } from '../shared/user-file.ts';
import { entryAt, findEntry, type Entry } from './history-file.ts';

export interface Cursor {
  readonly id: string;
  readonly start: number;
  readonly end: number;
}

export class CursorFile {
  readonly #paths: RoomPaths;
  readonly #room: string;
  readonly #user: string;

  constructor(paths: RoomPaths, user: string) {
    this.#paths = paths;
    this.#room = paths.room;
    this.#user = user;
  }

  /** Where the cursor is: decided on each use, as another pair's poll may claim a name meanwhile. */
  get path(): string {
    return userFilePath(this.#paths, this.#user, 'cursor');
  }

  read(): Cursor | null {
    const text = readFileSafe(this.path)?.toString('utf8').trim();
    if (text === undefined || text === '') return null;
    if (!text.startsWith('{')) return { id: text, start: -1, end: -1 };
    try {
      const value = JSON.parse(text) as Partial<Cursor & { room: string; user: string }>;
      // Room "a-b" with user "c" and room "a" with user "b-c" share a seed name: never use the other's.
      if (value.room !== this.#room || value.user !== this.#user || typeof value.id !== 'string') return null;
      return { id: value.id, start: Number(value.start), end: Number(value.end) };
    } catch {
      return null;
    }
  }

  write(entry: Entry): void {
    const { id } = entry.event;
    writeUserFile(
      this.#paths,
      this.#user,
      'cursor',
      `${JSON.stringify({ id, start: entry.start, end: entry.end, room: this.#room, user: this.#user })}\n`,
    );
  }
}

/** Where the cursor's event is in the file now, or null if it is gone. */
export function locate(fd: number, cursor: Cursor): Entry | null {
  return entryAt(fd, cursor.id, cursor.start, cursor.end) ?? findEntry(fd, cursor.id);
}
