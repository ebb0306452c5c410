// The README's picture of the palette lists what the palette really offers
// the host for `/c`, in its order and words.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { paletteFor } from '../client/tui/palette.ts';
import { ROOT } from './helpers.ts';

test("the README's palette picture matches the palette for /c", () => {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const marker = readme.indexOf('<!-- palette-picture');
  assert.notEqual(marker, -1, 'the README marks its palette picture');
  const block = /```text\n([\s\S]*?)```/.exec(readme.slice(marker))![1]!;
  const typed = /^│ (\S+) +│$/m.exec(block)?.[1];
  assert.equal(typed, '/c');
  const shown = block
    .split('\n')
    .filter((line) => /^ [› ] \//.test(line))
    .map((line) => line.slice(3).split(/ {2,}/));
  const palette = paletteFor({ text: typed, cursor: typed.length }, { isHost: true, me: 'alice', names: [] });
  assert.ok(palette !== null);
  assert.deepEqual(
    shown,
    palette.items.map((item) => [item.label, item.detail]),
  );
});
