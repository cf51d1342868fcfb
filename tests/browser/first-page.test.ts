import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { appUrl, launchChromium } from './browser';

const icountOf = async (page: Page): Promise<number> =>
  Number((await page.getByTestId('icount').textContent())?.replace(/,/g, ''));

describe('first page', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  before(async () => {
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(appUrl());
  });
  after(async () => {
    await browser?.close();
  });

  it('runs the machine: the icount rises', async () => {
    await page.getByTestId('icount').waitFor();
    const first = await icountOf(page);
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid=icount]')?.textContent?.replace(/,/g, '')) > n,
      first,
      { timeout: 10_000 },
    );
    assert.ok((await icountOf(page)) > first);
    assert.deepEqual(errors, []);
  });

  it('answers a client request and prints it on the console', async () => {
    await page.getByLabel('Request').fill('PUT answer 42');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.client-log .rep', { hasText: 'OK' }).waitFor({ timeout: 10_000 });
    await page.getByLabel('Request').fill('GET answer');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.client-log .rep', { hasText: 'VALUE 42' }).waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('.console')?.textContent?.includes('GET answer'), null, {
      timeout: 10_000,
    });
    await page.screenshot({ path: 'test-results/first-page.png' });
  });

  it('pauses and steps one instruction at a time', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    const before = await icountOf(page);
    await page.waitForTimeout(200);
    assert.equal(await icountOf(page), before, 'paused machine does not advance');
    await page.getByRole('button', { name: 'Step' }).click();
    await page.waitForTimeout(200);
    const after1 = await icountOf(page);
    assert.ok(after1 === before + 1 || after1 === before, `one step retires at most one instruction (${before} → ${after1})`);
  });

  it('switches to another program', async () => {
    await page.getByLabel('Program').selectOption('hello');
    await page.locator('.console', { hasText: 'Hello from the tiny machine!' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, []);
  });
});
