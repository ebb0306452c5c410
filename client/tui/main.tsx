// Placeholder until the terminal UI lands (issue 5): fails clearly instead of crashing.
import { RoomError } from '../../shared/errors.ts';
import type { Cli } from '../cli.ts';
import type { SessionOptions } from '../commands/session.ts';

export async function runTui(_options: SessionOptions, _cli: Cli): Promise<number> {
  throw new RoomError('usage', 'the terminal UI is not built yet: use --agent, or room send/poll/watch');
}
