// The terminal UI's pure formatting: wrapping, widths, safety of untrusted
// content, colours, and the look of each kind of entry (client/tui/format.ts,
// look.ts, theme.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventEntry, localEntry, noticeEntry } from '../client/tui/entry.ts';
import { clock, sanitize, truncate, width, wrap } from '../client/tui/format.ts';
import { entryLines, lineCount } from '../client/tui/look.ts';
import { colorEnabled, lineText, userColor, type Line } from '../client/tui/theme.ts';
import { ev, msg, notice } from './tui-fixtures.ts';

const texts = (lines: readonly Line[]) => lines.map(lineText);
const TIME = clock('2025-01-02T10:01:05.000Z');

test('clock shows local HH:MM:SS', () => {
  const date = new Date('2025-01-02T10:01:05.000Z');
  const two = (n: number) => String(n).padStart(2, '0');
  assert.equal(clock(date.toISOString()), `${two(date.getHours())}:${two(date.getMinutes())}:05`);
  assert.equal(clock('not a date'), '--:--:--');
});

test('wrap breaks at spaces, keeps newlines and leading indentation, breaks long words', () => {
  assert.deepEqual(wrap('the quick brown fox', 10), ['the quick', 'brown fox']);
  assert.deepEqual(wrap('one\ntwo  three', 20), ['one', 'two  three']);
  assert.deepEqual(wrap('  indented\n    more', 20), ['  indented', '    more']);
  assert.deepEqual(wrap('abcdefghijklmnop', 5), ['abcde', 'fghij', 'klmno', 'p']);
  assert.deepEqual(wrap('', 5), ['']);
  // A shorter first line (the rest of a line after a prefix), and none at all.
  assert.deepEqual(wrap('aa bb cc dd', 8, 3), ['aa', 'bb cc dd']);
  assert.deepEqual(wrap('aa bb', 8, 0), ['', 'aa bb']);
});

test('wrap measures wide characters as two columns and never splits a grapheme', () => {
  const lines = wrap('漢字漢字漢字 👍🏽👍🏽 e\u0301te\u0301', 6);
  for (const line of lines) assert.ok(width(line) <= 6, `${line} is ${width(line)} wide`);
  // 👍🏽 counts 4 (tmux draws its skin-tone modifier apart; format.ts).
  assert.deepEqual(lines, ['漢字漢', '字漢字', '👍🏽', '👍🏽', 'e\u0301te\u0301']);
  assert.equal(width('漢字'), 4);
  assert.equal(truncate('漢字漢字', 5), '漢字…');
  assert.equal(truncate('short', 10), 'short');
});

test('sanitize removes escape sequences and bidi overrides, shows control characters, keeps newlines', () => {
  assert.equal(sanitize('a\x1b[2J\x1b]0;title\x07b\x1b[31mred\x1b[0m'), 'abred');
  assert.equal(sanitize('one\r\ntwo\rthree\tfour\x00\x08\x7f'), 'one\ntwo\nthree    four␀␈␡');
  assert.equal(sanitize('\u202eevil\u202c'), 'evil');
});

test('a user keeps one colour; NO_COLOR turns colour off when set and not empty', () => {
  assert.equal(userColor('alice'), userColor('alice'));
  const colours = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map(userColor));
  assert.ok(colours.size >= 3, 'names spread over the palette');
  assert.ok(![...colours].includes('red' as never), 'red is kept for errors');
  assert.equal(colorEnabled({}), true);
  assert.equal(colorEnabled({ NO_COLOR: '' }), true);
  assert.equal(colorEnabled({ NO_COLOR: '1' }), false);
});

test('a message: time, name, content with a hanging indent, short id at the right', () => {
  const event = msg(
    'alice',
    'hello bob, this is a long message that has to wrap onto a second line',
    '3f2a0000-0000-4000-8000-000000000000',
  );
  const lines = entryLines(eventEntry(event), 50, 'bob');
  assert.deepEqual(texts(lines), [
    `${TIME} alice  hello bob, this is a long     3f2a`,
    '                message that has to wrap onto a',
    '                second line',
  ]);
  for (const line of texts(lines)) assert.ok(width(line) <= 50);
  const name = lines[0]!.find((s) => s.text === 'alice')!;
  assert.deepEqual(name.style, { bold: true, color: userColor('alice') });
  assert.equal(lines[0]!.at(-1)!.style?.dim, true);
});

test('multi-line content keeps its lines, each under the hanging indent', () => {
  const lines = texts(entryLines(eventEntry(msg('bob', 'first\nsecond\n  third')), 60, 'alice'));
  assert.equal(lines[0]!.startsWith(`${TIME} bob  first`), true);
  assert.deepEqual(lines.slice(1), ['              second', '                third']);
});

test('a long name or a narrow screen moves the indent left and the content down', () => {
  const lines = texts(entryLines(eventEntry(msg('a-very-long-username-indeed', 'short words here')), 40, 'x'));
  assert.ok(lines.every((l) => width(l) <= 40));
  assert.equal(lines[1]!.startsWith('           '), true, 'continuation indented under the name');
  const narrow = texts(entryLines(eventEntry(msg('alice', 'hello there')), 20, 'x'));
  assert.ok(narrow.every((l) => width(l) <= 20));
  assert.ok(narrow.join('\n').includes('hello'));
});

