// Agent mode's stdout and stderr. stdout carries nothing but event JSON, one
// object per line, each line written (and, stdout being a file or a pipe,
// flushed) as soon as it is known; everything else is a diagnostic on stderr.
// A reader that closes stdout (EPIPE) is handled at the entry point: the
// process exits quietly.
import type { Notice } from '../../shared/events.ts';
import type { Cli } from '../cli.ts';

export class AgentOutput {
  readonly #cli: Cli;

  constructor(cli: Cli) {
    this.#cli = cli;
  }

  /** An event from the stream, as the exact line the broker sent (the history line). */
  event(line: string): void {
    this.#cli.out(line);
  }

  /** A private answer (`/who`, `/help`): it never comes through the stream, so it is printed here. */
  notice(notice: Notice): void {
    this.#cli.out(JSON.stringify(notice));
  }

  diagnostic(message: string): void {
    this.#cli.err(`room: ${message}`);
  }
}
