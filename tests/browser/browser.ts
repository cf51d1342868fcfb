// Shared set-up for browser tests and browser benchmarks: find and launch Debian's Chromium.
import { existsSync } from 'node:fs';
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

export function findChromium(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium']) if (p && existsSync(p)) return p;
  return null;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('Chromium not found: set CHROMIUM_PATH or install chromium');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function appUrl(): string {
  const u = process.env.LOCKSTEP_URL;
  if (!u) throw new Error('LOCKSTEP_URL is not set: run browser tests with `npm run test:browser`');
  return u;
}

/** Build the static site and serve it on a free loopback port (browser tests and benchmarks). */
export async function serveBuiltApp(): Promise<{ url: string; close(): void }> {
  const { build, preview } = await import('vite');
  await build({ logLevel: 'silent' });
  const server = await preview({ preview: { port: 0, host: '127.0.0.1' }, logLevel: 'silent' });
  const addr = server.httpServer.address();
  const port = typeof addr === 'object' && addr ? addr.port : 4173;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.httpServer.close() };
}

/**
 * A new page on the running app, with the lab up (both VM panels shown); page errors are collected.
 * `query`: 1× by default (the page opens at human pace, a failover over several seconds, and tests
 * need not wait); '' for the page as a newcomer finds it.
 */
export async function openLab(browser: Browser, errors: string[], viewport = { width: 1280, height: 720 }, query = '?speed=1', initScript?: string): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (initScript) await page.addInitScript(initScript);
  await page.goto(`${appUrl()}${query}`);
  await page.waitForFunction(() => (globalThis as { __lab?: unknown }).__lab !== undefined);
  await page.getByTestId('icount-B').waitFor();
  return page;
}

/**
 * Inside a describe(): one Chromium for the suite and a fresh lab page before each test, handed
 * to `onOpen` with the list its page errors go to.
 */
export function labPages(onOpen: (page: Page, errors: string[]) => void, viewport?: { width: number; height: number }, initScript?: string): void {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  let page: Page | undefined;
  beforeEach(async () => {
    const errors: string[] = [];
    page = await openLab(browser!, errors, viewport, undefined, initScript);
    onOpen(page, errors);
  });
  // A page left open keeps its VMs running: on a 2-core machine it starves the next test's lab.
  afterEach(async () => {
    await page?.close();
    page = undefined;
  });
}
