// One name per Claude Code session: `<prefix>-<8 characters of the session
// id>`. Claude Code keeps the session id across --resume and compaction, so
// a resumed or compacted session keeps its name, token record and cursor;
// two sessions have different ids, so they never share them. An id that is
// not a UUID (other hosts) is hashed into the same alphabet.
// node:crypto is loaded only for such an id: loading it costs a hook that
// runs on every prompt several milliseconds.
export function sessionName(prefix: string, sessionId: string): string {
  const hex = /^[0-9a-f]{8}/i.exec(sessionId)?.[0].toLowerCase();
  const hash = () => process.getBuiltinModule('node:crypto').createHash('sha256').update(sessionId).digest('hex');
  return `${prefix}-${hex ?? hash().slice(0, 8)}`;
}
