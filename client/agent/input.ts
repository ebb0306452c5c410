// Agent mode's stdin, read as lines. Line numbers count every line read
// (blank ones too), so a diagnostic names the line the writer sent.
import { createInterface } from 'node:readline';

export interface LineReader {
  /** Resolves at end of input (or when the input fails, which ends it too). */
  readonly ended: Promise<void>;
  /** Stops reading for now (the sender is behind); lines already read may still arrive. */
  pause(): void;
  resume(): void;
  /** Stops reading for good and releases stdin, so it cannot keep the process alive. */
  close(): void;
}

export function readLines(
  input: NodeJS.ReadableStream & { destroy?: () => void },
  onLine: (line: string, number: number) => void,
  onError: (message: string) => void,
): LineReader {
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  let number = 0;
  let closed = false;
  const ended = new Promise<void>((resolve) => {
    lines.on('close', () => {
      closed = true;
      resolve();
    });
  });
  lines.on('line', (line) => {
    number += 1;
    if (!closed) onLine(line, number);
  });
  input.on('error', (error: Error) => {
    onError(`reading stdin failed: ${error.message}`);
    lines.close();
  });
  return {
    ended,
    pause: () => void (closed || lines.pause()),
    resume: () => void (closed || lines.resume()),
    close: () => {
      closed = true;
      lines.close();
      input.destroy?.();
    },
  };
}
