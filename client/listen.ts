// A listening stream (GET /listen) on node:http, for clients that read the
// history file themselves (room follow, a waiting room watch): while it is
// open the broker lists the user as listening, every new event pokes the
// reader awake, and the broker's `event: close` says why it ended (kick,
// revocation, /exit, shutdown). node:http and node:net are loaded on first
// use (process.getBuiltinModule), so watch stays a lean one-shot.
import type { CloseReason } from '../shared/api.ts';
import type { RoomError } from '../shared/errors.ts';
import { errorFrom } from './http.ts';

export interface ListenHandlers {
  /** The broker accepted the stream: the user now counts as listening. */
  readonly onOpen?: () => void;
  /** A new event was published (it is already in the history file). */
  readonly onEvent: () => void;
  /**
   * The stream is over: `reason` is the broker's close reason, `error` its
   * refusal (a bad token), or both null when the connection failed or was cut.
   */
  readonly onEnd: (end: { reason: CloseReason | null; message: string; error: RoomError | null }) => void;
}

export interface Listener {
  close(): void;
}

/** Opens GET /listen on the room's socket; `onEnd` is called exactly once unless close() comes first. */
export function listen(socketPath: string, token: string, handlers: ListenHandlers): Listener {
  const http = process.getBuiltinModule('node:http');
  const net = process.getBuiltinModule('node:net');
  let ended = false;
  const end = (reason: CloseReason | null, message: string, error: RoomError | null) => {
    if (ended) return;
    ended = true;
    handlers.onEnd({ reason, message, error });
  };
  const req = http.request(
    {
      createConnection: () => net.connect(socketPath),
      method: 'GET',
      path: '/listen',
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    },
    (res) => {
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => end(null, '', errorFrom({ status: res.statusCode ?? 0, body })));
        res.on('error', () => end(null, 'the listening stream was cut', null));
        return;
      }
      handlers.onOpen?.();
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let split = buffer.indexOf('\n\n'); split !== -1; split = buffer.indexOf('\n\n')) {
          const frame = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          if (/^event: close$/m.test(frame)) {
            const data = /^data: (.*)$/m.exec(frame)?.[1] ?? '{}';
            try {
              const close = JSON.parse(data) as { reason?: CloseReason; message?: string };
              end(close.reason ?? null, close.message ?? '', null);
            } catch {
              end(null, 'the listening stream was cut', null);
            }
          } else if (/^data: /m.test(frame)) {
            handlers.onEvent();
          }
        }
      });
      res.on('end', () => end(null, 'the listening stream was cut', null));
      res.on('error', () => end(null, 'the listening stream was cut', null));
    },
  );
  req.on('error', () => end(null, 'no broker to listen to', null));
  req.end();
  return {
    close() {
      ended = true;
      req.destroy();
    },
  };
}
