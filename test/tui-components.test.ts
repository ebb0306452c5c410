// The terminal UI's components, rendered by Ink through ink-testing-library:
// the look of each event, wrapping, scrolling and its marker, the palette,
// inline errors, colour and NO_COLOR, and the keys that send and quit.
import './tui-force-color.ts';
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { App } from '../client/tui/components/App.ts';
import { sameLine } from '../client/tui/components/Lines.ts';
import { width } from '../client/tui/format.ts';
import { initialState, type Action } from '../client/tui/state.ts';
import { Store } from '../client/tui/store.ts';
import { ev, many, msg, notice } from './tui-fixtures.ts';

const SGR = /\x1b\[[0-9;]*m/g;
const COLOUR = /\x1b\[(3[0-79]|9[0-7]|38;[0-9;]+)m/;
const plain = (frame: string) => frame.replace(SGR, '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Mounted {
  store: Store;
  frame: () => string;
  write: (data: string) => Promise<void>;
  waitFor: (predicate: (frame: string) => boolean, what: string) => Promise<string>;
  sent: string[];
  quits: number;
}

async function mount(
  t: TestContext,
  options: {
    me?: string;
    host?: string | null;
    columns?: number;
    rows?: number;
    color?: boolean;
    actions?: Action[];
  } = {},
): Promise<Mounted> {
  const size = { columns: options.columns ?? 80, rows: options.rows ?? 20 };
  const store = new Store(
    initialState('demo', options.me ?? 'alice', options.host === undefined ? 'alice' : options.host, size),
  );
  store.dispatch({ type: 'connection', connection: 'live' });
  for (const action of options.actions ?? []) store.dispatch(action);
  const counts = { sent: [] as string[], quits: 0 };
  const app = render(
    React.createElement(App, {
      store,
      size,
      color: options.color ?? true,
      onSend: (text) => counts.sent.push(text),
      onQuit: () => counts.quits++,
    }),
  );
  t.after(() => app.unmount());
  const frame = () => app.lastFrame() ?? '';
  const waitFor = async (predicate: (frame: string) => boolean, what: string) => {
    const deadline = Date.now() + 3000;
    while (!predicate(plain(frame()))) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last frame:\n${plain(frame())}`);
      await sleep(5);
    }
    return plain(frame());
  };
  await sleep(10);
  return {
    store,
    frame,
    waitFor,
    write: async (data) => {
      app.stdin.write(data);
      await sleep(10);
    },
    get sent() {
      return counts.sent;
    },
    get quits() {
      return counts.quits;
    },
  };
}

const conversation = () => {
  const question = msg('alice', 'hey everyone, who is looking at the parser today?');
  return [
    ev({ type: 'join', user: 'bob' }),
    question,
    ev({ type: 'reply', user: 'bob', reply_to: question.id, content: 'I am, since this morning' }),
    ev({ type: 'dm', user: 'alice', to: 'bob', content: 'thanks, ping me when done' }),
    ev({ type: 'command', user: 'bob', cmd: 'claim', params: ['the', 'parser'] }),
    ev({ type: 'system', user: 'broker', content: 'bob set status: parsing' }),
    ev({ type: 'leave', user: 'carol' }),
  ];
};

test('the screen: title, each kind of event, the input box titled with the user, the hint', async (t) => {
  const ui = await mount(t, {
    actions: [
      { type: 'events', events: conversation() },
      { type: 'notice', notice: notice('online — alice (host), bob: parsing') },
      {
        type: 'users',
        users: {
          you: 'alice',
          host: 'alice',
          online: [
            { user: 'alice', status: '', sessions: 1 },
            { user: 'bob', status: 'parsing', sessions: 1 },
          ],
          recent: [],
        },
      },
    ],
  });
  const frame = await ui.waitFor((f) => f.includes('only you'), 'the notice');
  const lines = frame.split('\n');
  assert.equal(lines.length, 20, 'fills the screen exactly');
  assert.ok(lines.every((l) => width(l) <= 80));
  assert.match(lines[0]!, /^ demo {3}2 online: alice \(host\), bob: parsing +● live$/);
  for (const expected of [
    /→ bob joined/,
    /alice {2}hey everyone, who is looking at the parser today\? +[0-9a-f]{4}$/m,
    /bob {2}↳ alice: hey everyone, who is looking at the parser today\?/,
    /^ {14}I am, since this morning$/m,
    /alice → bob {2}thanks, ping me when done/,
    /bob {2}\/claim the parser/,
    /\* bob set status: parsing/,
    /← carol left/,
    /» only you: online — alice \(host\), bob: parsing/,
    /╭─ alice ─+╮/,
    /Enter send · \\ Enter newline/,
  ])
    assert.match(frame, expected);
});

test('long messages wrap with a hanging indent at any width, wide characters included', async (t) => {
  const ui = await mount(t, {
    columns: 40,
    rows: 12,
    actions: [{ type: 'events', events: [msg('bob', '漢字 and words '.repeat(6))] }],
  });
  const frame = await ui.waitFor((f) => f.includes('漢字'), 'the message');
  const body = frame.split('\n').filter((l) => l.includes('漢字'));
  assert.ok(body.length >= 3, 'wrapped over several lines');
  assert.ok(
    body.slice(1).every((l) => l.startsWith(' '.repeat(14))),
    'continuation lines are indented under the content',
  );
  assert.ok(frame.split('\n').every((l) => width(l) <= 40));
});

test('scrolling: arrows and pages move the view; new events do not yank it; the marker counts them', async (t) => {
  const ui = await mount(t, { actions: [{ type: 'events', events: many(50) }] });
  await ui.waitFor((f) => /message number 50\b/.test(f), 'the newest at the bottom');
  await ui.write('\x1b[5~'); // PageUp
  await ui.write('\x1b[A'); // Up
  let frame = await ui.waitFor(
    (f) => /message number 39\b/.test(f) && !/message number 40\b/.test(f),
    'scrolled up 11 lines',
  );
  const before = frame.split('\n').slice(1, 14).join('\n');
  ui.store.dispatch({ type: 'events', events: [msg('bob', 'something new'), msg('bob', 'and more')] });
  frame = await ui.waitFor((f) => f.includes('2 new below'), 'the marker');
  assert.equal(frame.split('\n').slice(1, 14).join('\n'), before, 'the view did not move');
  assert.ok(!frame.includes('something new'));
  await ui.write('\x1b'); // Esc: back to the newest
  frame = await ui.waitFor((f) => f.includes('and more'), 'back at the bottom');
  assert.ok(!frame.includes('new below'));
  await ui.write('\x1b[6~'); // PageDown at the bottom: nothing moves
  assert.ok(plain(ui.frame()).includes('and more'));
});

test('the palette opens on /, filters as you type, and lists admin commands only for the host', async (t) => {
  const guest = await mount(t, { me: 'bob', host: 'alice' });
  await guest.write('/');
  let frame = await guest.waitFor((f) => f.includes('/who'), 'the palette');
  assert.match(frame, /› \/who +who is online, with their status/);
  assert.ok(!frame.includes('/kick'), 'no admin commands for a guest');
  assert.match(frame, /↑↓ choose · Tab complete/);
  await guest.write('s');
  frame = await guest.waitFor((f) => !f.includes('/who'), 'filtered');
  assert.match(frame, /› \/set_status \[text…\]/);
  await guest.write('\t');
  frame = await guest.waitFor((f) => f.includes('│ /set_status '), 'completed');
  assert.ok(!frame.includes('› '), 'closed once the command is complete');

  const host = await mount(t, { me: 'alice', host: 'alice' });
  await host.write('/');
  frame = await host.waitFor((f) => f.includes('/who'), 'the palette');
  await host.write('\x1b[B'); // Down moves in the palette, not the messages
  frame = await host.waitFor((f) => f.includes('› /set_status'), 'moved');
  await host.write('k');
  frame = await host.waitFor((f) => f.includes('/kick <user>'), 'admin commands for the host');
  assert.match(frame, /› \/kick <user> +host · revoke a user's token/);
});

test('@ completes the names of the room', async (t) => {
  const ui = await mount(t, { actions: [{ type: 'events', events: [msg('carol', 'hi'), msg('carl', 'yo')] }] });
  await ui.write('thanks @car');
  let frame = await ui.waitFor((f) => f.includes('› @carl') || f.includes('› @carol'), 'names');
  assert.match(frame, /@carl/);
  assert.match(frame, /@carol/);
  await ui.write('\x1b[B');
  await ui.write('\t');
  frame = await ui.waitFor((f) => f.includes('│ thanks @carol '), 'completed');
});

test('a refused message comes back into the input with the reason in red under it; typing clears it', async (t) => {
  const ui = await mount(t);
  await ui.write('/dm zed hello');
  await ui.write('\r');
  assert.deepEqual(ui.sent, ['/dm zed hello']);
  await ui.waitFor((f) => f.includes('│  Write a message'), 'the box emptied at once');
  ui.store.dispatch({ type: 'failed', message: 'no user zed has joined this room', text: '/dm zed hello' });
  const coloured = await ui.waitFor((f) => f.includes('✗ no user zed'), 'the error').then(() => ui.frame());
  const lines = plain(coloured).split('\n');
  const box = lines.findIndex((l) => l.includes('│ /dm zed hello'));
  assert.ok(box > 0, 'the text is back in the input');
  assert.match(lines[box + 2]!, /✗ no user zed has joined this room/, 'right under the box');
  assert.match(coloured, /\x1b\[31m✗ no user zed/, 'in red');
  await ui.write('!');
  await ui.waitFor((f) => !f.includes('✗'), 'cleared by editing');
});

test('Enter submits, \\ then Enter makes a newline, Ctrl-C quits', async (t) => {
  const ui = await mount(t);
  await ui.write('first\\');
  await ui.write('\r');
  await ui.write('second');
  const frame = await ui.waitFor((f) => f.includes('│ second'), 'two lines in the box');
  assert.match(frame, /│ first +│\n│ second/);
  assert.deepEqual(ui.sent, []);
  await ui.write('\r');
  assert.deepEqual(ui.sent, ['first\nsecond']);
  await ui.write('\x03');
  assert.equal(ui.quits, 1);
});

test('colours mark users and states; NO_COLOR keeps the looks without colour', async (t) => {
  const events = conversation();
  const coloured = await mount(t, { actions: [{ type: 'events', events }] });
  await coloured.waitFor((f) => f.includes('carol left'), 'rendered');
  assert.match(coloured.frame(), COLOUR);
  const mono = await mount(t, { color: false, actions: [{ type: 'events', events }] });
  await mono.waitFor((f) => f.includes('carol left'), 'rendered');
  assert.doesNotMatch(mono.frame(), COLOUR);
  assert.match(mono.frame(), /\x1b\[1m/, 'bold stays');
  assert.equal(plain(mono.frame()), plain(coloured.frame()), 'the same text');
});

test('reconnecting is shown in the title and the box border', async (t) => {
  const ui = await mount(t);
  ui.store.dispatch({ type: 'connection', connection: 'reconnecting' });
  const frame = await ui.waitFor((f) => f.includes('reconnecting…'), 'the state');
  assert.match(frame.split('\n')[0]!, /◌ reconnecting…$/);
  assert.match(ui.frame(), /\x1b\[33m╭─ /, 'a yellow border while not live');
});

test('sameLine: a row is drawn again only when a text or a style changed', () => {
  const line = [
    { text: '10:01:05 ', style: { dim: true } },
    { text: 'alice', style: { bold: true, color: 'cyan' as const } },
    { text: '  hi' },
  ];
  assert.ok(sameLine(line, line));
  assert.ok(
    sameLine(
      line,
      line.map((s) => ({ ...s, style: s.style === undefined ? undefined : { ...s.style } })),
    ),
  );
  assert.ok(!sameLine(line, [...line.slice(0, 2), { text: '  ho' }]), 'another text');
  assert.ok(!sameLine(line, [line[0]!, { text: 'alice', style: { bold: true, color: 'red' as const } }, line[2]!]));
  assert.ok(
    !sameLine(line, [
      line[0]!,
      { text: 'alice', style: { bold: true, color: 'cyan' as const, inverse: true } },
      line[2]!,
    ]),
  );
  assert.ok(!sameLine(line, line.slice(0, 2)), 'fewer segments');
});
