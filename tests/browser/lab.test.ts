// The FT lab on real Web Workers: each VM's hypervisor in its own worker, a MessageChannel
// logging channel, faults from the page's buttons.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { appUrl, labPages, launchChromium } from './browser';

interface LabProbe {
  roles: [string, string][];
  mac: string | null;
  or: boolean | 'unknown';
  orMessage: string;
  sb: boolean;
  replay: boolean;
  ok: number;
  fromB: number;
  fromC: number;
}

const probe = (page: Page): Promise<LabProbe> =>
  page.evaluate(() => {
    type Lab = {
      roles: Map<string, string>;
      macOwner: string | null;
      verdicts(): { outputRequirement: { ok: boolean | 'unknown'; message: string }; splitBrain: { ok: boolean }; replay: { ok: boolean } };
      history(): { status: string; from: string | null }[];
    };
    const lab = (globalThis as unknown as { __lab: Lab }).__lab;
    const v = lab.verdicts();
    const h = lab.history();
    return {
      roles: [...lab.roles],
      mac: lab.macOwner,
      or: v.outputRequirement.ok,
      orMessage: v.outputRequirement.message,
      sb: v.splitBrain.ok,
      replay: v.replay.ok,
      ok: h.filter((o) => o.status === 'ok').length,
      fromB: h.filter((o) => o.from === 'B').length,
      fromC: h.filter((o) => o.from === 'C').length,
    };
  });

async function until(page: Page, pred: (p: LabProbe) => boolean, what: string, ms = 15_000): Promise<LabProbe> {
  const end = Date.now() + ms;
  let last = await probe(page);
  while (!pred(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await page.waitForTimeout(100);
    last = await probe(page);
  }
  return last;
}

const role = (p: LabProbe, vm: string): string | undefined => p.roles.find(([id]) => id === vm)?.[1];

describe('FT on Web Workers', () => {
  let page: Page;
  let errors: string[] = [];
  labPages(
    (p, e) => {
      page = p;
      errors = e;
    },
    { width: 1280, height: 900 },
  );

  it('runs primary and backup in lockstep: both icounts rise and the checkers hold', async () => {
    // Served cross-origin isolated: the pair shares memory (sharedClock.ts); the suite below runs by message.
    assert.equal(await page.evaluate('globalThis.crossOriginIsolated'), true);
    await page.getByTestId('icount-A').waitFor();
    await page.getByTestId('icount-B').waitFor();
    await page.getByLabel('Automatic clients').selectOption('3');
    const p = await until(page, (x) => x.ok >= 20, '20 replies');
    assert.equal(role(p, 'A'), 'primary');
    assert.equal(role(p, 'B'), 'backup');
    assert.equal(p.or, true, p.orMessage);
    assert.ok(p.replay && p.sb);
    await page.locator('.client-terminal').click();
    await page.keyboard.type('put answer 42');
    await page.keyboard.press('Enter');
    await page.locator('.client-terminal', { hasText: '← #1 OK' }).waitFor({ timeout: 10_000 });
    await page.keyboard.type('get answer');
    await page.keyboard.press('Enter');
    await page.locator('.client-terminal', { hasText: 'VALUE 42' }).waitFor({ timeout: 10_000 });
    // The backup ran the same request (its console line is suppressed output; other clients' lines
    // soon scroll it out of the terminal, so read it from the trace).
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { __lab: { trace: { type: string; vm?: string; text?: string; suppressed?: boolean }[] } }).__lab.trace.some(
          (e) => e.type === 'console' && e.vm === 'B' && e.suppressed === true && e.text?.includes('PUT answer 42'),
        ),
      null,
      { timeout: 10_000 },
    );
    await page.screenshot({ path: 'test-results/lab-lockstep.png' });
    assert.deepEqual(errors, []);
  });

  it('kill primary terminates its worker; the backup goes live and clients keep getting replies', async () => {
    await page.getByLabel('Automatic clients').selectOption('3');
    await until(page, (x) => x.ok >= 20, '20 replies before the fault');
    await page.getByRole('button', { name: 'Kill primary' }).click();
    const p = await until(page, (x) => role(x, 'B') === 'live' && x.mac === 'B' && x.fromB >= 20, 'B live and 20 replies from B');
    assert.equal(role(p, 'A'), 'dead');
    assert.equal(p.or, true, p.orMessage);
    assert.ok(p.sb, 'no split brain');
    await page.locator('.vm.role-live[data-vm=B]').waitFor();
    await page.screenshot({ path: 'test-results/lab-failover.png' });
    assert.deepEqual(errors, []);
  });

  it('a cut logging channel ends with exactly one VM serving', async () => {
    await page.getByLabel('Automatic clients').selectOption('3');
    await until(page, (x) => x.ok >= 10, '10 replies');
    await page.getByRole('button', { name: 'Cut logging channel' }).click();
    // The loser halts on storage's answer; the winner's go-live reaches the page from its own
    // worker, a moment apart: wait until neither VM is still a backup.
    const p = await until(page, (x) => x.roles.some(([, r]) => r === 'halted') && !x.roles.some(([, r]) => r === 'backup'), 'one VM to halt and the other to go live');
    const serving = p.roles.filter(([, r]) => r === 'live' || r === 'primary');
    assert.equal(serving.length, 1, JSON.stringify(p.roles));
    const q = await until(page, (x) => x.ok >= p.ok + 10, 'replies after the cut');
    assert.ok(q.sb, 'no split brain');
    assert.equal(q.or, true, q.orMessage);
  });

  it('restart backup: a new backup worker from a snapshot takes over after a second failure', async () => {
    await page.getByLabel('Automatic clients').selectOption('3');
    await until(page, (x) => x.ok >= 10, '10 replies');
    await page.getByRole('button', { name: 'Kill primary' }).click();
    await until(page, (x) => role(x, 'B') === 'live', 'B live');
    await page.getByRole('button', { name: 'Restart backup' }).click();
    await until(page, (x) => role(x, 'C') === 'backup' && role(x, 'B') === 'primary', 'C backup of B');
    const before = await probe(page);
    await until(page, (x) => x.ok >= before.ok + 10, 'replies with the new pair');
    await page.getByRole('button', { name: 'Kill primary' }).click();
    const p = await until(page, (x) => role(x, 'C') === 'live' && x.fromC >= 5, 'C live and serving');
    assert.equal(p.or, true, p.orMessage);
    assert.ok(p.replay, 'the new backup replayed in lockstep');
  });

  it('a page drawing late eases a clock faster than real time, never below 1×, and lets it go again', async () => {
    type G = { __lab: { setSpeed(s: number): void; effectiveSpeed: number }; __hog?: boolean };
    await page.evaluate(() => (globalThis as unknown as G).__lab.setSpeed(50));
    await page.waitForFunction(() => (globalThis as unknown as G).__lab.effectiveSpeed > 5, null, { timeout: 20_000 });
    // Every frame 40 ms late: the page is short of CPU.
    // (a string: the TS loader would wrap an inner function in a helper the page lacks)
    await page.evaluate(`(() => {
      globalThis.__hog = true;
      const burn = () => {
        if (!globalThis.__hog) return;
        const end = performance.now() + 40;
        while (performance.now() < end);
        requestAnimationFrame(burn);
      };
      requestAnimationFrame(burn);
    })()`);
    await page.waitForFunction(() => (globalThis as unknown as G).__lab.effectiveSpeed <= 1.0001, null, { timeout: 30_000 });
    const held = await page.evaluate(() => (globalThis as unknown as G).__lab.effectiveSpeed);
    assert.ok(held >= 0.999, `never below 1× for the page's sake (${held})`);
    await page.evaluate(() => ((globalThis as unknown as G).__hog = false));
    await page.waitForFunction(() => (globalThis as unknown as G).__lab.effectiveSpeed > 2, null, { timeout: 20_000 });
    assert.deepEqual(errors, []);
  });

  it('power off: the backup halts instead of going live', async () => {
    await page.getByRole('button', { name: 'Power off primary' }).click();
    const p = await until(page, (x) => role(x, 'A') === 'halted' && role(x, 'B') === 'halted', 'both halted');
    assert.equal(p.roles.length, 2);
  });
});

