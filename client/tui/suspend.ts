// Ctrl-Z, as in every terminal program: the process stops as a shell job
// (SIGTSTP, whose default action stops it), and carries on when the shell's
// `fg` sends SIGCONT. Ink hands the terminal back around it (suspendTerminal:
// primary screen, line mode) and redraws the whole frame afterwards.

/** Stops this process; resolves once it has been continued. */
export function stopUntilContinued(): Promise<void> {
  // Listening first: the stop takes effect as the signal is sent.
  const continued = new Promise<void>((resolve) => process.once('SIGCONT', () => resolve()));
  process.kill(process.pid, 'SIGTSTP');
  return continued;
}
