// HTTP/1.1 pipelining and reading your own writes. Node dispatches every
// request a connection has sent at once and queues their responses in
// order, so a read pipelined behind a send runs before the send's body is
// even read, and would miss it. A read whose response waits behind earlier
// ones on its connection therefore waits until they are answered (its
// response gets the socket: the send before it is stored), then reads.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Resolves once the responses before this one on its connection are sent (at once when there are none), or the connection closed. */
export function afterEarlierAnswers(request: IncomingMessage, response: ServerResponse): Promise<void> | undefined {
  if (response.socket !== null) return undefined;
  return new Promise((resolve) => {
    const connection = request.socket;
    const done = () => {
      response.off('socket', done);
      connection.off('close', done);
      resolve();
    };
    response.once('socket', done);
    connection.once('close', done);
  });
}
