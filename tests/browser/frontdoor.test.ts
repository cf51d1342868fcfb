// The front door: hostile links and programs get a message and never blank the page or lose the
// session on screen. On a fresh page the default lab runs and the message stays; pasted into an
// open tab, the running session carries on (same lab, its actions kept, icount still climbing);
// a good link pasted over recorded actions asks first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { crc32, encodeShareLink, fromBase64Url, toBase64Url, type ShareLink } from '../../src/engine/session/recording';
import { validateScenario } from '../../src/engine/sim/scenario';
import { appUrl, launchChromium, openLab } from './browser';

type Lab = {
  kind: string;
  virtualNow: number;
  seeking: number | null;
  __mark?: number;
  state: { actions: { kind: string; at: number }[] };
};

const scenario = validateScenario({ name: 'free session', program: 'kv-server', seed: 1, durationMs: 600_000 });
const good: ShareLink = {
  v: 1,
  chapter: null,
  step: null,
  spec: { scenario, source: null, noBackup: false },
  actions: [
    { at: 20, kind: 'workload', count: 1, perSecond: 50 },
    { at: 120, kind: 'kill-backup' },
  ],
  at: 300,
};
const goodText = encodeShareLink(good);

/** A format-2 link around any bytes, with a valid checksum. */
function checksummed(raw: Uint8Array): string {
  const packed = deflateSync(raw);
  const out = new Uint8Array(packed.length + 4);
  out.set(packed);
  new DataView(out.buffer).setUint32(packed.length, crc32(packed));
  return `2.${toBase64Url(out)}`;
}

function tampered(): string {
  const b = fromBase64Url(goodText.slice(2), true)!;
  b[Math.floor(b.length / 2)]! ^= 0x10;
  return `2.${toBase64Url(b)}`;
}

const HOSTILE_LINKS: [string, string, RegExp][] = [
  ['a program that does not assemble', encodeShareLink({ ...good, spec: { ...good.spec, source: 'start:\n  li r1, <script>\n' } }), /does not assemble \(2:10: unexpected character '<'\)/],
  ['a truncated link', goodText.slice(0, -9), /this link is damaged/],
  ['a tampered link', tampered(), /this link is damaged: its checksum does not match/],
  ['a decompression bomb', checksummed(new Uint8Array(48 * 1024 * 1024)), /unpacks to more than 32 MB/],
  ['a session far too long', encodeShareLink({ ...good, at: 1e300 }), /longer than 4 virtual hours/],
];

const lab = <T>(page: Page, fn: string): Promise<T> => page.evaluate(`(() => { const l = globalThis.__lab; return ${fn}; })()`) as Promise<T>;

