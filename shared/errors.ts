// Every error room can report, in one table: a stable machine-readable code,
// the HTTP status the broker answers with, the exit code of the CLI, what it
// means (the OpenAPI document's ErrorResponse enum is generated from it, the
// README's table is tested against it) and its messages: a default template
// and, where one code covers several cases, named variants (`usage.fsync`).
// Every message room makes comes from here through `roomError` (test/error-table.test.ts
// scans the sources for any other way), so the wording is reviewed in one place.
// Callers branch on `code`, never on message text. Codes are never reused.

import { EXIT, isRoomError, ROOM_ERROR_BRAND } from './exit.ts';

export { EXIT, EXIT_CODE_HELP } from './exit.ts';

interface ErrorSpec {
  readonly status: number;
  readonly exit: number;
  /** What the code means, for the OpenAPI document and the README. */
  readonly meaning: string;
  /** The default message; `{name}` is filled from the values given to `roomError`. */
  readonly template: string;
  /** Named messages for the cases this code covers (`roomError('<code>.<name>', …)`), filled the same way. */
  readonly messages?: Readonly<Record<string, string>>;
  /** Made by clients only, never answered by the broker (left out of the API's error responses). */
  readonly clientOnly?: true;
}

// Modelled on fastify's lib/errors.js and NATS's server/errors.json: one row
// per code, with its status, its meaning and its message templates. A
// `{detail}` carries only text made elsewhere (a library's message: parseArgs,
// Ajv, JSON.parse, an errno); room's own wording is written out here.
export const ERRORS = {
  usage: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'bad usage or a bad request parameter',
    template: '{detail}',
    messages: {
      socket_path_too_long:
        'socket path too long ({bytes} bytes, at most {max}): {socket}; use a shorter ROOM_DIR or room id',
      fsync_ms: 'ROOM_FSYNC_MS must be a whole number of milliseconds from 1 to 60000, not {value}',
      fsync: 'ROOM_FSYNC must be always, batch or off, not {value}',
      env_ms: '{name} must be a positive whole number of milliseconds, not {value}',
      idle_seconds: 'ROOM_IDLE_SECONDS must be a number of seconds (0: never), not {value}',
      position: 'position {position}: give a seq, an event id, or at least {min} characters of one',
      unknown_query_parameter: 'unknown query parameter {names}; known: {known}',
      unknown_query_parameters: 'unknown query parameters {names}; known: {known}',
      no_query_parameters: 'this route takes no query parameters (given: {names})',
      after_and_since: 'give after or since (its older name), not both',
      tui_needs_terminal:
        'the terminal UI needs a terminal on stdin and stdout: use --agent for JSON lines, or room send/poll/watch',
      session_secret: 'the session request needs a "secret"',
      reconnect_seconds: 'ROOM_RECONNECT_SECONDS must be a number of seconds (0 or more), not {value}',
      settings_json: '{file} is not valid settings JSON ({detail}): fix it, then run room init again. Nothing changed.',
      settings_shape: '{file}: "{key}" has an unexpected shape; fix it, then run room init again. Nothing changed.',
      chat_is_folder: 'cannot use {path} as the history file: it is a folder',
      chat_no_folder: 'cannot create the history file {path}: no such folder {folder}',
      chat_not_folder: 'cannot create the history file {path}: {folder} is not a folder',
      room_dir_not_folder: 'ROOM_DIR {dir} is not a folder',
      room_dir_missing_parent: 'ROOM_DIR {dir} does not exist (its parent {parent} is missing)',
      room_dir_parent_not_folder: 'ROOM_DIR {dir} cannot be created (its parent {parent} is not a folder)',
      room_dir_create: 'ROOM_DIR {dir} cannot be created: {detail}',
      read_room_dir: 'cannot read the room directory {dir}: {detail}',
      unknown_agent: 'unknown agent {name}: use {agents}',
      config_json: '{path} is not valid JSON ({detail}); left it unchanged',
      config_not_object: '{path} does not hold a JSON object; left it unchanged',
      config_servers: '{path}: "mcpServers" is not an object; left it unchanged',
      config_not_file: '{path} is not a regular file; left it unchanged',
      not_a_file: '{path} is not a regular file. Nothing changed.',
      not_a_folder: '{path} is not a folder. Nothing changed.',
      project_json: '{path} is not valid JSON ({detail}): fix or delete it. Nothing changed.',
      project_other_room: '{path} names room {other}, not {room}: edit or delete it. Nothing changed.',
      protocol_other_room:
        '{path} already has the room protocol for room {other}; to use room {room} instead, edit that section or delete it (from its room:protocol line to /room:protocol) and run room init again. Nothing changed.',
      not_a_command: '{word} is not a command: {hint}',
      typo_hint: 'did you mean room {command}? (to open a new room named {word}: room -- {argv})',
      log_position:
        '{option} takes an event id (or at least its first 4 characters), a seq, a time or an age (15m, 2h, 7d), not {value}',
      unknown_option: "unknown option {option} (text that starts with '-' goes after --)",
      option_value: 'option {option} needs a value',
      option_dash_value: "option {option} needs a value (one that starts with '-' is written {option}=-…)",
      token_twice: 'give -t or --token-file, not both',
      positive_seconds: '{option} must be a positive number of seconds, not {value}',
      whole_number: '{option} must be a whole number, not {value}',
      expected: 'expected {what}',
      unexpected_argument: 'unexpected argument {arg}',
      mcp_no_room: 'no room given and none found: pass --room ROOM-ID, or run room init in the project',
      json_and_to: 'give --json or --to, not both (a dm envelope names its recipient)',
      no_message: 'no message: give it as words, or pipe it on stdin',
      empty_message: 'empty message',
      ls_room_id: 'room ls takes no room id',
      log_format: '--format is text, ndjson or markdown, not {value}',
      log_grep: '--grep: {detail}',
      unknown_hook_event: 'unknown hook event {event}',
      no_such_folder: 'no such folder: {dir}',
      marketplace: '--marketplace needs a GitHub owner/repo, a git URL or a folder',
      folder_room_id: 'cannot make a room id from the folder name {name}: give --room',
      init_no_terminal: 'no terminal to ask in: give --room ROOM-ID, or --yes to use the folder name',
      invalid_part: 'invalid {part}: {detail}',
      broker_argv: 'usage: broker [--chat <path>] [--nats <url>] -- <room-id>',
      nats_replicas: 'ROOM_NATS_REPLICAS must be a whole number from 1 to 5, not {value}',
      nats_no_server: 'no NATS server given: use --nats nats://host:4222',
      nats_url: 'not a NATS server URL: {server} (use nats://host:4222)',
      nats_scheme: 'not a NATS server URL: {server} (the scheme must be nats:// or tls://)',
      nats_no_host: 'not a NATS server URL: {server} (no host)',
      nats_url_path: 'not a NATS server URL: {server} (a NATS URL has no path or query)',
      nats_url_credentials:
        "the NATS URL {url} carries credentials: they would be written to the room's state file; put them in a NATS context (NATS_CONTEXT) or a credentials file (NATS_CREDS) instead",
      nats_file: 'cannot read {what} {path}: {detail}',
      nats_context_name: 'NATS context name {name} is not a plain name',
      nats_context_read: 'cannot read the NATS context {name} ({path}): {detail}',
      nats_context_shape: 'the NATS context {path} is not a JSON object',
      nats_room_local:
        'room {room} already exists on this machine without NATS: its history cannot move onto {setting} (use another room id to share one)',
      nats_room_other: 'room {room} is shared through {nats}, not {setting}',
    },
  },
  bad_request: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'malformed HTTP (request line, headers, length or chunking)',
    template: 'malformed HTTP request: {detail}',
    messages: {
      short_body: 'malformed HTTP request: the body is not as long as Content-Length says',
      hung_up: 'malformed HTTP request: the client hung up while sending',
    },
  },
  invalid_name: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'a room id or username that breaks the naming rule',
    template: 'invalid name {name}',
    messages: {
      room_id: 'invalid room id {id}: use {rule}',
      username: 'invalid username {name}: use {rule}',
    },
  },
  invalid_json: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'a body that is not JSON',
    template: 'invalid JSON body: {detail}',
    messages: {
      line: 'invalid JSON: {detail}',
      session: 'the session request must be JSON: an object with a "secret"',
      not_utf8: 'invalid JSON body: the body is not valid UTF-8',
    },
  },
  invalid_event: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'a body that does not match its schema (missing or unknown field, wrong type, blank content)',
    template: 'invalid event: {detail}',
    messages: {
      not_an_object: 'a JSON line must be an object with a "type"',
      unknown_field: 'invalid event: unknown field {field}: {what} has {fields}',
      join_request: 'invalid join request: {detail}',
      join_unknown_field: 'invalid join request: unknown field {field}: {what} has {fields}',
      empty_content: 'content is empty',
      reply_to_dm: 'that message is a direct message: answer it with /dm {other} …, so it stays private',
      text_not_utf8: 'invalid event: a text/plain body must be valid UTF-8',
      no_body: 'invalid event: no body: send an event as application/json or a message as text/plain',
      idempotency_key:
        'invalid event: idempotency_key must be a string of 1-255 visible ASCII characters (a UUID, say)',
    },
  },
  unknown_type: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'an inbound event whose type is not message, reply, command or dm',
    template: 'unknown event type: use message, reply, command or dm',
    messages: {
      named: 'unknown event type {type}: use message, reply, command or dm',
    },
  },
  invalid_command: {
    status: 400,
    exit: EXIT.usage,
    meaning: 'a slash command used wrongly',
    template: 'usage: {usage}',
    messages: {
      empty_name: 'empty command: type a name after /',
      bad_name: 'invalid command name /{name}',
      reply:
        "usage: /reply <id-prefix> <message>: the id is the event's id or at least its first 4 characters (0-9, a-f)",
      kick_host: 'the host cannot be kicked',
      already_kicked: '{name} is already kicked (/reauth {name} lets them join again)',
      not_kicked: '{name} is not kicked: /reauth only lets a kicked user join again',
    },
  },
  unknown_id: {
    status: 404,
    exit: EXIT.usage,
    meaning: 'no such event id',
    template: 'no event {id} in the history',
    messages: {
      ambiguous_prefix: 'id prefix {prefix} matches more than one message: give more characters',
      no_message: 'no message with id {id} in the history',
      no_history: 'no event {id}: the room has no history yet',
      no_event: 'no event with id {id} in the history',
    },
  },
  unknown_user: {
    status: 404,
    exit: EXIT.usage,
    meaning: 'no such user in this room',
    template: 'no user {name} has joined this room',
  },
  not_found: {
    status: 404,
    exit: EXIT.usage,
    meaning: 'no such route',
    template: 'no route {method} {path}',
    messages: {
      page: 'no such page: {path}',
    },
  },
  method_not_allowed: {
    status: 405,
    exit: EXIT.usage,
    meaning: 'a known route asked with a method it does not take (see the Allow header)',
    template: '{method} is not allowed on {path}: use {allow}',
  },
  request_timeout: {
    status: 408,
    exit: EXIT.unreachable,
    meaning: 'the request (headers and body) took too long to arrive',
    template: 'the request took longer than {ms} ms to arrive',
  },
  idempotency_key_reused: {
    status: 422,
    exit: EXIT.usage,
    meaning: 'an Idempotency-Key already used by this user for a different request',
    template: 'Idempotency-Key {key} was already used for a different request: use a new key for a new message',
  },
  upgrade_required: {
    status: 426,
    exit: EXIT.usage,
    meaning: 'GET /channel without the upgrade to its JSON lines (Connection: Upgrade, Upgrade: room-channel)',
    template: 'GET /channel switches to JSON lines: send Connection: Upgrade and Upgrade: room-channel',
  },
  unsupported_media_type: {
    status: 415,
    exit: EXIT.usage,
    meaning: 'a body that is not application/json or UTF-8 text/plain',
    template: 'send application/json (an event) or text/plain; charset=utf-8 (a message)',
  },
  content_too_large: {
    status: 413,
    exit: EXIT.usage,
    meaning: 'message content (or a command parameter) over the per-message limit, in bytes of UTF-8',
    template: 'content is too large: at most {limit} bytes of UTF-8',
    messages: {
      content: 'content is {bytes} bytes; at most {limit} (64 KiB) are allowed',
      status: 'a status is at most {limit} bytes of UTF-8; this one has {bytes}',
    },
  },
  body_too_large: {
    status: 413,
    exit: EXIT.usage,
    meaning: 'a request body over the request limit, in bytes',
    template: 'request body too large: at most {limit} bytes',
    messages: {
      session: 'the session request is too large',
      channel_line: 'a channel line is at most {limit} bytes: the channel is closed',
    },
  },
  headers_too_large: {
    status: 431,
    exit: EXIT.usage,
    meaning: 'request headers over the HTTP parser limit',
    template: 'request headers too large',
  },
  missing_token: {
    status: 401,
    exit: EXIT.auth,
    meaning: 'no token given',
    template: 'missing token: send "Authorization: Bearer <token>" (get one with room join)',
    messages: {
      api_call: 'every API call needs Authorization: Bearer <token>',
      new_address: 'a new address needs Authorization: Bearer <token>',
      no_file: 'no token file {path} (room join <room-id> <username> writes one)',
      not_in_file: 'no token in {path}: expected a token record from room join, or the token alone',
      none_given:
        'no token: pass -t <token>, --token-file <path> or set ROOM_TOKEN (get one with: room join <room-id> <username>)',
      web: 'no username and no token: give a username, or a token with -t, --token-file or ROOM_TOKEN',
    },
  },
  invalid_token: {
    status: 401,
    exit: EXIT.auth,
    meaning: 'an unknown or revoked token',
    template: 'invalid or revoked token: run room join again for a new one',
    messages: {
      control_character: 'the token holds a line break or control character: no token has one',
      address_used: 'this address was already opened, or it expired: run room web again for a new one',
      not_in_room: 'the token is not valid in room {room}',
      no_state: 'room {room} has no state in {dir}: nobody has joined it yet (room join {room} <username>)',
      no_state_web:
        'room {room} has no state in {dir}: nobody has joined it yet, so no token is valid there (room web {room} <username> creates it)',
      no_state_session:
        'room {room} has no state in {dir}: nobody has joined it yet, so no token is valid there (leave the token out to create it as {name})',
      revoked_in_room: 'invalid or revoked token for room {room}: run room join {room} <username> for a new one',
      kicked: 'you were kicked from {room}: your token is revoked',
      revoked_since: 'your token for room {room} was revoked: run room join {room} <username> for a new one',
      record_json_cli:
        'the token looks like the JSON of a token record: pass the file with --token-file PATH, or its "token" field',
      record_json_web: 'the token looks like the JSON of a token record: pass its "token" field, or --token-file PATH',
      record_json_session:
        'the token looks like the JSON of a token record: pass its "token" field, or no token at all (a taken name\'s record is then read by the session)',
      given_not_valid: 'the token given (-t or ROOM_TOKEN) is not valid in room {room}',
      other_user: 'the token given belongs to {owner}, not {name}',
      host_revoked:
        "room {room}'s host has no valid token (revoked by /clear-tokens?): join again as the host, or pass a host token with --token-file",
    },
  },
  unsupported_auth_scheme: {
    status: 401,
    exit: EXIT.auth,
    meaning: 'an Authorization header with a scheme other than Bearer',
    template: 'the Authorization header uses the {scheme} scheme: send "Authorization: Bearer <token>"',
  },
  name_taken: {
    status: 409,
    exit: EXIT.nameUnavailable,
    meaning: 'the name holds a live token, or is reserved',
    template: 'the name {name} is already taken in this room',
    messages: {
      reserved: 'the name "{name}" is reserved for the broker',
      other_case: 'the name {name} is already taken in this room (as {shown}; names are unique regardless of case)',
      variants_online: '{name} and {count} variants are online: pass --name',
      no_record:
        '{taken}, and no token record was found for it: pass its token with --token-file or ROOM_TOKEN, or pick another name',
      record_invalid:
        '{taken}, and the token record holds no valid token for it: pass its token with --token-file or ROOM_TOKEN, or pick another name',
      record_hint:
        'if it is yours, its token record {record} is still valid: pass --token-file {record} to send, poll and watch, or run: export ROOM_TOKEN=$(jq -r .token {record})',
    },
  },
  claim_conflict: {
    status: 409,
    exit: EXIT.denied,
    meaning: 'a claim that overlaps an open claim of someone else',
    template:
      '{what} is claimed by {holder} since {since} ({ago}): "{text}"; ask {holder} to release it, or take it over with /claim {asked} --force',
  },
  claim_not_found: {
    status: 404,
    exit: EXIT.usage,
    meaning: 'a release of something the caller does not hold',
    template: 'you hold no claim on {what} (yours: {yours})',
    messages: {
      holding_none: 'you hold no claim on {what} (you hold none)',
      none: 'you hold no claim (you hold none)',
    },
  },
  user_kicked: {
    status: 403,
    exit: EXIT.nameUnavailable,
    meaning: 'the host kicked this name',
    template: '{name} was kicked from this room; the host can /reauth {name}',
    messages: {
      room: '{name} was kicked from {room}; the host can /reauth it',
    },
  },
  permission_denied: {
    status: 403,
    exit: EXIT.denied,
    meaning: 'a host-only command from someone else',
    template: 'permission denied: admin commands are restricted to the room host',
    messages: {
      wrong_host: 'wrong Host header {host}: this gateway answers only to {expected}',
      wrong_origin: 'requests from {origin} are refused: this gateway serves only its own page',
    },
  },
  broker_unreachable: {
    status: 503,
    exit: EXIT.unreachable,
    meaning: 'no broker answers on the socket',
    template: 'cannot reach the broker on {socket}',
    clientOnly: true,
    messages: {
      connect: 'cannot connect to {path}: {detail}',
      already_listening: 'a broker is already listening on {path}',
      already_running: 'another broker (pid {pid}) already runs room {room} (lock: {lock})',
      lock_starting: 'another broker (one that is starting) already runs room {room} (lock: {lock})',
      no_answer: 'the broker for {room} did not answer: {detail}',
      not_running: 'no broker is running on {socket}',
      room_not_running:
        'no broker is running for room {room} (it was stopped, or never started): open the room (room {room} <name>) or run room join {room} <name> to start it',
      failed: 'cannot reach the broker on {socket}: {detail}',
      connection_failed: 'connection failed ({detail}) on {socket}',
      start_failed: 'the broker for {room} failed to start: {why} (log: {log})',
      start_exited: 'the broker for {room} failed to start: it exited with code {exit} before answering (log: {log})',
      start_timeout: 'the broker for {room} did not answer within {seconds} s (log: {log})',
      lock_timeout: 'the broker of {room} (pid lock {lock}) did not answer within {seconds} s',
      start_wait: 'timed out waiting for another client to start the broker for {room} (lock: {lock})',
      session_ended: 'the live session ended as it started',
      session_over: 'not sent: the live session in {room} has ended',
      exited:
        'room {room} was shut down by its host (/exit), and room send does not start it again: open the room (room {room} <name>) to start it',
      exited_here:
        "this machine's broker of room {room} was stopped (room stop or /exit): the room goes on on the other machines, and room send does not start it again here: room join {room} <name> or opening the room starts it",
    },
  },
  room_closing: {
    status: 503,
    exit: EXIT.unreachable,
    meaning: 'the broker is shutting down',
    template: 'the room is shutting down',
    messages: {
      room: '{room} is shutting down: nothing more is stored',
    },
  },
  nats_unreachable: {
    status: 503,
    exit: EXIT.unreachable,
    meaning:
      'the room is shared through NATS and its NATS server cannot be reached: nothing was stored or changed, unless the message says the server may have stored it (retry with the same Idempotency-Key); reads go on from the local history',
    template: 'the NATS server of this room ({url}) cannot be reached: nothing was stored',
    messages: {
      because: 'the NATS server of this room ({url}) cannot be reached: nothing was stored ({detail})',
      no_jetstream: 'the NATS server of this room ({url}) has no JetStream: {detail} (run nats-server -js)',
      not_stored: 'the NATS server of this room ({url}) did not store the event: {detail}; it was not acknowledged',
      not_answered:
        'the NATS server of this room ({url}) did not answer within {seconds} s: the event may be stored all the same (it then appears in the history); send it again with the same Idempotency-Key to have it stored once',
      not_mirrored:
        "the event was stored in the room's stream (seq {seq}) but has not reached this machine's history within {seconds} s",
      connect: 'cannot connect to the NATS server of this room ({servers}): {detail} (credentials: {source})',
      change:
        'cannot {what}: the NATS server of this shared room cannot be reached (nothing was changed; try again when it is back)',
      change_because:
        'cannot {what}: the NATS server of this shared room cannot be reached (nothing was changed; try again when it is back) ({detail})',
    },
  },
  watch_timeout: {
    status: 408,
    exit: EXIT.timeout,
    meaning: 'room watch timed out with nothing new',
    template: 'nothing new within {seconds} s',
    clientOnly: true,
  },
  unsafe_path: {
    status: 500,
    exit: EXIT.internal,
    meaning: 'a file refused as unsafe (symlink, wrong owner or type)',
    template: 'refusing {path}: {why}',
    messages: {
      room_dir_writable:
        "refusing ROOM_DIR {dir}: every user can write to it and it is not sticky, so others could delete or replace room's files; use a private folder, or chmod +t {dir}",
    },
  },
  disk_full: {
    status: 507,
    exit: EXIT.internal,
    meaning: 'the history could not be written: the disk is full (nothing was stored)',
    template: 'the history file {path} cannot grow: the disk is full (nothing was stored)',
  },
  history_write_failed: {
    status: 500,
    exit: EXIT.internal,
    meaning: 'the history could not be written (nothing was stored)',
    template: 'writing the history file {path} failed ({detail}); nothing was stored',
  },
  internal: {
    status: 500,
    exit: EXIT.internal,
    meaning: 'a bug in room',
    template: 'internal error',
    messages: {
      corrupt_state: 'corrupt room state file {path}: {detail}',
      unrecognised_state: 'unrecognised room state file {path}',
      unexpected_answer: 'unexpected answer {status} from the broker: {body}',
      unexpected: 'internal error: {detail}',
      still_running: "room {room}'s broker accepted /exit but is still running",
      mirror_ahead:
        "this machine's history of room {room} reaches seq {mirrored}, but the stream {stream} on {url} ends at {last}: it is not the stream this history came from (deleted and made again, or another NATS system); move the history file away to start from the stream",
      mirror_foreign:
        "this machine's history of room {room} ends with event {id} at seq {seq}, but the stream {stream} on {url} holds another event at seq {seq}: it is not the stream this history came from (deleted and made again, or another NATS system); move the history file away to start from the stream",
    },
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Every code, in table order: the ErrorResponse enum. */
export const ERROR_CODES = /* @__PURE__ */ Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

type Table = typeof ERRORS;
type VariantOf<C extends ErrorCode> = Table[C] extends { messages: infer M } ? keyof M & string : never;

/** A message of the table: a code (its default template) or `<code>.<name>` (one of its named messages). */
export type MessageKey = ErrorCode | { [C in ErrorCode]: `${C}.${VariantOf<C>}` }[ErrorCode];

type TemplateOf<K extends MessageKey> = K extends `${infer C extends ErrorCode}.${infer V}`
  ? Table[C] extends { messages: infer M }
    ? M[V & keyof M]
    : never
  : Table[K & ErrorCode]['template'];

/** The `{name}` placeholders of a template (a brace pair holding anything but a word, like `{"a": 1}`, is text). */
type Placeholders<T> = T extends `${string}{${infer P}}${infer Rest}`
  ? (P extends `${string}${' ' | '"' | ':' | '{'}${string}` | '' ? never : P) | Placeholders<Rest>
  : never;

type Values = Readonly<Record<string, string | number>>;

/** What `roomError(key, …)` takes after the key: the template's values (required when it has placeholders), options. */
export type MessageArgs<K extends MessageKey> = [Placeholders<TemplateOf<K>>] extends [never]
  ? [values?: Values, options?: ErrorOptions]
  : [values: Readonly<Record<Placeholders<TemplateOf<K>>, string | number>>, options?: ErrorOptions];

/** The code a message key belongs to: the part before the dot. */
export function codeOf(key: MessageKey): ErrorCode {
  const dot = key.indexOf('.');
  return (dot === -1 ? key : key.slice(0, dot)) as ErrorCode;
}

/** The template of a message key. */
export function templateOf(key: MessageKey): string {
  const spec: ErrorSpec = ERRORS[codeOf(key)];
  const dot = key.indexOf('.');
  return dot === -1 ? spec.template : (spec.messages?.[key.slice(dot + 1)] ?? spec.template);
}

/** The key's template with `{name}` replaced by `values.name` (left as is when no value is given). */
export function errorMessage(key: MessageKey, values: Values = {}): string {
  return templateOf(key).replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

/** The one error type of room. The broker sends it as `{code, message}`. */
export class RoomError extends Error {
  readonly code: ErrorCode;

  /**
   * `instanceof RoomError` holds for a RoomError made by any copy of this
   * class: the bundled CLI loads each one-shot command as a self-contained
   * file with its own copy (scripts/build.ts).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isRoomError(value);
  }

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RoomError';
    this.code = code;
    Object.defineProperty(this, ROOM_ERROR_BRAND, { value: true });
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
}

/**
 * The way to make a RoomError: its code and message from the table's entry
 * `key` (a code, or `<code>.<name>`), the template filled from `values`.
 */
export function roomError<K extends MessageKey>(key: K, ...[values, options]: MessageArgs<K>): RoomError {
  return new RoomError(codeOf(key), errorMessage(key, values), options);
}

/**
 * A RoomError decoded from what the broker sent or logged: its message was
 * made from this table there. Only the decoders use it (shared/error-response.ts,
 * client/broker-start.ts; test/error-table.test.ts checks).
 */
export function receivedError(code: ErrorCode, message: string): RoomError {
  return new RoomError(code, message);
}

/** `error` with where it came from in front of its message (`ROOM_TOKEN_FILE: no token file …`); same code. */
export function withContext(error: RoomError, context: string): RoomError {
  return new RoomError(error.code, `${context}: ${error.message}`, { cause: error });
}

/** `error` with a hint after its message (a message of the table, or a usage line), on a line of its own by default; same code. */
export function withHint(error: RoomError, hint: string, separator = '\n'): RoomError {
  return new RoomError(error.code, `${error.message}${separator}${hint}`, { cause: error });
}
