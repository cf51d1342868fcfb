// The stage: the whole system on one screen. Every tour step's outlined subject is on screen
// with the tour open (at a classroom projector's 1280×720 and at 1024×768), every kind of message
// is animated, the stage's menus break what they name, and the page is never a dead end.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CHAPTERS } from '../../src/engine/tour/chapters';
import { appUrl, launchChromium, openLab } from './browser';

const require = createRequire(import.meta.url);
const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 1024, height: 768 },
];

const phase = (page: Page): Promise<string | null> => page.locator('aside.tour').getAttribute('data-phase');

/** The ids none of whose elements lies wholly on screen (inside the window, left of the tour panel). */
function offScreen(page: Page, ids: readonly string[]): Promise<string[]> {
  // A string: the TS loader would wrap inner functions in helpers the page lacks.
  return page.evaluate(`(() => {
    const want = ${JSON.stringify(ids)};
    const right = document.querySelector('aside.tour')?.getBoundingClientRect().left ?? window.innerWidth;
    const inside = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.left >= -1 && r.top >= -1 && r.right <= right + 1 && r.bottom <= window.innerHeight + 1;
    };
    return want.filter((id) => ![...document.querySelectorAll('[data-panel~="' + id + '"]')].some(inside));
  })()`);
}

async function waitOnScreen(page: Page, ids: readonly string[]): Promise<string[]> {
  const end = Date.now() + 8_000;
  let missing = await offScreen(page, ids);
  while (missing.length > 0 && Date.now() < end) {
    await page.waitForTimeout(100);
    missing = await offScreen(page, ids);
  }
  return missing;
}

