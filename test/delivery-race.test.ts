// One user's deliverers running at the same moment (a follower, as the
// plugin's monitor runs it, and polls and watches, as a hook or the agent's
// own commands run them) share one cursor and take its lock while they read,
// print and move it: every event is printed by exactly one of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ndjson, RoomDir, waitUntil } from './helpers.ts';

test('a follower, polls and watches running at once print each event exactly once overall', async (t) => {
  const dir = RoomDir.create(t);
  await dir.join('demo', 'alice');
  await dir.join('demo', 'bob');
  const as = (user: string) => ['--token-file', dir.file(`room-demo-${user}.token`)];
  const printed: string[] = [];
  const take = (text: string) => {
    for (const event of ndjson<{ id: string; type: string }>(text))
      if (event.type === 'message') printed.push(event.id);
  };

  const follower = dir.spawn(['follow', 'demo', ...as('bob'), '--json', '--interval', '0.2']);
  let partial = '';
  follower.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    take(lines.join('\n'));
  });

  let sending = true;
  const loop = async (args: string[], ok: readonly number[]) => {
    while (sending) {
      const result = await dir.run(args);
      assert.ok(ok.includes(result.code ?? -1), `${args[0]}: exit ${result.code}: ${result.stderr}`);
      take(result.stdout);
    }
  };
  const deliverers = [
    loop(['poll', 'demo', ...as('bob')], [0]),
    loop(['poll', 'demo', ...as('bob')], [0]),
    loop(['watch', 'demo', ...as('bob'), '--timeout', '1'], [0, 6]),
  ];

  const sent: string[] = [];
  for (let batch = 0; batch < 6; batch++) {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => dir.run(['send', 'demo', ...as('alice'), `message ${batch}.${i}`])),
    );
    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      sent.push((JSON.parse(result.stdout) as { id: string }).id);
    }
  }
  sending = false;
  await Promise.all(deliverers);
  await waitUntil(() => sent.every((id) => printed.includes(id)), 60_000, 'every message delivered');
  // One more poll after everything was delivered prints none of them again.
  take((await dir.run(['poll', 'demo', ...as('bob')])).stdout);
  const twice = sent.filter((id) => printed.filter((p) => p === id).length !== 1);
  assert.deepEqual(twice, [], `printed more than once: ${twice.length} of ${sent.length}`);
  assert.equal(printed.length, sent.length);
});
