// The composer's completion (client/web/page/completion.ts), as pure logic:
// the / palette from shared/commands.ts, host-only commands for the host,
// @names, and a command's user argument.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suggest } from '../client/web/page/completion.ts';
import { COMMANDS } from '../shared/commands.ts';

const source = { names: ['bob', 'Bea', 'carol'], isHost: false };

test('/ lists every command anyone may run; the host also gets the host-only ones', () => {
  const all = suggest('/', 1, source);
  assert.deepEqual(
    all?.items.map((i) => i.insert),
    COMMANDS.filter((c) => !c.admin).map((c) => `/${c.name} `),
  );
  assert.equal(suggest('/', 1, { ...source, isHost: true })?.items.length, COMMANDS.length);
  assert.deepEqual(
    suggest('/se', 3, source)?.items.map((i) => i.label),
    ['/set_status [text…]'],
  );
  assert.equal(suggest('/nothing', 8, source), undefined);
  assert.equal(suggest('/who ', 5, source), undefined, 'no palette once the name is typed');
});

test('@ completes names (case-insensitive), anywhere in the text', () => {
  const found = suggest('ping @b', 7, source);
  assert.deepEqual(found, {
    from: 5,
    to: 7,
    items: [
      { label: '@Bea', detail: '', insert: '@Bea ' },
      { label: '@bob', detail: '', insert: '@bob ' },
    ],
  });
  assert.equal(suggest('mail@b', 6, source), undefined, 'not inside a word');
  assert.equal(suggest('@z', 2, source), undefined);
});

test("a command's user argument completes without the @", () => {
  assert.deepEqual(suggest('/dm ca', 6, source), {
    from: 4,
    to: 6,
    items: [{ label: 'carol', detail: '', insert: 'carol ' }],
  });
  assert.deepEqual(
    suggest('/kick @bo', 9, { ...source, isHost: true })?.items.map((i) => i.insert),
    ['bob '],
  );
  assert.deepEqual(suggest('/kick @bo', 9, { ...source, isHost: true })?.from, 6);
  assert.equal(suggest('/claim ca', 9, source), undefined, '/claim takes no user');
});
