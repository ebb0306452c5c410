// How a CLI run ends: its exit codes, and how the entry point tells a
// RoomError thrown by a command's bundle. The bundled CLI's entry
// (client/main.ts) loads each one-shot command as a self-contained file with
// its own copy of shared/errors.ts (scripts/build.ts); the entry itself needs
// only this, so it does not load the error table a second time.

/** The CLI's exit codes. `room --help` prints this table; the README copies it. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  unreachable: 3,
  auth: 4,
  nameUnavailable: 5,
  timeout: 6,
  denied: 7,
} as const;

export const EXIT_CODE_HELP: ReadonlyArray<readonly [number, string]> = [
  [EXIT.ok, 'success'],
  [EXIT.internal, 'internal error (or an unsafe file refused)'],
  [EXIT.usage, 'usage or bad input (nothing was changed)'],
  [EXIT.unreachable, 'broker unreachable (not running, or failed to start)'],
  [EXIT.auth, 'bad token (missing, unknown or revoked)'],
  [EXIT.nameUnavailable, 'name taken, or blocked by the host'],
  [EXIT.timeout, 'watch timed out with nothing new'],
  [EXIT.denied, 'permission denied (host-only command), or a claim someone else holds'],
];

/** Every RoomError carries this (shared/errors.ts), whichever copy of the class made it. */
export const ROOM_ERROR_BRAND = Symbol.for('room.RoomError');

/** What the entry point reports of a RoomError: its message, and the exit code its code maps to. */
export interface ReportedError {
  readonly message: string;
  readonly exitCode: number;
}

/** Whether `value` is a RoomError made by any copy of the class. */
export function isRoomError(value: unknown): value is ReportedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [ROOM_ERROR_BRAND]?: unknown })[ROOM_ERROR_BRAND] === true
  );
}
