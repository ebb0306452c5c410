// The palette and completion (client/tui/palette.ts): commands filtered as
// they are typed, admin commands only for the host, usernames after @ and
// for commands that take a user.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Input } from '../client/tui/editor.ts';
import { complete, enterSends, paletteFor, type PaletteContext } from '../client/tui/palette.ts';

const at = (text: string, cursor = text.length): Input => ({ text, cursor });
const guest: PaletteContext = { isHost: false, me: 'bob', names: ['alice', 'bob', 'broker', 'carol', 'carl'] };
const host: PaletteContext = { ...guest, isHost: true, me: 'alice' };
const labels = (input: Input, ctx: PaletteContext) => paletteFor(input, ctx)?.items.map((i) => i.label) ?? null;

test('/ lists the commands with their descriptions; admin ones only for the host', () => {
  const forGuest = paletteFor(at('/'), guest)!;
  assert.equal(forGuest.kind, 'command');
  assert.deepEqual(
    forGuest.items.map((i) => i.insert),
    ['/who', '/set_status ', '/dm ', '/reply ', '/claim ', '/release ', '/claims', '/help'],
  );
  assert.match(forGuest.items[0]!.detail, /who is online/);
  const forHost = labels(at('/'), host)!;
  for (const admin of ['/kick <user>', '/reauth <user>', '/clear-tokens', '/clear', '/exit'])
    assert.ok(forHost.includes(admin), admin);
  assert.equal(labels(at('/ki'), guest), null, 'no admin command for a guest');
});

test('filtering: prefix matches first, then other matches; nothing matching closes it', () => {
  assert.deepEqual(labels(at('/s'), guest), ['/set_status [text…]']);
  assert.deepEqual(labels(at('/e'), guest), [
    '/set_status [text…]',
    '/reply <id-prefix> <message…>',
    '/release [what…]',
    '/help',
  ]);
  assert.deepEqual(labels(at('/e'), host)!.slice(0, 1), ['/exit'], 'a prefix match comes first');
  assert.deepEqual(labels(at('/cl'), host), ['/claim <what…> [--force]', '/claims', '/clear-tokens', '/clear']);
  assert.deepEqual(
    labels(at('/c'), host),
    ['/claim <what…> [--force]', '/claims', '/clear-tokens', '/clear'],
    'one character that starts names: no inner matches (/kick)',
  );
  assert.deepEqual(labels(at('/clear'), host), ['/clear', '/clear-tokens'], 'an exact match comes first');
  const clear = paletteFor(at('/clear'), host)!;
  assert.equal(
    enterSends(at('/clear'), clear, clear.items[0]!),
    true,
    'Enter on /clear sends /clear, not /clear-tokens',
  );
  assert.deepEqual(labels(at('/kick carl'), host), ['carl'], 'an exact name');
  assert.equal(labels(at('/deploy'), guest), null, 'a custom command: no palette');
  assert.equal(labels(at('/who '), guest), null, 'a space ends the command word');
  assert.equal(labels(at('hello'), guest), null);
});

test('@ completes usernames of the room (not the broker)', () => {
  const palette = paletteFor(at('thanks @ca'), guest)!;
  assert.equal(palette.kind, 'user');
  assert.deepEqual(
    palette.items.map((i) => i.label),
    ['@carol', '@carl'],
  );
  assert.deepEqual(complete(at('thanks @ca'), palette, palette.items[1]!), { text: 'thanks @carl ', cursor: 13 });
  assert.deepEqual(labels(at('@'), guest), ['@alice', '@bob', '@carol', '@carl']);
  assert.equal(labels(at('mail@ca'), guest), null, 'an @ inside a word is not a mention');
});

test('commands that take a user complete the user; /dm leaves yourself out', () => {
  assert.deepEqual(labels(at('/dm '), guest), ['alice', 'carol', 'carl']);
  assert.deepEqual(labels(at('/kick ca'), host), ['carol', 'carl']);
  assert.deepEqual(labels(at('/kick c'), host), ['carol', 'carl'], 'one character that starts names: prefixes only');
  assert.deepEqual(labels(at('/kick ro'), host), ['carol'], 'from two characters: names containing it');
  assert.deepEqual(labels(at('/dm @ca'), guest), ['@carol', '@carl'], 'a leading @ is kept');
  const withAt = paletteFor(at('/kick @ca'), host)!;
  assert.deepEqual(complete(at('/kick @ca'), withAt, withAt.items[1]!), { text: '/kick @carl ', cursor: 12 });
  assert.equal(labels(at('/dm carol hi'), guest), null, 'past the user: the message is free text');
  const palette = paletteFor(at('/dm a'), guest)!;
  assert.deepEqual(complete(at('/dm a'), palette, palette.items[0]!), { text: '/dm alice ', cursor: 10 });
});

test('completion works in the middle of the text and only at the end of a word', () => {
  const input = at('hi @al how are you', 6);
  const palette = paletteFor(input, guest)!;
  assert.deepEqual(complete(input, palette, palette.items[0]!), { text: 'hi @alice how are you', cursor: 10 });
  assert.equal(paletteFor(at('hi @alxyz', 6), guest), null);
});

test('Enter sends what is already complete, completes the rest', () => {
  const who = paletteFor(at('/who'), guest)!;
  assert.equal(enterSends(at('/who'), who, who.items[0]!), true);
  const wh = paletteFor(at('/wh'), guest)!;
  assert.equal(enterSends(at('/wh'), wh, wh.items[0]!), false);
  const dm = paletteFor(at('/dm'), guest)!;
  assert.equal(enterSends(at('/dm'), dm, dm.items[0]!), false, '/dm needs its arguments');
  const kick = paletteFor(at('/kick carl'), host)!;
  assert.equal(enterSends(at('/kick carl'), kick, kick.items[0]!), true, 'a complete name sends');
  const mention = paletteFor(at('hi @car'), host)!;
  assert.equal(enterSends(at('hi @car'), mention, mention.items[0]!), false);
});
