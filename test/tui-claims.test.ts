// The terminal UI's title shows what each online user holds (GET /claims)
// beside their name, where it fits: the first claim, cut, and how many more;
// left out when it would push users out of the title. End to end: the UI in
// a real terminal asks the broker again when a claim, release or lease ending
// arrives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Claim } from '../shared/claims.ts';
import { titleLine } from '../client/tui/chrome.ts';
import { lineText } from '../client/tui/theme.ts';
import { stateWith } from './tui-fixtures.ts';
import { ROOM_BIN, RoomDir } from './helpers.ts';
import { Tmux } from './tui-tmux.ts';

const claim = (user: string, what: string): Claim => ({
  what,
  kind: 'path',
  user,
  since: '2026-11-25T22:00:00.000Z',
  text: what,
});

const online = (...users: string[]) => users.map((user) => ({ user, status: '', sessions: 1 }));

test('the title shows each holder their claims beside their name, and drops them when they do not fit', () => {
  const claims = [
    claim('bob', 'src/parser.ts'),
    claim('bob', 'docs/'),
    claim('alice', 'a-very-long-folder-name/inside/it'),
  ];
  const state = stateWith(
    [
      { type: 'users', users: { you: 'alice', host: 'alice', online: online('alice', 'bob', 'carl'), recent: [] } },
      { type: 'claims', claims },
      { type: 'connection', connection: 'live' },
    ],
    { columns: 120 },
  );
  const title = lineText(titleLine(state, 120));
  assert.match(title, /3 online: alice \(host\) \[a-very-long-folder-.*\], bob \[src\/parser\.ts \+1\], carl +● live/);
  // Too narrow for the claims but not for the users: the users stay, the claims go.
  const narrow = lineText(titleLine(state, 50));
  assert.match(narrow, /alice \(host\), bob, carl/);
  assert.doesNotMatch(narrow, /\[/);
  // Released: gone from the title.
  const released = stateWith(
    [
      { type: 'users', users: { you: 'alice', host: 'alice', online: online('alice', 'bob'), recent: [] } },
      { type: 'claims', claims },
      { type: 'claims', claims: [] },
    ],
    { columns: 120 },
  );
  assert.doesNotMatch(lineText(titleLine(released, 120)), /\[/);
});

test("in a real terminal, the title follows others' /claim and /release as they arrive", {
  timeout: 60_000,
}, async (t) => {
  const tmux = new Tmux(t);
  const dir = RoomDir.create(t);
  await dir.join('demo', 'alice');
  await dir.join('demo', 'bob');
  const bob = ['--token-file', dir.file('room-demo-bob.token')];
  await tmux.window('alice', dir.env);
  await tmux.line('alice', `${ROOM_BIN} demo alice`);
  await tmux.waitFor('alice', (s) => s.includes('● live'), "alice's UI");
  const agent = dir.spawn(['demo', 'bob', '--agent', ...bob]); // bob online: a live session
  await tmux.waitForText('alice', /2 online: alice \(host\), bob/);
  assert.equal((await dir.run(['send', 'demo', ...bob, '/claim', 'src/parser.ts', 'CRLF'])).code, 0);
  await tmux.waitForText('alice', /2 online: alice \(host\), bob \[src\/parser\.ts\]/);
  assert.equal((await dir.run(['send', 'demo', ...bob, '/release'])).code, 0);
  await tmux.waitFor('alice', (s) => !s.split('\n')[0]!.includes('[src/parser.ts]'), 'the claim gone from the title');
  agent.stdin!.end();
});
