// `room` with no arguments in a terminal: asks for the room (offering the
// rooms whose broker answers now) and a username, then opens the UI, as
// `room <room-id> <username>` would. Cancelling (Ctrl-C, Esc) changes
// nothing and exits 0. Without a terminal, client/main.ts prints the usage
// instead (exit 2); this module is never loaded then.
import { readdirSync } from 'node:fs';
import { EXIT } from '../../shared/errors.ts';
import { isValidName, NAME_RULE } from '../../shared/names.ts';
import { roomOfSocket, roomPaths } from '../../shared/paths.ts';
import { probeSocket } from '../../shared/socket.ts';
import type { Cli, Command } from '../cli.ts';

const PROBE_MS = 300;
const OTHER = '\0other';

/** Room ids with a socket in the room directory whose broker answers, sorted. */
async function runningRooms(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const ids = names.map(roomOfSocket).filter((id): id is string => id !== undefined && isValidName(id));
  const alive = await Promise.all(
    ids.map(async (id) => {
      try {
        return (await probeSocket(roomPaths(dir, id).socket, PROBE_MS)) === 'alive' ? id : null;
      } catch {
        return null;
      }
    }),
  );
  return alive.filter((id): id is string => id !== null).sort();
}

const validName = (value: string | undefined) =>
  value !== undefined && isValidName(value) ? undefined : `Use ${NAME_RULE}`;

/** The two arguments of a session, or null if the user cancelled. */
async function ask(cli: Cli): Promise<[string, string] | null> {
  const prompts = await import('@clack/prompts');
  const cancelled = () => {
    prompts.cancel('Nothing opened.');
    return null;
  };
  prompts.intro('room');
  const rooms = await runningRooms(cli.dir);
  let room = OTHER;
  if (rooms.length > 0) {
    const picked = await prompts.select({
      message: 'Which room?',
      options: [
        ...rooms.map((id) => ({ value: id, label: id, hint: 'running' })),
        { value: OTHER, label: 'another room…' },
      ],
    });
    if (prompts.isCancel(picked)) return cancelled();
    room = picked;
  }
  if (room === OTHER) {
    const typed = await prompts.text({
      message: 'Room id (a new one starts its broker)',
      placeholder: 'myroom',
      validate: validName,
    });
    if (prompts.isCancel(typed)) return cancelled();
    room = typed;
  }
  const user = cli.env.USER !== undefined && isValidName(cli.env.USER) ? cli.env.USER : undefined;
  const username = await prompts.text({ message: 'Your username', initialValue: user, validate: validName });
  if (prompts.isCancel(username)) return cancelled();
  prompts.outro(`Opening ${room} as ${username}…`);
  return [room, username];
}

const pick: Command = {
  usage: 'Usage: room   (in a terminal: pick a room and a username, then open the UI)',
  async run(_argv, cli) {
    const answers = await ask(cli);
    if (answers === null) return EXIT.ok;
    return (await import('./session.ts')).default.run(answers, cli);
  },
};

export default pick;
