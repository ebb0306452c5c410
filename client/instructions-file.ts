// The protocol section in a project's instructions file (CLAUDE.md for Claude
// Code, AGENTS.md for Codex and Cursor, GEMINI.md for Gemini CLI), as room
// init writes it. Planned first (every file checked before any is written),
// then written. A file is only ever created or appended to, in its own line
// endings, so what it holds is never changed; a file that has the section for
// the room already is left alone, and one naming another room is refused.
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { roomError } from '../shared/errors.ts';
import { findProtocolRoom, protocolSection } from './protocol-section.ts';

export interface SectionPlan {
  readonly path: string;
  readonly room: string;
  /** created: a new file; added: appended to what is there; kept: the file has the section already. */
  readonly action: 'created' | 'added' | 'kept';
  /** What is written (the whole file, or what is appended); '' when kept. */
  readonly text: string;
}

/** The file's text; null when there is none. Something other than a file is refused. */
export function readInstructions(path: string): string | null {
  if (!existsSync(path)) return null;
  if (!statSync(path).isFile()) throw roomError('usage.not_a_file', { path });
  return readFileSync(path, 'utf8');
}

/** Appends after what the file holds, separated by one blank line. */
function separator(existing: string, nl: string): string {
  if (existing === '' || existing.endsWith(nl + nl)) return '';
  return existing.endsWith(nl) ? nl : nl + nl;
}

/** What writing the section for `room` into `path` would do; throws (writing nothing) when it cannot. */
export function planSection(path: string, room: string): SectionPlan {
  const existing = readInstructions(path);
  const present = existing === null ? null : findProtocolRoom(existing);
  if (present === room) return { path, room, action: 'kept', text: '' };
  if (present !== null) throw roomError('usage.protocol_other_room', { path, other: present, room });
  if (existing === null) return { path, room, action: 'created', text: protocolSection(room) };
  // A file in CRLF line endings gets the section in CRLF too: one file, one kind of line ending.
  const nl = existing.includes('\r\n') ? '\r\n' : '\n';
  return { path, room, action: 'added', text: separator(existing, nl) + protocolSection(room).replaceAll('\n', nl) };
}

/** Carries out a plan (appending through a symbolic link, which stays). */
export function writeSection(plan: SectionPlan): void {
  if (plan.action === 'created') writeFileSync(plan.path, plan.text, { flag: 'wx' });
  else if (plan.action === 'added') appendFileSync(plan.path, plan.text);
}
