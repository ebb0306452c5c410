export async function runTui(): Promise<number> { throw new Error('TUI: not built yet'); }
