// `/reply <id-prefix> …`: the UI shows four characters of each message's
// id, which may be shared by several messages of a long history. The prefix
// is resolved here, among the events loaded, preferring the one on screen
// (what the user is looking at), then the newest; the full id is sent, so
// the broker never has to guess. A prefix matching nothing loaded is sent
// as typed, for the broker to resolve in the whole history.
import type { Entry } from './entry.ts';

function matches(entries: readonly Entry[], prefix: string): string[] {
  const ids: string[] = [];
  for (const entry of entries)
    if (entry.kind === 'event' && entry.event.id.startsWith(prefix)) ids.push(entry.event.id);
  return ids;
}

export function resolveReply(prefix: string, loaded: readonly Entry[], onScreen: readonly Entry[]): string {
  const wanted = prefix.toLowerCase();
  const visible = matches(onScreen, wanted);
  if (visible.length > 0) return visible.at(-1)!;
  return matches(loaded, wanted).at(-1) ?? prefix;
}
