// What `room init` adds to a project's Claude Code settings
// (.claude/settings.json), merged into what is there and never replacing a
// value someone set: the permission rules for the room commands the
// protocol uses (so no session stops on an approval prompt), the plugin
// enabled, and the marketplace it comes from (so a teammate who opens the
// project is offered it). Rule syntax: `Bash(<command prefix> *)` matches
// the prefix followed by anything (Claude Code's permission rules).
import { roomError } from '../../shared/errors.ts';

export const PLUGIN_ID = 'room@room';
export const MARKETPLACE = 'room';

/** The commands a session runs in the protocol: catch up, talk, wait; join for agents without the plugin. */
export const ROOM_RULES = ['Bash(room poll *)', 'Bash(room send *)', 'Bash(room watch *)', 'Bash(room join *)'];

/** Where the marketplace is: a local clone (directory), a GitHub owner/repo, or a git URL. */
export function marketplaceSource(spec: string): Record<string, string> {
  if (/^(https?|ssh|git):\/\/|^git@|\.git$/.test(spec)) return { source: 'git', url: spec };
  if (/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(spec) && !spec.startsWith('.')) return { source: 'github', repo: spec };
  return { source: 'directory', path: spec };
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The settings with room's entries added; `changes` says what was added
 * (empty: nothing to write). Throws on a file that is not a JSON object, or
 * whose keys have the wrong shape, before anything is written.
 */
export function mergeSettings(
  file: string,
  existing: string | null,
  marketplace: Record<string, string> | null,
): { settings: Json; changes: string[] } {
  let settings: Json = {};
  if (existing !== null && existing.trim() !== '') {
    try {
      const parsed = JSON.parse(existing) as unknown;
      if (!isObject(parsed)) throw new Error('not a JSON object');
      settings = parsed;
    } catch (error) {
      throw roomError('usage.settings_json', { file, detail: (error as Error).message });
    }
  }
  const wrong = (key: string) => roomError('usage.settings_shape', { file, key });
  const changes: string[] = [];

  const permissions = settings.permissions ?? {};
  if (!isObject(permissions)) throw wrong('permissions');
  const allow = permissions.allow ?? [];
  if (!Array.isArray(allow)) throw wrong('permissions.allow');
  const missing = ROOM_RULES.filter((rule) => !allow.includes(rule));
  if (missing.length > 0) {
    settings.permissions = { ...permissions, allow: [...allow, ...missing] };
    changes.push(`permissions.allow: ${missing.join(', ')}`);
  }

  const enabled = settings.enabledPlugins ?? {};
  if (!isObject(enabled)) throw wrong('enabledPlugins');
  if (!(PLUGIN_ID in enabled)) {
    settings.enabledPlugins = { ...enabled, [PLUGIN_ID]: true };
    changes.push(`enabledPlugins: ${PLUGIN_ID}`);
  }

  const known = settings.extraKnownMarketplaces ?? {};
  if (!isObject(known)) throw wrong('extraKnownMarketplaces');
  if (marketplace !== null && !(MARKETPLACE in known)) {
    settings.extraKnownMarketplaces = { ...known, [MARKETPLACE]: { source: marketplace } };
    changes.push(`extraKnownMarketplaces: ${MARKETPLACE}`);
  }
  return { settings, changes };
}
