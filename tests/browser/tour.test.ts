// The guided tour, played the way a learner would: every chapter from its first step to its
// last, predictions answered, asked actions taken with the page's own buttons, each step's
// "what you should see" list checked on screen.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CHAPTERS } from '../../src/engine/tour/chapters';
import type { PanelId, Step } from '../../src/engine/tour/types';
import { appUrl, launchChromium, openLab } from './browser';

const require = createRequire(import.meta.url);

/** The page's button for an asked action, when there is one (else the tour's "do it for me"). */
const BUTTON_FOR: Record<string, string> = {
  'kill-primary': 'Kill primary',
  'kill-backup': 'Kill backup',
  'power-off-primary': 'Power off primary',
  'cut-channel': 'Cut logging channel',
  heal: 'Heal',
  'restart-backup': 'Restart backup',
};

async function phase(page: Page): Promise<string | null> {
  return page.locator('aside.tour').getAttribute('data-phase');
}

async function openTour(browser: Browser, id: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${appUrl()}#tour=${id}/1`);
  await page.locator('aside.tour').waitFor();
  return page;
}

/** VM panels answer to vm-A, vm-B, vm-C always and to vm-primary, vm-backup by their role now. */
const isVmPanel = (id: PanelId): boolean => id.startsWith('vm-');

/** Which of these panels are on the page now; first waits (briefly) for those in `awaited` to render. */
async function panelsShown(page: Page, ids: readonly PanelId[], awaited: readonly PanelId[]): Promise<PanelId[]> {
  const all = (want: readonly string[]) => want.every((id) => document.querySelector(`[data-panel~="${id}"]`) !== null);
  if (awaited.length) await page.waitForFunction(all, [...awaited], { timeout: 5_000 }).catch(() => undefined);
  const shown = await page.evaluate((want) => want.filter((id) => document.querySelector(`[data-panel~="${id}"]`) !== null), [...ids]);
  return ids.filter((id) => shown.includes(id));
}

async function playStep(page: Page, step: Step, i: number, total: number, letRun: boolean): Promise<void> {
  const tour = page.locator('aside.tour');
  await tour.getByRole('heading', { name: `Step ${i + 1} of ${total}: ${step.title}` }).waitFor();
  const where = `step ${i + 1} "${step.title}"`;
  // What the step outlines: a VM panel at the step's start or at its end (roles change as it runs), any other panel throughout.
  const highlight = step.highlight ?? [];
  const others = highlight.filter((id) => !isVmPanel(id));
  const atStart = await panelsShown(page, highlight, others);
  assert.deepEqual(atStart.filter((id) => !isVmPanel(id)), others, `${where} outlines panels that are on the page when it opens`);
  if (step.predict) {
    assert.equal(await phase(page), 'predict');
    if (i < total - 1) assert.ok(await tour.getByRole('button', { name: 'Next →' }).isDisabled(), 'Next waits for a prediction');
    await tour.locator('.choices button').nth(step.predict.answer).click();
  }
  if (step.ask) {
    await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'ask');
    await tour.getByText(step.ask.prompt).waitFor();
    const name = BUTTON_FOR[step.ask.action.kind];
    if (name) await page.getByRole('group', { name: 'Faults' }).getByRole('button', { name, exact: true }).click();
    else await tour.getByRole('button', { name: 'do it for me' }).click();
  }
  if ((await phase(page)) === 'run' && !letRun) {
    await tour.getByRole('button', { name: 'skip to the end of this step' }).click().catch(() => undefined); // may finish first
  }
  await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'done', null, { timeout: 30_000 });
  const marks = await tour.getByTestId('tour-expect').evaluateAll((els) => els.map((e) => `${e.className}: ${e.textContent}`));
  assert.equal(marks.length, step.expect?.length ?? 0, `step ${i + 1} lists what to see`);
  for (const m of marks) assert.ok(m.startsWith('ok:'), `step ${i + 1} "${step.title}": expected to see ${m}`);
  const atEnd = await panelsShown(page, highlight, highlight.filter((id) => !isVmPanel(id) || !atStart.includes(id)));
  const missing = highlight.filter((id) => !atEnd.includes(id) && (!isVmPanel(id) || !atStart.includes(id)));
  assert.deepEqual(missing, [], `${where} outlines panels that are on the page (at its start: ${atStart.join(', ')}; at its end: ${atEnd.join(', ')})`);
  if (step.predict) await tour.getByRole('status').filter({ hasText: '✔ Right.' }).waitFor();
}

