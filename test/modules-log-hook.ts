// Loaded with `--import` (through NODE_OPTIONS) into the processes a test
// starts: appends `<pid> <url>` of every module they load to the file
// $ROOM_TEST_MODULES_LOG (the CLI passes ROOM_* and NODE_* on to the broker),
// and, as the process exits, `<pid> node:internal <name>` of every module of
// Node's own it loaded (those never pass through the hooks).
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const log = process.env.ROOM_TEST_MODULES_LOG;
if (log !== undefined) {
  registerHooks({
    load(url, context, next) {
      appendFileSync(log, `${process.pid} ${url}\n`);
      return next(url, context);
    },
  });
  process.on('exit', () => {
    // Node's list of what it loaded (undocumented, stable for years): `NativeModule <name>`, `Internal Binding <name>`.
    const { moduleLoadList } = process as unknown as { moduleLoadList: readonly string[] };
    const internal = moduleLoadList.filter((m) => m.startsWith('NativeModule '));
    appendFileSync(
      log,
      internal.map((m) => `${process.pid} node:internal ${m.slice('NativeModule '.length)}\n`).join(''),
    );
  });
}
