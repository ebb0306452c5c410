// Placeholder while the benchmark is written.
export const name = 'broker';
export const summary = 'not written yet';

export async function main(_argv: readonly string[]): Promise<string> {
  throw new Error('broker: not written yet');
}
