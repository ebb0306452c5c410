// `room web` delivery latency: how long after another user's send the
// message is on the page, in a real headless Chromium (Debian's package,
// driven by puppeteer-core). Issue 15 asks for ≤ 200 ms.
//
//   npm run bench -- web-latency [--iterations 100]
//
// The page is opened through the address `room web --no-open` prints and
// is live (its stream open through the gateway). Each iteration puts a
// MutationObserver on the message list, sends a message as bob over the
// broker's socket, and takes the wall clock in the page when the text is in
// the DOM. Measured from just before the send (the HTTP round trip
// included) and from the send's answer. Same machine, same clock.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import {
  BenchDir,
  ROOM_BIN,
  fmt,
  httpJson,
  load,
  machine,
  numberOptions,
  percentile,
  stats,
  table,
  wallMs,
} from './lib.ts';

export const name = 'web-latency';
export const summary = "room web: from another user's send to the text in the page's DOM, p50/p99";

const CHROMIUM = process.env.ROOM_CHROMIUM ?? '/usr/bin/chromium';

export async function main(argv: readonly string[]): Promise<string> {
  const options = numberOptions(argv, { iterations: 100 });
  const dir = new BenchDir();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const profile = mkdtempSync(join(tmpdir(), 'room-bench-chromium-'));
  const web = spawn(ROOM_BIN, ['web', 'wl', 'alice', '--no-open'], { env: dir.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      web.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      web.once('exit', (code) => reject(new Error(`room web exited ${code}`)));
    });
    const bobToken = dir.join('wl', 'bob');
    const socket = dir.socket('wl');
    const page = await browser.newPage();
    await page.goto(address);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 30_000 });
    const loadBefore = load();
    const fromSend: number[] = [];
    const fromAnswer: number[] = [];
    for (let i = 0; i < options.iterations; i++) {
      const marker = `web latency ${i} ${process.pid}`;
      await page.evaluate(`window.__seen = new Promise((resolve) => {
        const log = document.querySelector('#log');
        new MutationObserver((_, observer) => {
          if (log.textContent.includes(${JSON.stringify(marker)})) { observer.disconnect(); resolve(performance.timeOrigin + performance.now()); }
        }).observe(log, { childList: true, subtree: true });
      }); undefined`);
      const t0 = wallMs();
      const answer = await httpJson(socket, 'POST', '/messages', { type: 'message', content: marker }, bobToken, agent);
      const t1 = wallMs();
      if (answer.status !== 201) throw new Error(`send failed: ${answer.status} ${answer.body}`);
      const seen = (await page.evaluate('window.__seen')) as number;
      fromSend.push(seen - t0);
      fromAnswer.push(seen - t1);
    }
    const row = (label: string, values: number[]) => {
      const s = stats(values);
      const sorted = [...values].sort((a, b) => a - b);
      return [label, fmt(s.median), fmt(percentile(sorted, 90)), fmt(s.p99), fmt(s.max)];
    };
    return [
      `### room web delivery latency (${options.iterations} messages)`,
      '',
      `Machine: ${machine()}; load before ${loadBefore}, after ${load()}. Chromium headless (${await browser.version()}).`,
      '',
      table(
        ['measured from', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
        [row('just before the send', fromSend), row("the send's answer", fromAnswer)],
      ),
      '',
      'Goal (issue 15): a message sent with room send is on the page within 200 ms.',
    ].join('\n');
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
    web.kill('SIGTERM');
    agent.destroy();
    await dir.cleanup();
  }
}
