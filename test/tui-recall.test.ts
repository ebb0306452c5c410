// Input recall (client/tui/recall.ts): Ctrl-P / Ctrl-N bring back the texts
// sent in this session and then the draft, through the reducer and drawn.
import './tui-force-color.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { App } from '../client/tui/components/App.ts';
import { EMPTY_RECALL, MAX_RECALL, newer, older, remember, settle, type Recall } from '../client/tui/recall.ts';
import { initialState, reduce } from '../client/tui/state.ts';
import { Store } from '../client/tui/store.ts';
import { stateWith } from './tui-fixtures.ts';

const at = (text: string) => ({ text, cursor: text.length });

test('older and newer walk the texts sent, then give the draft back', () => {
  let recall: Recall = ['one', 'two', 'three'].reduce(remember, EMPTY_RECALL);
  assert.equal(newer(recall), null, 'not recalling: nothing newer');
  const draft = { text: 'half typ', cursor: 4 };
  let step = older(recall, draft)!;
  assert.deepEqual(step.input, at('three'));
  recall = step.recall;
  step = older(recall, step.input)!;
  assert.deepEqual(step.input, at('two'));
  step = older(step.recall, step.input)!;
  assert.deepEqual(step.input, at('one'));
  assert.equal(older(step.recall, step.input), null, 'the oldest: nothing further');
  step = newer(step.recall)!;
  assert.deepEqual(step.input, at('two'));
  step = newer(newer(step.recall)!.recall)!;
  assert.deepEqual(step.input, draft, 'past the newest: the draft, cursor and all');
  assert.equal(step.recall.at, null);
  assert.equal(newer(step.recall), null);
});

test('remember: blanks and a repeat of the last text are not kept; the oldest go beyond MAX_RECALL', () => {
  let recall = ['a', 'a', '  ', 'b', 'a'].reduce(remember, EMPTY_RECALL);
  assert.deepEqual(recall.sent, ['a', 'b', 'a']);
  assert.equal(older(EMPTY_RECALL, at('x')), null, 'nothing sent yet');
  recall = Array.from({ length: MAX_RECALL + 3 }, (_, i) => `t${i}`).reduce(remember, EMPTY_RECALL);
  assert.equal(recall.sent.length, MAX_RECALL);
  assert.equal(recall.sent[0], 't3');
  // settle ends recalling; the recalled text (now edited) is what is typed.
  const recalling = older(recall, at(''))!.recall;
  assert.deepEqual(settle(recalling), { ...recalling, at: null, draft: null });
});

test('through the reducer: sent texts are recalled; editing one makes it the draft', () => {
  let state = stateWith([
    { type: 'sent', text: 'first' },
    { type: 'sent', text: '/who' },
  ]);
  state = reduce(state, { type: 'input', input: at('draft') });
  state = reduce(state, { type: 'recall', move: -1 });
  assert.equal(state.input.text, '/who');
  state = reduce(state, { type: 'recall', move: -1 });
  assert.equal(state.input.text, 'first');
  assert.equal(reduce(state, { type: 'recall', move: -1 }), state, 'at the oldest, nothing changes');
  state = reduce(state, { type: 'input', input: at('first, edited') });
  assert.equal(state.recall.at, null);
  state = reduce(reduce(state, { type: 'recall', move: -1 }), { type: 'recall', move: 1 });
  assert.equal(state.input.text, 'first, edited', 'the edited text came back as the draft');
});

test('drawn: Enter sends and remembers; Ctrl-P and Ctrl-N recall, arrows still scroll', async (t) => {
  const size = { columns: 60, rows: 12 };
  const store = new Store(initialState('demo', 'alice', 'alice', size));
  store.dispatch({ type: 'connection', connection: 'live' });
  const sent: string[] = [];
  const app = render(
    React.createElement(App, {
      store,
      size,
      color: false,
      onSend: (text: string) => sent.push(text),
      onQuit: () => {},
    }),
  );
  t.after(() => app.unmount());
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const write = async (data: string) => {
    app.stdin.write(data);
    await sleep(20);
  };
  await sleep(20);
  for (const data of ['one', '\r', 'two', '\r', 'dra']) await write(data);
  assert.deepEqual(sent, ['one', 'two']);
  const inputLine = () =>
    (app.lastFrame() ?? '')
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .find((l) => l.startsWith('│'))!;
  await write('\x10');
  assert.match(inputLine(), /│ two +│/);
  await write('\x10');
  assert.match(inputLine(), /│ one +│/);
  await write('\x0e');
  await write('\x0e');
  assert.match(inputLine(), /│ dra +│/);
  await write('\x1b[A');
  assert.equal(store.getState().input.text, 'dra', 'Up does not recall');
  await write('\x10');
  await write('\r');
  assert.deepEqual(sent, ['one', 'two', 'two'], 'a recalled text is sent again with Enter');
});
