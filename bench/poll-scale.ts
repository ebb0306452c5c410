// Placeholder while the benchmark is written.
export const name = 'poll-scale';
export const summary = 'not written yet';

export async function main(_argv: readonly string[]): Promise<string> {
  throw new Error('poll-scale: not written yet');
}
