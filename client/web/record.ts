// The room's gateway record (shared/paths.ts webGatewayPath): which process
// serves the room's page, and where. A second `room web` for the room reads
// it and asks that gateway for a new address instead of starting another.
// Like every file of room it is the user's own (0600) and never a symlink.
import type { RoomPaths } from '../../shared/paths.ts';
import { webGatewayPath, webOpenPagePath } from '../../shared/paths.ts';
import { readFileSafe, removeFile, writeFileAtomic } from '../../shared/safe-fs.ts';

export interface GatewayRecord {
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
}

export function writeGatewayRecord(paths: RoomPaths, origin: string): void {
  writeFileAtomic(webGatewayPath(paths), `${JSON.stringify({ pid: process.pid, origin })}\n`);
}

export function readGatewayRecord(paths: RoomPaths): GatewayRecord | undefined {
  try {
    const value = JSON.parse(
      readFileSafe(webGatewayPath(paths))?.toString('utf8') ?? 'null',
    ) as Partial<GatewayRecord> | null;
    if (value === null || !Number.isInteger(value.pid) || typeof value.origin !== 'string') return undefined;
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(value.origin)) return undefined;
    return value as GatewayRecord;
  } catch {
    return undefined;
  }
}

/** Removes the record, and the page that opened the browser, if the record is this process's (a newer gateway may have replaced it). */
export function removeGatewayRecord(paths: RoomPaths): void {
  if (readGatewayRecord(paths)?.pid !== process.pid) return;
  removeFile(webGatewayPath(paths));
  removeFile(webOpenPagePath(paths));
}