/** Put text in the editor as typing would (Playwright's fill is slow on a long multi-line text). */
async function setSource(page: Page, text: string): Promise<void> {
  await page.evaluate((t) => {
    const el = document.querySelector<HTMLTextAreaElement>('textarea[aria-label="Assembly source"]')!;
    Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(el, t);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, text);
  // Let React commit the new source before anything clicks "Assemble and run" (a frame and a task).
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
}

async function icount(page: Page, vm: string): Promise<number> {
  return Number(((await page.getByTestId(`icount-${vm}`).textContent()) ?? '').replace(/[^0-9]/g, ''));
}

describe('the front door', () => {
  let browser: Browser;
  const errors: string[] = [];
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const [name, text, message] of HOSTILE_LINKS) {
    it(`fresh page, ${name}: a message that stays, and the default lab runs`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${appUrl()}?speed=1#run=${text}`);
      await page.waitForFunction(() => (globalThis as { __lab?: unknown }).__lab !== undefined);
      const alert = page.getByRole('alert').filter({ hasText: 'Not opened' });
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', message);
      // The default lab is running: its VMs make progress, and the message is still there.
      await page.getByTestId('icount-A').waitFor();
      const first = await icount(page, 'A');
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="icount-A"]')?.textContent?.replace(/[^0-9]/g, '') ?? 0) > n, first);
      await page.waitForFunction(() => ((globalThis as { __lab?: { virtualNow: number } }).__lab?.virtualNow ?? 0) > 300);
      assert.equal(await alert.isVisible(), true, 'the message stays until dismissed');
      assert.ok(((await page.locator('#root').innerHTML()) ?? '').length > 1000, 'the page is not blank');
      await alert.getByRole('button', { name: 'Dismiss' }).click();
      await alert.waitFor({ state: 'detached' });
      await page.close();
      assert.deepEqual(errors, []);
    });
  }

  it('fresh page, a tour link to no chapter: a message, and the default lab runs', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${appUrl()}?speed=1#tour=no-such-chapter/3`);
    await page.getByRole('alert').filter({ hasText: 'Not opened: the tour has no chapter called “no-such-chapter”' }).waitFor();
    await page.getByTestId('icount-B').waitFor();
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('pasted into an open tab, damaged links leave the running session in place', async () => {
    const page = await openLab(browser, errors);
    await page.getByLabel('Runtime').selectOption('simulator');
    await page.waitForFunction(() => (globalThis as unknown as { __lab: Lab }).__lab.kind === 'simulator');
    await page.getByLabel('Automatic clients').selectOption('1');
    await page.waitForFunction(() => (globalThis as unknown as { __lab: Lab }).__lab.virtualNow > 200);
    await page.getByRole('button', { name: 'Cut logging channel' }).click();
    await page.getByRole('button', { name: 'Heal' }).click();
    await lab(page, '(l.__mark = 42)');
    const actions = await lab<string>(page, 'JSON.stringify(l.state.actions)');
    assert.equal(JSON.parse(actions).length, 3);
    for (const [name, text, message] of HOSTILE_LINKS) {
      const before = await lab<number>(page, 'l.virtualNow');
      await page.evaluate((h) => (location.hash = h), `#run=${text}`);
      const alert = page.getByRole('alert').filter({ hasText: 'Not opened' });
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', message, name);
      assert.match((await alert.textContent()) ?? '', /Your session is still here, unchanged/);
      // The same lab, its actions kept, and it carries on running.
      assert.equal(await lab(page, 'l.__mark'), 42, `${name}: the session was not replaced`);
      assert.equal(await lab(page, 'JSON.stringify(l.state.actions)'), actions, `${name}: its actions are kept`);
      await page.waitForFunction((t) => (globalThis as unknown as { __lab: Lab }).__lab.virtualNow > t + 50, before);
      await alert.getByRole('button', { name: 'Dismiss' }).click();
      await alert.waitFor({ state: 'detached' });
    }
    assert.equal(await page.getByTestId('replace-dialog').count(), 0, 'nothing to ask about a link that is refused');
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('a good link pasted over recorded actions asks first: Keep keeps the session, Replace opens the link', async () => {
    const page = await openLab(browser, errors);
    await page.getByLabel('Runtime').selectOption('simulator');
    await page.waitForFunction(() => (globalThis as unknown as { __lab: Lab }).__lab.kind === 'simulator');
    await page.getByRole('button', { name: 'Kill backup', exact: true }).click();
    // The action is recorded once the simulator's worker has taken it.
    await page.waitForFunction(() => (globalThis as unknown as { __lab: Lab }).__lab.state.actions.length === 1);
    await lab(page, '(l.__mark = 7)');
    await page.evaluate((h) => (location.hash = h), `#run=${goodText}`);
    const dialog = page.getByTestId('replace-dialog');
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /a shared session \(2 actions, at 300\.0 ms\).*1 recorded action/);
    const before = await lab<number>(page, 'l.virtualNow');
    await page.waitForFunction((t) => (globalThis as unknown as { __lab: Lab }).__lab.virtualNow > t + 20, before);
    await dialog.getByRole('button', { name: 'Keep my session' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await lab(page, 'l.__mark'), 7, 'Keep: the session stays');
    assert.deepEqual(await lab(page, 'l.state.actions.map((a) => a.kind)'), ['kill-backup']);

    await page.evaluate(() => (location.hash = ''));
    await page.evaluate((h) => (location.hash = h), `#run=${goodText}`);
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Replace' }).click();
    await page.waitForFunction(() => {
      const l = (globalThis as unknown as { __lab: Lab }).__lab;
      return l.__mark === undefined && l.kind === 'simulator' && l.seeking === null && l.virtualNow === 300;
    });
    assert.deepEqual(await lab(page, 'l.state.actions.map((a) => a.kind)'), ['workload', 'kill-backup']);
    await page.getByRole('status').filter({ hasText: 'Opened a shared session: 2 actions' }).waitFor();
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('hostile programs in the editor: line:col errors, the first 50 listed, the session untouched', async () => {
    const page = await openLab(browser, errors);
    await lab(page, '(l.__mark = 9)');
    await page.getByText('Write your own program').click();
    const run = page.getByRole('button', { name: 'Assemble and run' });
    const status = page.locator('.editor-status');
    const cases: [string, string, RegExp][] = [
      ['20,000 nested parentheses', `X = ${'('.repeat(20_000)}1${')'.repeat(20_000)}\nhalt\n`, /^1:261: expression nested too deeply \(limit 256\)$/],
      ['40,000 unary minus signs', `X = ${'-'.repeat(40_000)}1\nhalt\n`, /^1:261: expression nested too deeply \(limit 256\)$/],
      ['an expression of 49,000 terms', `X = 1${'+1'.repeat(48_999)}\nhalt\n`, /^1:20005: expression too long \(limit 10000 terms\)$/],
    ];
    for (const [name, src, message] of cases) {
      await setSource(page, src);
      await run.click();
      await status.filter({ hasText: '1 error: nothing was changed' }).waitFor();
      const items = page.locator('#asm-errors li');
      assert.equal(await items.count(), 1, name);
      assert.match(((await items.first().textContent()) ?? '').trim(), message, name);
      assert.equal(await lab(page, 'l.__mark'), 9, `${name}: the running lab is untouched`);
    }
    // 18,000 errors: the first 50 listed, and a count of the rest.
    await setSource(page, 'x\n'.repeat(18_000));
    await run.click();
    await status.filter({ hasText: '18,000 errors: nothing was changed' }).waitFor();
    assert.equal(await page.locator('#asm-errors li').count(), 51);
    assert.equal(((await page.getByTestId('asm-errors-more').textContent()) ?? '').trim(), '… and 17,950 more errors');
    // Over the size a link can carry: refused before assembling.
    await setSource(page, `; ${'x'.repeat(100_001)}\nhalt\n`);
    await run.click();
    await status.filter({ hasText: 'over the limit of 100,000' }).waitFor();
    assert.equal(await lab(page, 'l.__mark'), 9);
    // A chain of 8,000 constants (short names, to fit the size limit) is a program that runs.
    const name = (i: number): string => `q${i.toString(36)}`;
    const chain = ['q0=0', ...Array.from({ length: 8000 }, (_, i) => `${name(i + 1)}=${name(i)}+1`), 'start:', `    li r1, ${name(8000)} & 0xff`, '    halt'].join('\n');
    assert.ok(chain.length < 100_000);
    await setSource(page, chain);
    await run.click();
    await status.filter({ hasText: 'running on both VMs' }).waitFor();
    await page.waitForFunction(() => (globalThis as { __lab?: { __mark?: number } }).__lab?.__mark === undefined);
    await page.close();
    assert.deepEqual(errors, []);
  });
});
