// Shared set-up for browser tests and browser benchmarks: find and launch Debian's Chromium.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
