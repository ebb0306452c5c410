// `room join <room-id> <username>`: register a name and print its token.
import { resolve } from 'node:path';
import type { TokenResponse } from '../../shared/api.ts';
import { EXIT } from '../../shared/errors.ts';
import { checkUsername } from '../../shared/names.ts';
import { roomPaths, tokenRecordPath } from '../../shared/paths.ts';
import { refuseSymlink } from '../../shared/safe-fs.ts';
import { ensureBroker } from '../broker-start.ts';
import { parse, usageError, type Command } from '../cli.ts';
import { call } from '../http.ts';
import { writeTokenRecord } from '../token-record.ts';

const USAGE = `Usage: room join <room-id> <username> [-f PATH]

Registers <username> in the room and prints its token as JSON:
  {"type":"token","token":"<uuid>","username":"<username>"}
Starts the room's broker if none is running. Writes the token record
<dir>/room-<room-id>-<username>.token (0600) and says where on stderr.
Pass the token to send, poll and watch with -t or ROOM_TOKEN; the record is
never read implicitly. Fails (exit 5) if the name is taken or blocked.

Options:
  -f, --file PATH  the history file, when this creates the room (default <dir>/<room-id>.chat)`;

const join: Command = {
  usage: USAGE,
  async run(argv, cli) {
    const { values, positionals } = parse(argv, { file: { type: 'string', short: 'f' } }, USAGE);
    if (positionals.length !== 2) throw usageError('expected <room-id> <username>', USAGE);
    const [roomId, username] = positionals as [string, string];
    const paths = roomPaths(cli.dir, roomId);
    checkUsername(username);
    const record = tokenRecordPath(paths, username);
    refuseSymlink(record); // before the name is taken, so a refusal changes nothing
    await ensureBroker(paths, { chat: values.file === undefined ? undefined : resolve(values.file) });
    const { body, value } = await call<TokenResponse>(paths.socket, {
      method: 'POST',
      path: '/join',
      json: { username },
    });
    cli.out(body);
    cli.err(`Token written to ${writeTokenRecord(paths, value)}`);
    return EXIT.ok;
  },
};

export default join;
