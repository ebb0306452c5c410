// The guard before a file edit (Claude Code's PreToolUse hook on Edit, Write,
// MultiEdit and NotebookEdit): editing a file that someone else holds a claim
// on asks the user first, naming the holder and their claim; anything else
// goes ahead silently (no output), so the usual permission rules apply.
import { isAbsolute, relative } from 'node:path';
import { claimsOnFile, type Claim } from '../shared/claims.ts';

/** The part of Claude Code's PreToolUse input this reads (tool_input paths are absolute). */
export interface PreToolUseInput {
  readonly session_id?: string;
  readonly cwd?: string;
  readonly tool_name?: string;
  readonly tool_input?: { readonly file_path?: unknown; readonly notebook_path?: unknown };
}

export interface HookAnswer {
  readonly hookSpecificOutput: {
    readonly hookEventName: 'PreToolUse';
    readonly permissionDecision: 'ask';
    readonly permissionDecisionReason: string;
    readonly additionalContext: string;
  };
}

/** The file an edit tool is about to change, if the input names one. */
export function editedFile(input: PreToolUseInput): string | null {
  const path = input.tool_input?.file_path ?? input.tool_input?.notebook_path;
  return typeof path === 'string' && path !== '' ? path : null;
}

/**
 * The answer for an edit of `file` (absolute, or relative to `project`):
 * `ask` when a claim of someone other than `me` covers it, compared as the
 * path relative to the project and as the absolute path; null otherwise.
 */
export function editDecision(
  claims: readonly Claim[],
  file: string,
  project: string,
  room: string,
  me: string | null,
): HookAnswer | null {
  const inside = isAbsolute(file) ? relative(project, file) : file;
  const forms = inside.startsWith('..') || isAbsolute(inside) ? [file] : [inside, file];
  const held = [...new Set(forms.flatMap((form) => claimsOnFile(claims, form)))].filter((c) => c.user !== me);
  if (held.length === 0) return null;
  const shown = forms[0]!;
  const who = held.map((c) => `${c.user} (since ${c.since.slice(11, 16)} UTC: "${c.text}")`).join(', ');
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
      permissionDecisionReason: `${shown} is claimed in room ${room} by ${who}`,
      additionalContext:
        `${shown} is claimed in room ${room} by ${who}. ` +
        `Coordinate in the room (reply to the claim, wait for a release) before editing it.`,
    },
  };
}
