// Helpers for the `room web` tests: the gateway started through the real CLI
// (`room web … --no-open`), and a real headless Chromium (Debian's package,
// driven by puppeteer-core) with a fresh profile removed afterwards.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { RoomDir } from './helpers.ts';

export const CHROMIUM = process.env.ROOM_CHROMIUM ?? '/usr/bin/chromium';

export interface WebGateway {
  readonly child: ChildProcess;
  /** The printed address, with its one-time secret. */
  readonly address: string;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly secret: string;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/** Runs `room web <args> --no-open` and waits for the address it prints. */
export async function startWeb(
  dir: RoomDir,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<WebGateway> {
  const child = dir.spawn(['web', ...args, '--no-open'], { env });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n');
      if (line.length > 1) resolve(line[0]!);
    });
    void exited.then((code) => reject(new Error(`room web exited (${code}) before printing an address: ${stderr}`)));
  });
  const [origin, secret] = address.split('/#') as [string, string];
  return { child, address, origin, secret, exited, stderr: () => stderr };
}

/** One headless Chromium for a test file, with a fresh profile; `close` ends it and removes the profile. */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'room-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const close = async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { browser, close };
}

export const haveChromium = existsSync(CHROMIUM);

/** A fresh page in its own browser context (its own sessionStorage), closed when the test ends. */
export async function openPage(t: TestContext, browser: Browser, url: string): Promise<Page> {
  const context = await browser.createBrowserContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.setViewport({ width: 1000, height: 640 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  // Files the browser asks for by itself (the page's own, an icon) must all be there.
  page.on('response', (response) => {
    const type = response.request().resourceType();
    if (response.status() >= 400 && !['fetch', 'xhr', 'eventsource'].includes(type))
      errors.push(`${type} ${response.url()} answered ${response.status()}`);
  });
  t.after(() => {
    if (errors.length > 0) throw new Error(`errors in the page: ${errors.join('; ')}`);
  });
  await page.goto(url);
  return page;
}

/** Waits until the page's stream is live. */
export async function waitLive(page: Page): Promise<void> {
  // Generous: on a loaded machine Chromium's first page can take a while.
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 60_000 });
}

// Code that runs in the page is written as strings: this project's type
// check has no DOM (the page itself is checked by client/web/page/tsconfig.json).

/** The texts of the message bodies shown, in order. */
export function bodies(page: Page): Promise<string[]> {
  const script = `[...document.querySelectorAll('#log li .body')].map((n) => n.textContent.trim())`;
  return page.evaluate(script) as Promise<string[]>;
}

/** Waits until an event whose body contains `text` is shown. */
export async function waitForText(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction(
    `[...document.querySelectorAll('#log li .body')].some((n) => n.textContent.includes(${JSON.stringify(text)}))`,
    { timeout },
  );
}
