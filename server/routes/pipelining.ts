// HTTP/1.1 pipelining and reading your own writes. Node dispatches every
// request a connection has sent at once and writes their responses in
// order, one at a time, each in turn as the socket's `_httpMessage`. So a
// read pipelined behind a send runs before the send's body is even read,
// and would miss it; and an upgrade pipelined behind requests would answer
// 101 before them. Both wait until the responses ahead of them are written.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Resolves once the responses Node writes on this connection ahead of `own`
 * (or ahead of an upgrade, which has none) are sent, or the connection
 * closed; undefined when none is ahead (the usual case: nothing to wait for).
 */
export function earlierResponsesSent(socket: Socket, own?: ServerResponse): Promise<void> | undefined {
  const ahead = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (ahead === null || ahead === undefined || ahead === own || socket.destroyed) return undefined;
  return new Promise((resolve) => {
    // Node's own 'finish' listener, added first, hands the socket to the next response.
    const next = () => {
      ahead.off('finish', next);
      ahead.off('close', next);
      resolve(earlierResponsesSent(socket, own));
    };
    ahead.once('finish', next);
    ahead.once('close', next);
  });
}
