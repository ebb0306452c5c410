// Host commands that destroy something for everyone ask first: Enter on
// `/clear`, `/clear-tokens` or `/exit` shows what it will do under the input,
// and only `y` sends it; any other key cancels, leaving the draft as it was.
// Pure. (For anyone but the host the broker refuses them anyway: no question.)

const DESTRUCTIVE: Readonly<Record<string, string>> = {
  clear: 'empties the history for everyone',
  'clear-tokens': 'revokes every token: everyone, you included, must join again',
  exit: "shuts the room's broker down and ends every session",
};

/** The question to ask before sending `text`, or null when it needs none. */
export function confirmation(text: string, isHost: boolean): string | null {
  if (!isHost) return null;
  const command = /^\/(\S+)(?:\s|$)/.exec(text.trim())?.[1];
  const what = command === undefined ? undefined : DESTRUCTIVE[command];
  return what === undefined ? null : `/${command} ${what}. Press y to send it, any other key to cancel.`;
}
