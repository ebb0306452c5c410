export async function runAgent(): Promise<number> { throw new Error('agent mode: not built yet'); }
