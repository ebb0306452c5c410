#!/bin/sh
# The system tools the test suite drives, checked before `npm test` runs it
# (the `pretest` script): Chromium for the browser tests (test/web-*),
# tmux for the terminal UI (test/tui-*), nats-server (JetStream) for shared
# rooms (test/nats-*). On a Debian machine where we are
# root (CI, a fresh development machine) the missing ones are installed
# with apt-get; anywhere else this says what to install and fails, so a
# missing tool is never mistaken for a failing test.
# One line per tool: `need <command-or-path> <debian-package>`.
set -eu
missing=''
need() {
  if ! command -v "$1" > /dev/null 2>&1 && ! [ -x "$1" ]; then missing="$missing $2"; fi
}
need "${ROOM_CHROMIUM:-/usr/bin/chromium}" chromium
need tmux tmux
need "${ROOM_NATS_SERVER:-nats-server}" nats-server
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then
  echo "test-tools: installing$missing (apt-get)" >&2
  apt-get update > /dev/null
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing > /dev/null
  exit 0
fi
echo "test-tools: the tests need$missing: install them (Debian: sudo apt-get install$missing;" >&2
echo "test-tools: for the browser tests ROOM_CHROMIUM may name another Chrome or Chromium)" >&2
exit 1
