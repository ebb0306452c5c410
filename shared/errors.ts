// Every error room can report, in one table: a stable machine-readable code,
// the HTTP status the broker answers with, and the exit code of the CLI.
// Callers branch on `code`, never on message text. Codes are never reused.

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

interface ErrorSpec {
  readonly status: number;
  readonly exit: number;
}

export const ERRORS = {
  usage: { status: 400, exit: EXIT.usage },
  invalid_name: { status: 400, exit: EXIT.usage },
  invalid_json: { status: 400, exit: EXIT.usage },
  invalid_event: { status: 400, exit: EXIT.usage },
  unknown_type: { status: 400, exit: EXIT.usage },
  invalid_command: { status: 400, exit: EXIT.usage },
  unknown_id: { status: 404, exit: EXIT.usage },
  unknown_user: { status: 404, exit: EXIT.usage },
  not_found: { status: 404, exit: EXIT.usage },
  unsupported_media_type: { status: 415, exit: EXIT.usage },
  content_too_large: { status: 413, exit: EXIT.usage },
  body_too_large: { status: 413, exit: EXIT.usage },
  missing_token: { status: 401, exit: EXIT.auth },
  invalid_token: { status: 401, exit: EXIT.auth },
  name_taken: { status: 409, exit: EXIT.nameUnavailable },
  claim_conflict: { status: 409, exit: EXIT.denied },
  claim_not_found: { status: 404, exit: EXIT.usage },
  user_kicked: { status: 403, exit: EXIT.nameUnavailable },
  permission_denied: { status: 403, exit: EXIT.denied },
  broker_unreachable: { status: 503, exit: EXIT.unreachable },
  room_closing: { status: 503, exit: EXIT.unreachable },
  watch_timeout: { status: 408, exit: EXIT.timeout },
  unsafe_path: { status: 500, exit: EXIT.internal },
  disk_full: { status: 507, exit: EXIT.internal },
  history_write_failed: { status: 500, exit: EXIT.internal },
  internal: { status: 500, exit: EXIT.internal },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** Marks every RoomError, whichever copy of this module made it. */
const BRAND = Symbol.for('room.RoomError');

/** The one error type of room. The broker sends it as `{code, message}`. */
export class RoomError extends Error {
  readonly code: ErrorCode;

  /**
   * `instanceof RoomError` holds for a RoomError made by any copy of this
   * class: the bundled CLI loads each one-shot command as a self-contained
   * file with its own copy (scripts/build.ts).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RoomError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
}
