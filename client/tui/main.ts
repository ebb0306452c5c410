// The terminal UI, `room <room-id> <username>`: joins like agent mode does,
// then runs full screen on the terminal's alternate screen until the user
// quits (Ctrl-C, SIGTERM, SIGHUP) or the broker ends the session. Whatever
// ends it, Ink restores the terminal (primary screen, cursor, line mode,
// bracketed paste and keyboard protocol off) before anything is printed.
//
// Exit codes: 0 after quitting, /exit, a kick or revoked tokens (each is
// said on stderr); 3 when the broker was lost for good.
import { EXIT, roomError } from '../../shared/errors.ts';
import { roomPaths } from '../../shared/paths.ts';
import { ensureBroker } from '../broker-start.ts';
import { CursorFile } from '../cursor.ts';
import type { Cli } from '../cli.ts';
import type { SessionOptions } from '../commands/session.ts';
import { BrokerClient } from '../live/broker-client.ts';
import { giveUpMsFrom } from '../live/give-up.ts';
import { resolveIdentity } from '../live/identity.ts';
import type { SessionEnd } from '../live/session.ts';
import { explainEnd } from './ending.ts';
import { drawableSize } from './layout.ts';
import { RoomLink } from './link.ts';
import { initialState } from './state.ts';
import { Store } from './store.ts';
import { colorEnabled, stylesDrawn } from './theme.ts';

const QUIT_SIGNALS = ['SIGTERM', 'SIGHUP'] as const;

export async function runTui(options: SessionOptions, cli: Cli): Promise<number> {
  if (!cli.stdin.isTTY || !cli.stdout.isTTY) {
    throw roomError('usage.tui_needs_terminal');
  }
  const giveUpMs = giveUpMsFrom(cli.env);
  const paths = roomPaths(cli.dir, options.roomId);
  await ensureBroker(paths, { chat: options.chat, nats: options.nats });
  const client = new BrokerClient(paths.socket);
  try {
    const identity = await resolveIdentity(client, paths, options.username, options.token);
    const store = new Store(
      initialState(
        paths.room,
        identity.user,
        identity.host,
        drawableSize({ columns: cli.stdout.columns || 80, rows: cli.stdout.rows || 24 }),
      ),
    );
    store.dispatch({ type: 'users', users: await client.users(identity.token) });
    // Read only: the UI shows where poll/watch left off and never moves that cursor.
    store.dispatch({ type: 'leftOff', id: new CursorFile(paths, identity.user).read()?.id ?? null });
    const link = new RoomLink({ client, paths, token: identity.token, history: options.history, giveUpMs, store });
    const end = explainEnd(await show(cli, store, link), paths, identity.user);
    return report(cli, end, await link.unsent());
  } finally {
    await client.close();
  }
}

/**
 * Runs the UI until the session ends; the terminal is restored when this
 * returns. An error anywhere in the UI (a render, a send) ends the session
 * too, and is thrown once the terminal is back, so it can be read.
 */
async function show(cli: Cli, store: Store, link: RoomLink): Promise<SessionEnd> {
  const [{ render }, { default: React }, { App }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./components/App.ts'),
  ]);
  let crash: { error: unknown } | null = null;
  const fail = (error: unknown) => {
    crash ??= { error };
    link.stop();
  };
  const quit = () => link.stop();
  const onSend = (text: string) => void link.send(text).catch(fail);
  // Ctrl-L: Ink forgets the frame it drew (clear), the terminal is wiped, and
  // the next render, forced by rerender, draws every row again.
  const redraw = () => {
    ink.clear();
    cli.stdout.write('\x1b[H\x1b[2J');
    ink.rerender(app());
  };
  const app = () =>
    React.createElement(App, {
      store,
      color: colorEnabled(cli.env),
      terminalCursor: !stylesDrawn(cli.env),
      onSend,
      onQuit: quit,
      onRedraw: redraw,
    });
  const ink = render(app(), {
    stdin: cli.stdin,
    stdout: cli.stdout,
    // Both are terminals (checked above): Ink must not fall back to its
    // one-frame-at-exit mode because the environment looks like CI.
    interactive: true,
    alternateScreen: true,
    exitOnCtrlC: false,
    // Each changed row is written whole. Ink's incremental mode rewrites only
    // the changed end of a row, placed by its own measure of the start: a
    // grapheme the terminal draws wider (👍🏽 in tmux) then puts it in the
    // wrong columns and the screen no longer matches the frame.
    incrementalRendering: false,
    // Ink draws at most this many frames a second, a frame that comes sooner
    // waits for the next slot: at its default (30) a key typed just after a
    // flush of events waited up to 34 ms before it was drawn. Events are
    // already drawn at most every FLUSH_MS (link.ts), so the cap only paces
    // typing, which needs its frame at once.
    maxFps: 120,
    kittyKeyboard: { mode: 'auto' },
  });
  for (const signal of QUIT_SIGNALS) process.on(signal, quit);
  // Ink unmounts by itself only on a render error, and then has already left the alternate screen.
  let inkDone = false;
  const exited = ink.waitUntilExit().then(
    () => {
      inkDone = true;
    },
    (error: unknown) => {
      inkDone = true;
      fail(error);
    },
  );
  try {
    const end = await link.run();
    if (!inkDone) await blankAlternateScreen(ink, cli);
    ink.unmount();
    await exited;
    if (crash !== null) throw (crash as { error: unknown }).error;
    return end;
  } finally {
    for (const signal of QUIT_SIGNALS) process.off(signal, quit);
    ink.unmount();
  }
}

/**
 * Leaves the alternate screen empty, so that Ink's unmount switches back from
 * a blank one. Whatever is on the alternate screen when it is left can leak
 * into the primary screen: in tmux (3.3a), once the pane shrank and then grew
 * while the alternate screen was on, rows of it end up in the primary screen's
 * scrollback and on screen above the shell's lines (when the shell has
 * history). A blank alternate screen leaves nothing to leak. Ink redraws the
 * whole frame when it unmounts a full-screen frame, so Ink has to forget the
 * frame first (its final render is then a no-op) and the erase comes after:
 * home, erase down, the sequence Ink's own full clears use.
 */
async function blankAlternateScreen(
  ink: { waitUntilRenderFlush(): Promise<void>; clear(): void },
  cli: Cli,
): Promise<void> {
  await ink.waitUntilRenderFlush(); // no frame pending that unmount would flush over the blank screen
  ink.clear();
  cli.stdout.write('\x1b[H\x1b[J');
}

/**
 * On the restored screen: how many typed texts the end left unsent, and why
 * the session ended unless the user quit. The exit code.
 */
function report(cli: Cli, end: SessionEnd, unsent: { queued: number; unanswered: number }): number {
  if (unsent.unanswered > 0)
    cli.err('room: 1 message was sent but not answered before the session ended: the room may have it or not');
  if (unsent.queued > 0)
    cli.err(
      `room: ${unsent.queued} message${unsent.queued === 1 ? ' was' : 's were'} not sent: the session ended first`,
    );
  if (end.reason === 'stopped') return EXIT.ok;
  cli.err(`room: ${end.message}`);
  return end.reason === 'lost' ? EXIT.unreachable : EXIT.ok;
}
