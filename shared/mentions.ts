// `@name` mentions in a text. A mention is `@` at the start of the text or
// after a character that cannot be part of a name (so `me@host` is not one),
// followed by a member's name, matched without regard to case. Trailing
// `.`, `-` and `_` may be punctuation (`thanks @bob.`): a name is tried as
// written, then with them stripped.

/** `@` then the longest run of name characters (shared/names.ts's alphabet). */
const MENTION = /(?<![A-Za-z0-9._@-])@([A-Za-z0-9._-]{1,64})/g;

/** The members (canonical spelling, each once, in order of first mention) that `text` mentions. */
export function mentionedMembers(text: string, members: Iterable<string>): string[] {
  if (!text.includes('@')) return [];
  const byLower = new Map<string, string>();
  for (const name of members) byLower.set(name.toLowerCase(), name);
  const found: string[] = [];
  for (const match of text.matchAll(MENTION)) {
    const word = match[1]!.toLowerCase();
    const name = byLower.get(word) ?? byLower.get(word.replace(/[._-]+$/, ''));
    if (name !== undefined && !found.includes(name)) found.push(name);
  }
  return found;
}

/** Does `text` mention `user`? */
export function mentions(text: string, user: string): boolean {
  return mentionedMembers(text, [user]).length > 0;
}