describe('FT on Web Workers by message only (a page that may not share memory)', () => {
  const lab = { page: null as unknown as Page, errors: [] as string[] };
  labPages((p, e) => Object.assign(lab, { page: p, errors: e }), { width: 1280, height: 900 }, 'globalThis.__lockstepNoSharedMemory = true');

  it('a failover and FT VMotion to a new backup work with the clocks and the logging channel on ports', async () => {
    const { page, errors } = lab;
    await page.getByLabel('Automatic clients').selectOption('3');
    await until(page, (x) => x.ok >= 10, '10 replies');
    await page.getByRole('button', { name: 'Kill primary' }).click();
    await until(page, (x) => role(x, 'B') === 'live' && x.mac === 'B', 'B live');
    await page.getByRole('button', { name: 'Restart backup' }).click();
    await until(page, (x) => role(x, 'C') === 'backup' && role(x, 'B') === 'primary', 'C backup of B');
    const before = await probe(page);
    const p = await until(page, (x) => x.ok >= before.ok + 10, 'replies with the new pair');
    assert.equal(p.or, true, p.orMessage);
    assert.ok(p.replay && p.sb, 'the new backup replays in lockstep; no split brain');
    assert.deepEqual(errors, []);
  });
});

describe('a crashing worker', () => {
  it('shows up as a crashed VM with its error, and the page keeps running', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${appUrl()}?speed=1`);
      await page.waitForFunction(() => (globalThis as { __lab?: unknown }).__lab !== undefined);
      await page.getByTestId('icount-B').waitFor();
      await page.evaluate(() => {
        const lab = (globalThis as unknown as { __lab: { vms: { api: { debugCrash(m: string): Promise<void> } }[] } }).__lab;
        void lab.vms[1]!.api.debugCrash('boom in the backup');
      });
      await page.locator('.vm.role-dead[data-vm=B]', { hasText: 'boom in the backup' }).waitFor({ timeout: 10_000 });
      // The primary notices its backup is gone, wins test-and-set and goes on alone.
      await page.locator('.vm.role-live[data-vm=A]').waitFor({ timeout: 10_000 });
    } finally {
      await browser.close();
    }
  });
});