describe('guided tour', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const [n, ch] of CHAPTERS.entries()) {
    it(`chapter ${n + 1} (${ch.id}) plays from the first step to the last`, async () => {
      const errors: string[] = [];
      const page = await openTour(browser, ch.id, errors);
      try {
        for (const [i, step] of ch.steps.entries()) {
          // The first chapter's runs play at their own pace, as a learner sees them; later ones are skipped through.
          await playStep(page, step, i, ch.steps.length, n === 0);
          if (i < ch.steps.length - 1) await page.locator('aside.tour').getByRole('button', { name: 'Next →' }).click();
        }
        const last = n === CHAPTERS.length - 1 ? 'Finish the tour' : 'Next chapter →';
        await page.locator('aside.tour').getByRole('button', { name: last }).waitFor();
        if (n === 0) {
          // The chapter list remembers it (this browser's progress).
          await page.getByRole('button', { name: 'Guided tour' }).click();
          const item = page.getByRole('dialog', { name: 'Guided tour: chapters' }).locator(`[data-chapter="${ch.id}"]`);
          assert.match((await item.textContent()) ?? '', /✔ done/);
          await page.keyboard.press('Escape');
        }
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  }

  it('Back and the step list replay the chapter to the same state; the address names the step', async () => {
    const errors: string[] = [];
    const ch = CHAPTERS.find((c) => c.id === 'failover') ?? CHAPTERS[0]!;
    const page = await openTour(browser, ch.id, errors);
    try {
      const k = Math.min(3, ch.steps.length - 1);
      // A step at rest: waiting for a prediction or an action, or done running.
      const settled = () => page.waitForFunction(() => ['predict', 'ask', 'done'].includes(document.querySelector('aside.tour')?.getAttribute('data-phase') ?? ''));
      await page.locator('.tour-steps button').nth(k).click();
      await settled();
      assert.match(page.url(), new RegExp(`#tour=${ch.id}/${k + 1}$`));
      const state = () => page.evaluate(() => {
        const l = (globalThis as unknown as { __lab: { virtualNow: number; stateHashes(): Promise<unknown> } }).__lab;
        return l.stateHashes().then((h) => JSON.stringify([l.virtualNow, h]));
      });
      const first = await state();
      await page.locator('.tour-steps button').nth(k - 1).click();
      await page.locator('aside.tour').getByRole('heading', { name: new RegExp(`^Step ${k} of`) }).waitFor();
      await page.locator('.tour-steps button').nth(k).click();
      await page.locator('aside.tour').getByRole('heading', { name: new RegExp(`^Step ${k + 1} of`) }).waitFor();
      await settled();
      assert.equal(await state(), first, 'jumping to a step twice gives the same state');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('a chapter picked from the list with the keyboard takes focus to the tour panel; at 1024×768 the page keeps its header and the whole stage on screen', async () => {
    const errors: string[] = [];
    const page = await openLab(browser, errors, { width: 1024, height: 768 }, '');
    try {
      await page.getByRole('button', { name: 'Guided tour' }).click();
      const list = page.getByRole('dialog', { name: 'Guided tour: chapters' });
      await list.locator('[data-chapter="failover"]').focus();
      await page.keyboard.press('Enter');
      await page.locator('aside.tour').getByRole('heading', { name: /^Step 1 of/ }).waitFor();
      await page.waitForFunction(() => document.activeElement?.closest('aside.tour') !== null);
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Failover', 'focus is on the chapter\'s title');
      // Tab goes on through the panel, not from the page's top.
      await page.keyboard.press('Tab');
      assert.ok(await page.evaluate(() => document.activeElement?.closest('aside.tour') !== null), 'Tab stays in the tour panel');
      // Once the stage has fitted itself beside the panel: no scroll hides the header.
      await page.waitForFunction(() => {
        const st = document.querySelector('.stage .stage-svg')?.getBoundingClientRect();
        return st !== undefined && st.bottom <= innerHeight;
      });
      const at = await page.evaluate(() => ({ y: scrollY, title: document.querySelector('header h1')?.getBoundingClientRect().top ?? -1 }));
      assert.equal(at.y, 0, 'the page is not scrolled');
      assert.ok(at.title >= 0, 'the page\'s title is on screen');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('Space pauses a running step and Space again lets it run to its own end (never past it); leaving the tour brings back the learner\'s speed and runtime', async () => {
    const errors: string[] = [];
    // (the speed a newcomer's page opens at: the tour's chapters run at their own)
    const page = await openLab(browser, errors, undefined, '');
    const now = (): Promise<number> => page.evaluate(() => (globalThis as unknown as { __lab: { virtualNow: number } }).__lab.virtualNow);
    try {
      const speedBefore = await page.locator('label.speed output').textContent();
      await page.getByRole('button', { name: 'Guided tour' }).click();
      await page.getByRole('dialog', { name: 'Guided tour: chapters' }).locator('[data-chapter="failover"]').click();
      const tour = page.locator('aside.tour');
      await tour.getByRole('heading', { name: /^Step 1 of/ }).waitFor();
      await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'run');
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Space');
      await page.getByRole('button', { name: 'Resume' }).waitFor();
      // Paused, mid-step: the simulator's clock stands and the step still runs (it is not over).
      await page.waitForFunction(() => (globalThis as unknown as { __lab: { sim: { state: { paused: boolean } } } }).__lab.sim.state.paused);
      assert.equal(await phase(page), 'run');
      await page.keyboard.press('Space');
      await page.waitForFunction(() => document.querySelector('aside.tour')?.getAttribute('data-phase') === 'done', null, { timeout: 30_000 });
      const end = await now();
      // Done: Space does nothing (the run stays at the step's end).
      await page.keyboard.press('Space');
      assert.ok(await page.getByRole('button', { name: 'Resume' }).isDisabled(), 'Resume is off once the step has ended');
      assert.equal(await now(), end);
      await tour.getByRole('button', { name: 'Leave the tour' }).click();
      await page.locator('aside.tour').waitFor({ state: 'hidden' });
      await page.waitForFunction(() => (globalThis as unknown as { __lab: { kind: string } }).__lab.kind === 'workers');
      assert.equal(await page.locator('label.speed output').textContent(), speedBefore);
      assert.equal(await page.getByLabel('Runtime').inputValue(), 'workers');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('is accessible (axe-core: no serious or critical violations) and a clicker\'s PageDown moves on', async () => {
    const errors: string[] = [];
    const ch = CHAPTERS.find((c) => c.steps.length > 2 && !c.steps[0]!.predict && !c.steps[0]!.ask) ?? CHAPTERS[0]!;
    const page = await openTour(browser, ch.id, errors);
    try {
      await page.getByRole('button', { name: 'Guided tour' }).click();
      await page.getByRole('dialog', { name: 'Guided tour: chapters' }).waitFor();
      // Evaluated, not added as a <script>: the page's CSP refuses inline scripts.
      await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
      const violations = await page.evaluate(async () => {
        const axe = (globalThis as unknown as { axe: { run(ctx: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe;
        const r = await axe.run(document);
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
      });
      assert.deepEqual(violations, []);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: 'Guided tour: chapters' }).waitFor({ state: 'hidden' });
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('PageDown');
      await page.locator('aside.tour').getByRole('heading', { name: /^Step 2 of/ }).waitFor();
      assert.match(page.url(), new RegExp(`#tour=${ch.id}/2$`));
      await page.keyboard.press('PageUp');
      await page.locator('aside.tour').getByRole('heading', { name: /^Step 1 of/ }).waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('presenter mode outside the tour: focus on one panel dims the others', async () => {
    const errors: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(appUrl());
      await page.getByRole('button', { name: 'Presenter mode' }).click();
      await page.getByLabel('Focus on a panel').selectOption('verdicts');
      // The detail panels below the stage (the stage's own strip has panels of the same names).
      const look = (sel: string) => page.locator(`.details ${sel}`).evaluate((el) => ({ filter: getComputedStyle(el).filter, outline: getComputedStyle(el).outlineStyle }));
      assert.deepEqual(await look('[data-panel="verdicts"]'), { filter: 'none', outline: 'solid' });
      assert.equal((await look('[data-panel="feed"]')).filter, 'grayscale(1)');
      await page.getByLabel('Focus on a panel').selectOption('');
      assert.equal((await look('[data-panel="feed"]')).filter, 'none');
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('presenter mode: large type, captions, and auto-play moves through the steps on its own', async () => {
    const errors: string[] = [];
    const ch = CHAPTERS[0]!;
    const page = await openTour(browser, ch.id, errors);
    try {
      const before = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
      await page.getByRole('button', { name: 'Presenter mode' }).click();
      const larger = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
      assert.ok(larger >= before * 1.2, `type grows for a projector (${before} → ${larger} px)`);
      assert.equal(await page.locator('.caption-bar').count(), 0, 'no captions until auto-play');
      await page.getByRole('button', { name: '▶ Auto-play' }).click();
      await page.locator('.caption-bar').waitFor();
      await page.locator('aside.tour').getByRole('heading', { name: /^Step 2 of/ }).waitFor({ timeout: 45_000 });
      assert.match((await page.locator('.caption-bar').textContent()) ?? '', new RegExp(ch.steps[1]!.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      await page.getByRole('button', { name: '■ Stop auto-play' }).click();
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
