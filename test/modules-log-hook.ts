// Loaded with `--import` (through NODE_OPTIONS) into the processes a test
// starts: appends `<pid> <url>` of every module they load to the file
// $ROOM_TEST_MODULES_LOG (the CLI passes ROOM_* and NODE_* on to the broker).
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const log = process.env.ROOM_TEST_MODULES_LOG;
if (log !== undefined)
  registerHooks({
    load(url, context, next) {
      appendFileSync(log, `${process.pid} ${url}\n`);
      return next(url, context);
    },
  });