test('each kind of entry has its own look', () => {
  const target = msg('alice', 'hey everyone, who is looking at the parser today?');
  const show = (entry: Parameters<typeof entryLines>[0], width = 80) => texts(entryLines(entry, width, 'bob'));
  assert.deepEqual(show(eventEntry(ev({ type: 'join', user: 'carol' }))), [`${TIME} → carol joined`]);
  assert.deepEqual(show(eventEntry(ev({ type: 'leave', user: 'carol' }))), [`${TIME} ← carol left`]);
  assert.deepEqual(show(eventEntry(ev({ type: 'system', user: 'broker', content: 'bob set status: reviewing' }))), [
    `${TIME} * bob set status: reviewing`,
  ]);
  const reply = ev({ type: 'reply', user: 'bob', reply_to: target.id, content: 'I am' });
  const replyLines = show(eventEntry(reply, target), 60);
  assert.match(
    replyLines[0]!,
    new RegExp(`^${TIME} bob  ↳ alice: hey everyone, who is looking at… ${reply.id.slice(0, 4)}$`),
  );
  assert.equal(replyLines[1], '              I am');
  assert.match(
    show(eventEntry(reply))[0]!,
    new RegExp(`↳ ${target.id.slice(0, 4)}…`),
    'a target not loaded shows its id',
  );
  const dm = show(eventEntry(ev({ type: 'dm', user: 'alice', to: 'bob', content: 'psst' })));
  assert.match(dm[0]!, new RegExp(`^${TIME} alice → bob  psst +[0-9a-f]{4}$`));
  const command = entryLines(
    eventEntry(ev({ type: 'command', user: 'carol', cmd: 'claim', params: ['the', 'parser'] })),
    80,
    'bob',
  );
  assert.match(lineText(command[0]!), /carol {2}\/claim the parser/);
  assert.deepEqual(command[0]!.find((s) => s.text === '/claim')?.style, { bold: true, color: 'cyan' });
  assert.deepEqual(show(noticeEntry(notice('online — alice (host), bob\nrecently active — carl (3s ago)'))), [
    `${TIME} » only you: online — alice (host), bob`,
    '                     recently active — carl (3s ago)',
  ]);
  assert.match(show(localEntry('reconnected', 'info'))[0]!, /! reconnected$/);
});

test('a DM is styled as private; a mention of the viewer stands out', () => {
  const dm = entryLines(eventEntry(ev({ type: 'dm', user: 'alice', to: 'bob', content: 'psst' })), 80, 'bob');
  assert.deepEqual(dm[0]!.find((s) => s.text === 'psst')?.style, { italic: true, color: 'magenta' });
  assert.deepEqual(dm[0]!.find((s) => s.text === ' → ')?.style, { bold: true, color: 'magenta' });
  const mention = entryLines(eventEntry(msg('alice', 'hi @bob and @carol')), 80, 'bob')[0]!;
  assert.equal(mention.find((s) => s.text === '@bob')?.style?.inverse, true);
  assert.equal(mention.find((s) => s.text === '@carol')?.style?.inverse, undefined);
});

test('untrusted content cannot reach the terminal raw', () => {
  const lines = texts(entryLines(eventEntry(msg('mallory', 'hi\x1b[2J\x1b[H there\x07')), 80, 'bob'));
  assert.ok(!lines.join('').includes('\x1b'));
  assert.match(lines[0]!, /hi there/);
});

test('lineCount is the number of lines drawn, whoever looks', () => {
  const entries = [
    eventEntry(msg('alice', 'word '.repeat(60))),
    eventEntry(
      ev({ type: 'reply', user: 'bob', reply_to: '3f2a0000-0000-4000-8000-000000000000', content: 'ok\nsure' }),
    ),
    eventEntry(ev({ type: 'dm', user: 'alice', to: 'bob', content: 'a @bob b '.repeat(30) })),
    noticeEntry(notice('x\ny\nz')),
  ];
  for (const entry of entries) {
    for (const width of [20, 47, 80, 200]) {
      const count = lineCount(entry, width);
      assert.equal(entryLines(entry, width, 'bob').length, count);
      assert.ok(
        entryLines(entry, width, 'bob').every((l) => width >= lineText(l).length || /[^\x20-\x7e]/.test(lineText(l))),
      );
    }
  }
});

test('a reply quoting a command shows no escape sequence from its params', () => {
  const target = ev({
    type: 'command',
    user: 'mallory',
    cmd: 'claim',
    params: ['\x1b]0;pwned\x07\x1b[2J', 'the', 'parser'],
  });
  const reply = ev({ type: 'reply', user: 'bob', reply_to: target.id, content: 'ok' });
  for (const line of entryLines(eventEntry(reply, target), 60, 'alice')) {
    const text = lineText(line);
    assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/, JSON.stringify(text));
    assert.ok(width(text) <= 60, `fits the screen: ${JSON.stringify(text)}`);
  }
  assert.match(lineText(entryLines(eventEntry(reply, target), 60, 'alice')[0]!), /↳ mallory: \/claim the parser/);
});
