// Placeholder while the benchmark is written.
export const name = 'watch-latency';
export const summary = 'not written yet';

export async function main(_argv: readonly string[]): Promise<string> {
  throw new Error('watch-latency: not written yet');
}
