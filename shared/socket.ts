// Is a broker answering on a socket path? Used by clients before starting a
// broker and by a broker before replacing a leftover socket file.
import { connect } from 'node:net';
import { lstatSync } from 'node:fs';
import { RoomError } from './errors.ts';

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
      else if (error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK') resolve('stale');
      else reject(new RoomError('broker_unreachable', `cannot connect to ${path}: ${error.message}`));
    });
  });
}

/** Refuses a socket path that is a symlink or not ours, before anything connects to it. */
export function checkSocketPath(path: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) throw new RoomError('unsafe_path', `refusing ${path}: it is a symbolic link`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw new RoomError('unsafe_path', `refusing ${path}: it belongs to another user`);
}
