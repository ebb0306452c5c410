// Agent mode's stdout and stderr. stdout carries nothing but event JSON, one
// object per line, each line handed to the OS as soon as it is known;
// everything else is a diagnostic on stderr.
//
// Writes to a pipe are asynchronous: a reader slower than the room would make
// them pile up in memory. Instead, while stdout is behind, `whenWritable`
// holds the session's reading of the stream; the broker then buffers for us,
// drops the stream if we stay behind too long, and the session resumes it
// with Last-Event-ID once we are reading again. Nothing is lost.
//
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

  /** Undefined while stdout keeps up; else resolves once it has drained (or closed). */
  whenWritable(): Promise<void> | undefined {
    const { stdout } = this.#cli;
    if (!stdout.writableNeedDrain) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        stdout.off('drain', done);
        stdout.off('close', done);
        resolve();
      };
      stdout.on('drain', done);
      stdout.on('close', done);
    });
  }
}
