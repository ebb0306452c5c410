// Host commands that destroy something for everyone ask first: Enter on
// `/clear`, `/clear-tokens` or `/exit` shows what it will do under the input,
// and only `y` sends it; any other key cancels, leaving the draft as it was.
// Pure. (For anyone but the host the broker refuses them anyway: no question.)

const DESTRUCTIVE: Readonly<Record<string, string>> = {
  clear: 'empties the history for everyone',
  'clear-tokens': 'revokes every token: everyone, you included, must join again',
  exit: "shuts the room's broker down and ends every session",
};

/** In a room shared between machines, /exit stops this machine's broker only. */
const SHARED_EXIT = "stops this machine's broker and ends its sessions (the room goes on on the other machines)";

/** The question to ask before sending `text`, or null when it needs none. `shared`: a room shared between machines. */
export function confirmation(text: string, isHost: boolean, shared = false): string | null {
  if (!isHost) return null;
  const command = /^\/(\S+)(?:\s|$)/.exec(text.trim())?.[1];
  const what = command === undefined ? undefined : shared && command === 'exit' ? SHARED_EXIT : DESTRUCTIVE[command];
  return what === undefined ? null : `/${command} ${what}. Press y to send it, any other key to cancel.`;
}
