// Is a broker answering on a socket path? Used by clients before starting a
// broker and by a broker before replacing a leftover socket file. Check the
// path first (checkSocketPath in shared/safe-fs.ts).
import { connect } from 'node:net';
import { roomError } from './errors.ts';

export type SocketState = 'alive' | 'stale' | 'missing';

/**
 * `alive`: something accepts connections; `stale`: a file is there but
 * nobody listens (a crashed broker); `missing`: no file.
 */
export function probeSocket(path: string, timeoutMs = 1000): Promise<SocketState> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('alive'); // accepted but slow: someone is there
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('alive');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') resolve('missing');
      // ECONNRESET: the connection was waiting to be accepted when the listener closed (a broker
      // shutting down, as `room stop` waits for): nobody listens any more.
      else if (error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK' || error.code === 'ECONNRESET')
        resolve('stale');
      else reject(roomError('broker_unreachable.connect', { path, detail: error.message }));
    });
  });
}
