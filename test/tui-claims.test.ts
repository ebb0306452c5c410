// The terminal UI's title shows what each online user holds (GET /claims)
// beside their name, where it fits: the first claim, cut, and how many more;
// left out when it would push users out of the title.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Claim } from '../shared/claims.ts';
import { titleLine } from '../client/tui/chrome.ts';
import { lineText } from '../client/tui/theme.ts';
import { stateWith } from './tui-fixtures.ts';

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