async function axeSerious(page: Page, within?: string): Promise<string[]> {
  // Evaluated, not injected as a script tag: the app's CSP forbids inline scripts.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async (sel) => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe;
    const r = await axe.run(sel ? { include: [sel] } : document);
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))} (${v.nodes.length})`);
  }, within ?? null);
}

describe('the stage', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const vp of VIEWPORTS) {
    it(`puts every tour step's outlined subject on screen with the tour open, at ${vp.width}×${vp.height}`, async () => {
      const errors: string[] = [];
      const page = await browser.newPage({ viewport: vp });
      page.on('pageerror', (e) => errors.push(String(e)));
      const problems: string[] = [];
      try {
        for (const ch of CHAPTERS) {
          // A new document per chapter (a hash change alone would ask before replacing the learner's session).
          await page.goto(`${appUrl()}?chapter=${ch.id}#tour=${ch.id}/1`);
          await page.locator('aside.tour').waitFor();
          for (const [i, step] of ch.steps.entries()) {
            const tour = page.locator('aside.tour');
            await tour.getByRole('heading', { name: `Step ${i + 1} of ${ch.steps.length}: ${step.title}` }).waitFor();
            const ids = step.highlight ?? [];
            const vmIds = ids.filter((id) => id.startsWith('vm-'));
            const others = ids.filter((id) => !id.startsWith('vm-'));
            const atStart = await waitOnScreen(page, others);
            const vmsAtStart = await offScreen(page, vmIds);
            if (step.predict) await tour.locator('.choices button').nth(step.predict.answer).click();
            if (step.ask) {
              await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'ask');
              await tour.getByRole('button', { name: 'do it for me' }).click();
            }
            if ((await phase(page)) === 'run') await tour.getByRole('button', { name: 'skip to the end of this step' }).click().catch(() => undefined);
            await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'done', null, { timeout: 30_000 });
            // A VM outlined by its role may change role as the step runs: on screen at the start or at the end.
            const vmsAtEnd = await waitOnScreen(page, vmsAtStart);
            const missing = [...atStart, ...vmsAtEnd];
            if (missing.length) problems.push(`${ch.id} step ${i + 1} "${step.title}": ${missing.join(', ')} off screen`);
            if (i < ch.steps.length - 1) await tour.getByRole('button', { name: 'Next →' }).click();
          }
        }
        assert.deepEqual(problems, []);
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  }

  it('animates every kind of message along its edge, each labelled with its kind', async () => {
    const errors: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      // The failover chapter has them all: client requests and replies, log entries, acks,
      // heartbeats, a disk write and read, test-and-set, the MAC advertisement.
      const seen = new Set<string>();
      await page.exposeFunction('__sawMsg', (k: string) => seen.add(k));
      await page.addInitScript(() => {
        new MutationObserver((ms) => {
          for (const m of ms)
            for (const n of Array.from(m.addedNodes))
              if (n instanceof Element && n.hasAttribute('data-msg')) {
                const k = n.getAttribute('data-msg')!;
                (globalThis as unknown as { __sawMsg(k: string): void }).__sawMsg(n.getAttribute('data-drop') ? `${k} dropped` : k);
                if (!n.getAttribute('aria-label')) (globalThis as unknown as { __sawMsg(k: string): void }).__sawMsg('unlabelled');
              }
          // A message already on its way that is dropped falls where it is (its mark changes).
          for (const m of ms) if (m.type === 'attributes' && m.target instanceof Element && m.target.getAttribute('data-drop')) (globalThis as unknown as { __sawMsg(k: string): void }).__sawMsg(`${m.target.getAttribute('data-msg')} dropped`);
        }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-drop'] });
      });
      await page.goto(`${appUrl()}#tour=failover/1`);
      const tour = page.locator('aside.tour');
      await tour.waitFor();
      for (const [i, step] of CHAPTERS.find((c) => c.id === 'failover')!.steps.entries()) {
        await tour.getByRole('heading', { name: new RegExp(`^Step ${i + 1} of`) }).waitFor();
        if (step.predict) await tour.locator('.choices button').nth(step.predict.answer).click();
        if (step.ask) {
          await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'ask');
          await tour.getByRole('button', { name: 'do it for me' }).click();
        }
        await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'done', null, { timeout: 60_000 });
        if (i < 5) await tour.getByRole('button', { name: 'Next →' }).click().catch(() => undefined);
      }
      const want = ['request', 'reply', 'entry', 'ack', 'heartbeat', 'disk-write', 'tas-request', 'tas-answer', 'mac', 'heartbeat dropped'];
      assert.deepEqual(want.filter((k) => !seen.has(k)), [], `seen: ${[...seen].join(', ')}`);
      assert.ok(!seen.has('unlabelled'), 'every message has an accessible label');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('in the tour the clock belongs to the step: Space and Resume do not run the scenario on', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`${appUrl()}#tour=failover/3`);
      await page.locator('aside.tour').waitFor();
      await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'predict');
      const paused = () => page.evaluate(() => (globalThis as unknown as { __lab: { clock: { paused: boolean } } }).__lab.clock.paused);
      assert.equal(await paused(), true);
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Space');
      assert.equal(await paused(), true, 'Space leaves the step paused');
      const resume = page.getByRole('toolbar', { name: 'Controls' }).getByRole('button', { name: 'Resume' });
      if (await resume.isEnabled()) await resume.click();
      assert.equal(await paused(), true, 'Resume leaves the step paused');
    } finally {
      await page.close();
    }
  });

  it('is accessible (axe-core: no serious or critical violations) on the page, with the tour open and in presenter mode at 1024×768', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    try {
      await page.goto(`${appUrl()}?speed=1`);
      await page.getByTestId('stage-icount-B').waitFor();
      assert.deepEqual(await axeSerious(page), [], 'the page');
      await page.goto(`${appUrl()}#tour=failover/3`);
      await page.locator('aside.tour').waitFor();
      await page.getByTestId('stage-icount-B').waitFor();
      assert.deepEqual(await axeSerious(page), [], 'the tour');
      await page.getByRole('button', { name: 'Presenter mode' }).click();
      await page.getByRole('button', { name: '▶ Auto-play' }).click();
      await page.locator('.caption-bar').waitFor();
      assert.deepEqual(await axeSerious(page), [], 'presenter mode');
      // The caption bar covers nothing the step outlines.
      const covered = await page.evaluate(`(() => {
        const bar = document.querySelector('.caption-bar').getBoundingClientRect();
        const stage = document.querySelector('.stage-svg').getBoundingClientRect();
        return stage.bottom > bar.top + 1;
      })()`);
      assert.equal(covered, false, 'the caption bar does not cover the stage');
    } finally {
      await page.close();
    }
  });

  it('a teaching switch restarts the run with the same automatic clients; after Power off primary no dead end', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`${appUrl()}?speed=1`);
      await page.getByTestId('stage-icount-B').waitFor();
      await page.getByLabel('Automatic clients').selectOption('3');
      await page.getByRole('region', { name: 'Teaching switches' }).getByLabel('Output Rule').uncheck();
      await page.waitForFunction(() => (document.querySelector('select[aria-label="Automatic clients"]') as HTMLSelectElement | null)?.value === '3');
      assert.equal(await page.getByLabel('Automatic clients').inputValue(), '3', 'still 3 automatic clients after the restart');
      const faults = page.getByRole('group', { name: 'Faults' });
      await faults.getByRole('button', { name: 'Power off primary' }).click();
      // Both halt: no fault applies any more, and Start over is there.
      await page.locator('.stage-vm.role-halted[data-vm="A"]').waitFor({ timeout: 20_000 });
      await page.locator('.stage-vm.role-halted[data-vm="B"]').waitFor({ timeout: 20_000 });
      for (const name of ['Kill primary', 'Kill backup', 'Power off primary', 'Cut logging channel', 'Restart backup']) assert.ok(await faults.getByRole('button', { name, exact: true }).isDisabled(), `${name} is disabled`);
      await page.getByRole('button', { name: '↺ Start over' }).click();
      await page.locator('.stage-vm.role-primary[data-vm="A"]').waitFor();
      await page.locator('.stage-vm.role-backup[data-vm="B"]').waitFor();
      // Start over keeps the learner's setup: the same automatic clients, in the new run too.
      assert.equal(await page.getByLabel('Automatic clients').inputValue(), '3');
      await page.locator('[data-panel="client"]', { hasText: '+ 3 automatic' }).first().waitFor();
    } finally {
      await page.close();
    }
  });

  it("the stage's menus break what they name: kill a VM, tune a link; a menu offers only what applies", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`${appUrl()}?speed=1`);
      await page.getByTestId('stage-icount-B').waitFor();
      // The clients' network: its loss slider sets the link (one action when the learner lets go).
      await page.getByRole('button', { name: /^The clients' network: open its menu/ }).click();
      const menu = page.getByRole('dialog', { name: "Clients' network" });
      const loss = menu.getByRole('group', { name: /settings$/ }).getByRole('slider').nth(1);
      await loss.focus();
      await loss.press('ArrowRight');
      await loss.press('ArrowRight');
      // (the slider shows its new value once the page has drawn it: on a busy machine, later)
      for (const end = Date.now() + 10_000; (await loss.getAttribute('aria-valuetext')) !== '10%' && Date.now() < end; ) await page.waitForTimeout(50);
      assert.equal(await loss.getAttribute('aria-valuetext'), '10%');
      await page.waitForFunction(() => (globalThis as unknown as { __lab: { links: { clients: { loss: number } } } }).__lab.links.clients.loss === 0.1);
      await menu.getByRole('button', { name: 'Close' }).click();
      // A keyboard user sets the storage link's latency and closes the menu at once: the change
      // still applies (it waited for the learner to let go, and the menu's closing was that).
      await page.getByRole('button', { name: 'Link from VM A to shared storage: open its menu' }).click();
      const storageMenu = page.getByRole('dialog').filter({ has: page.getByRole('slider') }).first();
      const storageLatency = storageMenu.getByRole('slider').first();
      await storageLatency.focus();
      await storageLatency.press('End');
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => (globalThis as unknown as { __lab: { links: { storage: { latencyMs: number } } } }).__lab.links.storage.latencyMs === 20);
      // VM A's menu: Kill VM A; the backup takes over.
      await page.getByRole('button', { name: 'VM A (primary): actions' }).click();
      await page.getByRole('menuitem', { name: 'Kill VM A' }).click();
      await page.locator('.stage-vm.role-live[data-vm="B"]').waitFor({ timeout: 20_000 });
      // Alone, B has no logging channel to cut: the channel's menu says why.
      await page.getByRole('button', { name: 'Logging channel: open its menu' }).click();
      const cut = page.getByRole('menuitem', { name: /^Cut both ways/ });
      assert.ok(await cut.isDisabled(), 'no channel to cut without a pair');
      assert.match((await cut.textContent()) ?? '', /needs a primary and a backup/);
    } finally {
      await page.close();
    }
  });

  it('a message drawn on its way after it has arrived takes no clicks (nothing to drop, no fault with no effect)', async () => {
    const errors: string[] = [];
    const page = await openLab(browser, errors, undefined, '');
    try {
      // At the default latencies a message crosses in well under a virtual millisecond, while the
      // stage draws it at human pace: its drawing outlives it on the wire.
      const arrived = page.locator('.stage g.msg[data-arrived="yes"]').first();
      await arrived.waitFor({ state: 'attached', timeout: 20_000 });
      assert.equal(await arrived.evaluate((el) => el.classList.contains('droppable')), false);
      await arrived.dispatchEvent('click');
      // (a drop would be in the trace within a frame or two: the page acts at once on a message it no longer carries)
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const faults = await page.evaluate(() => (globalThis as unknown as { __lab: { trace: { type: string }[] } }).__lab.trace.filter((e) => e.type === 'fault').length);
      assert.equal(faults, 0, 'clicking it acted on nothing');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('a message on the wire can be dropped: paused, it waits on its edge; a click drops it and the logging channel resends it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(`${appUrl()}?speed=1`);
      await page.getByLabel('Runtime').selectOption('simulator');
      await page.waitForFunction(() => (globalThis as unknown as { __lab?: { kind: string } }).__lab?.kind === 'simulator');
      await page.getByTestId('stage-icount-B').waitFor();
      // A slower logging channel keeps messages on the wire long enough to catch one.
      await page.getByRole('button', { name: 'Logging channel: open its menu' }).click();
      const latency = page.getByRole('dialog', { name: 'Logging channel' }).getByRole('slider').first();
      await latency.focus();
      while ((await latency.getAttribute('aria-valuetext')) !== '5 ms') await latency.press('ArrowRight');
      await page.waitForFunction(() => (globalThis as unknown as { __lab: { links: { channel: { latencyMs: number } } } }).__lab.links.channel.latencyMs === 5);
      await page.keyboard.press('Escape');
      const pause = page.getByRole('button', { name: 'Pause', exact: true });
      const resume = page.getByRole('button', { name: 'Resume', exact: true });
      const onWire = page.locator('g.parked[data-msg-id]');
      // Pause until something is on the logging channel (with 5 ms of latency, nearly always).
      for (let tries = 0; (await onWire.count()) === 0; tries++) {
        assert.ok(tries < 10, 'a message on the wire when paused');
        if (tries > 0) {
          await resume.click();
          await pause.waitFor();
        }
        await pause.click();
        await resume.waitFor();
        await onWire.first().waitFor({ timeout: 3_000 }).catch(() => undefined);
      }
      // The messages waiting on the wire are buttons a screen reader can name and a keyboard reach.
      assert.deepEqual(await axeSerious(page, '.stage svg'), []);
      const target = onWire.first();
      const id = (await target.getAttribute('data-msg-id'))!;
      assert.match((await target.getAttribute('aria-label')) ?? '', /^On the wire: .+\. Drop it$/);
      await target.click();
      type Ev = { type: string; id?: string; why?: string; retransmit?: string };
      const traced = (want: string): Promise<unknown> =>
        page.waitForFunction((w) => (globalThis as unknown as { __lab: { trace: Ev[] } }).__lab.trace.some((e) => `${e.type} ${e.id} ${e.why ?? e.retransmit ?? ''}` === w), want, { timeout: 20_000 });
      await traced(`net/dropped ${id} learner`);
      // The logging channel is reliable (TCP): its stack resends it, and the resend arrives.
      await traced(`net/sent ${id}.r ${id}`);
      await page.locator(`g.parked[data-msg-id="${id}"]`).waitFor({ state: 'detached' });
      await resume.click();
      await traced(`net/delivered ${id}.r `);
      // A dropped and resent message changes nothing the checkers see.
      await page.waitForFunction(() => (globalThis as unknown as { __lab: { verdicts(): { replay: { ok: unknown } } } }).__lab.verdicts().replay.ok === true);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('slow motion around events: a kill slows the stage down, says why, and returns to the chosen speed', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`${appUrl()}?speed=1&slowmo=1`);
      await page.getByTestId('stage-icount-B').waitFor();
      await page.getByRole('group', { name: 'Faults' }).getByRole('button', { name: 'Kill primary', exact: true }).click();
      const badge = page.getByTestId('slow-motion');
      await badge.waitFor();
      assert.match((await badge.textContent()) ?? '', /^slow motion: /);
      await page.locator('.stage-vm.role-live[data-vm="B"]').waitFor({ timeout: 30_000 });
      await badge.waitFor({ state: 'detached', timeout: 60_000 });
      await page.waitForFunction(() => (globalThis as unknown as { __lab: { clock: { speed: number } } }).__lab.clock.speed === 1);
    } finally {
      await page.close();
    }
  });

  it('the slots show the current pair: after cut, halt, heal and Restart backup the new backup C has a slot; a live VM alone leaves the channel idle', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`${appUrl()}?speed=1&slowmo=0`);
      await page.getByTestId('stage-icount-B').waitFor();
      await page.getByLabel('Runtime').selectOption('simulator');
      await page.locator('.stage-vm.role-backup[data-vm="B"]').waitFor();
      const faults = page.getByRole('group', { name: 'Faults' });
      await faults.getByRole('button', { name: 'Cut logging channel' }).click();
      // Test-and-set picks one: the other halts, the winner goes live alone.
      const live = page.locator('g.stage-vm.role-live');
      await live.waitFor({ timeout: 30_000 });
      await page.locator('g.stage-vm.role-halted').waitFor({ timeout: 30_000 });
      const channel = page.getByTestId('stage-channel');
      await page.waitForFunction(() => document.querySelector('[data-testid="stage-channel"]')?.getAttribute('data-in-use') === 'no');
      assert.equal(await page.getByTestId('stage-lane-rl').textContent(), 'nothing to log to');
      const liveText = (await live.textContent()) ?? '';
      assert.ok(!liveText.includes('(to send)'), `a live VM claims no send buffer: ${liveText}`);
      await faults.getByRole('button', { name: 'Heal' }).click();
      await faults.getByRole('button', { name: 'Restart backup' }).click();
      // The new backup takes the halted VM's slot; logging to it resumes.
      const c = page.locator('g.stage-vm.role-backup[data-vm="C"]');
      await c.waitFor({ timeout: 30_000 });
      assert.match((await c.getAttribute('aria-label')) ?? '', /^VM C: backup$/);
      assert.equal(await page.locator('g.stage-vm').count(), 2);
      await page.waitForFunction(() => document.querySelector('[data-testid="stage-channel"]')?.getAttribute('data-in-use') === 'yes');
      assert.match((await channel.textContent()) ?? '', /log entries, heartbeats/);
    } finally {
      await page.close();
    }
  });

  it('a fresh lab starts with fresh slots: after a failover, the tour puts A on the left and B on the right', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`${appUrl()}?speed=1&slowmo=0`);
      await page.getByTestId('stage-icount-B').waitFor();
      await page.getByRole('group', { name: 'Faults' }).getByRole('button', { name: 'Kill primary', exact: true }).click();
      await page.locator('.stage-vm.role-live[data-vm="B"]').waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Guided tour' }).click();
      await page.getByRole('dialog', { name: 'Guided tour: chapters' }).locator(`[data-chapter="${CHAPTERS[0]!.id}"]`).click();
      await page.locator('aside.tour').waitFor();
      await page.locator('.stage-vm.role-primary[data-vm="A"]').waitFor();
      await page.locator('.stage-vm.role-backup[data-vm="B"]').waitFor();
      const x = (id: string): Promise<string | null> => page.locator(`g.stage-vm[data-vm="${id}"] > .hot > rect.frame`).getAttribute('x');
      assert.ok(Number(await x('A')) < Number(await x('B')), `A left of B (A at ${await x('A')}, B at ${await x('B')})`);
    } finally {
      await page.close();
    }
  });
});
