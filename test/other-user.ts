// A second Unix user for tests of what another local user can do (root
// only: CI runs as root). Created per test and removed afterwards.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ROOT } from './helpers.ts';

const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');

export interface OtherUser {
  readonly uid: number;
  readonly gid: number;
  /** Starts a listener as this user at `path` that records whatever reaches it; it is killed before the user is removed. */
  plant(path: string): { readonly received: () => string; readonly ready: () => boolean };
}

/** A second Unix user for the test (root only), removed afterwards; null with a printed reason otherwise. */
export function otherUser(t: TestContext): OtherUser | null {
  if (process.getuid?.() !== 0) {
    console.log('# skipped: not root, so no second Unix user can be created (CI runs as root)');
    t.skip('needs root to create a second Unix user');
    return null;
  }
  const name = `roomt${process.pid}${Math.floor(Math.random() * 1000)}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    execFileSync('userdel', [name]);
  });
  return {
    uid,
    gid,
    plant(path) {
      const script = `require('net').createServer((c) => { process.stdout.write('connection\\n'); c.on('data', (d) => process.stdout.write(d)); }).listen(${JSON.stringify(path)}, () => process.stdout.write('ready\\n'));`;
      const child = spawn(NODE, ['-e', script], { uid, gid, stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(child);
      let received = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      return { received: () => received.replace('ready\n', ''), ready: () => received.startsWith('ready') };
    },
  };
}
