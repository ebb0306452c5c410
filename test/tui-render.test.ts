// The terminal UI stays fast with a long history and a burst of messages:
// 10,000 events loaded, then 100 messages a second for two seconds, drawn by
// Ink in interactive mode into a fake 120×40 terminal. Only what is on
// screen is wrapped, and events are batched, so frames stay few and cheap.
// The figures are printed as diagnostics (`node --test` shows them), not
// asserted: what is asserted is the structure (one screenful wrapped, frames
// batched), which a loaded CI machine cannot break.
import './tui-production.ts';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { render } from 'ink';
import React from 'react';
import type { RoomEvent } from '../shared/events.ts';
import { Batcher } from '../client/tui/batcher.ts';
import { App } from '../client/tui/components/App.ts';
import { FIRST_FLUSH_MS, FLUSH_MS } from '../client/tui/link.ts';
import { initialState } from '../client/tui/state.ts';
import { Store } from '../client/tui/store.ts';
import { viewport } from '../client/tui/viewport.ts';
import { ev, msg } from './tui-fixtures.ts';
import { sleep } from './helpers.ts';

const COLUMNS = 120;
const ROWS = 40;

class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = COLUMNS;
  readonly rows = ROWS;
  bytes = 0;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.bytes += chunk.length;
    done();
  }
}

class FakeKeyboard extends EventEmitter {
  readonly isTTY = true;
  setRawMode() {}
  setEncoding() {}
  read() {
    return null;
  }
  ref() {}
  unref() {}
  resume() {}
  pause() {}
}

function history(count: number): RoomEvent[] {
  const events: RoomEvent[] = [];
  for (let i = 0; i < count; i++) {
    const user = ['alice', 'bob', 'carol', 'dave'][i % 4]!;
    if (i % 50 === 0) events.push(ev({ type: 'join', user }));
    else if (i % 7 === 0 && events.length > 0)
      events.push(ev({ type: 'reply', user, reply_to: events[events.length - 1]!.id, content: `reply ${i}` }));
    else if (i % 11 === 0) events.push(ev({ type: 'dm', user, to: 'alice', content: `private note ${i}` }));
    else
      events.push(
        msg(user, `message ${i}: ${'some words that make the line long enough to wrap '.repeat(1 + (i % 4))}`),
      );
  }
  return events;
}

test('only the screen is wrapped: the viewport of 10,000 entries costs about one screenful', (t) => {
  const store = new Store(initialState('demo', 'alice', 'alice', { columns: COLUMNS, rows: ROWS }));
  store.dispatch({ type: 'events', events: history(10_000) });
  const { entries } = store.getState();
  const started = performance.now();
  const view = viewport(entries, COLUMNS, 30, 0, 'alice');
  const cold = performance.now() - started;
  const again = performance.now();
  viewport(entries, COLUMNS, 30, 0, 'alice');
  const warm = performance.now() - again;
  assert.ok(view.entries.length < 40, `${view.entries.length} entries on screen`);
  // Timings are reported, not asserted: on a loaded 2-core machine they vary tenfold.
  t.diagnostic(`viewport: ${cold.toFixed(2)} ms cold, ${warm.toFixed(2)} ms warm`);
});

test('10,000 events, then 100 messages a second: few, fast frames', { timeout: 60_000 }, async (t) => {
  const store = new Store(initialState('demo', 'alice', 'alice', { columns: COLUMNS, rows: ROWS }));
  const stdout = new FakeTerminal();
  const frames: number[] = [];
  const loadStarted = performance.now();
  store.dispatch({ type: 'events', events: history(10_000) });
  const dispatchMs = performance.now() - loadStarted;
  const ink = render(React.createElement(App, { store, color: true, onSend: () => {}, onQuit: () => {} }), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeKeyboard() as unknown as NodeJS.ReadStream,
    interactive: true,
    alternateScreen: true,
    incrementalRendering: true,
    patchConsole: false,
    exitOnCtrlC: false,
    onRender: ({ renderTime }) => frames.push(renderTime),
  });
  t.after(() => ink.unmount());
  while (frames.length === 0) await sleep(1);
  const firstFrameMs = performance.now() - loadStarted;

  // The burst: 200 messages, one every 10 ms, through the same batching as a live session.
  const rendersBefore = frames.length;
  const batcher = new Batcher<RoomEvent>((events) => store.dispatch({ type: 'events', events }), {
    first: FIRST_FLUSH_MS,
    every: FLUSH_MS,
  });
  let updates = 0;
  const counting = store.subscribe(() => updates++);
  const cpu = process.cpuUsage();
  const burstStarted = performance.now();
  for (let i = 0; i < 200; i++) {
    batcher.push(msg(['bob', 'carol'][i % 2]!, `burst ${i} ${'with a few more words '.repeat(i % 5)}`));
    await sleep(10);
  }
  batcher.flush();
  counting();
  await ink.waitUntilRenderFlush();
  const wallMs = performance.now() - burstStarted;
  const used = process.cpuUsage(cpu);
  const burstFrames = frames.slice(rendersBefore);
  const cpuShare = (used.user + used.system) / 1000 / wallMs;
  const mean = burstFrames.reduce((a, b) => a + b, 0) / Math.max(1, burstFrames.length);
  const worst = Math.max(...burstFrames);

  t.diagnostic(
    `10,000 events: reducer ${dispatchMs.toFixed(1)} ms, first frame after ${firstFrameMs.toFixed(1)} ms (Ink render ${frames[0]!.toFixed(1)} ms)`,
  );
  t.diagnostic(
    `burst of 200 messages over ${(wallMs / 1000).toFixed(2)} s: ${burstFrames.length} frames, Ink render mean ${mean.toFixed(2)} ms, worst ${worst.toFixed(2)} ms; process CPU ${(cpuShare * 100).toFixed(0)}% of one core (timers and the fake terminal included); ${(stdout.bytes / 1024).toFixed(0)} KiB written`,
  );
  // Batching is asserted: at most one store update per FLUSH_MS, however
  // fast the messages come (without it: one per message, 200). Ink's own
  // frame cap (30 per second) would hide a lost batching, so the updates are
  // counted, not the frames. The times above are reported, not asserted.
  assert.ok(
    updates <= Math.ceil(wallMs / FLUSH_MS) + 5,
    `${updates} store updates in ${wallMs.toFixed(0)} ms: batched, not one per message`,
  );
  assert.ok(burstFrames.length <= updates + 1, `${burstFrames.length} frames for ${updates} updates`);
  assert.match(String(store.getState().entries.at(-1)?.kind), /event/);
});
