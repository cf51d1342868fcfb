// The d3 views: the space-time diagram (arrows, tooltip, selection, failover markers), the metrics
// and the logging channel in slow motion. Screenshots go to test-results/viz-*.png.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { labPages } from './browser';

const SVG = '[data-testid=timeline-svg]';

const count = (page: Page, sel: string): Promise<number> => page.locator(sel).count();

async function untilCount(page: Page, sel: string, min: number, what: string, ms = 30_000): Promise<number> {
  const end = Date.now() + ms;
  for (;;) {
    const n = await count(page, sel);
    if (n >= min) return n;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${sel}: ${n})`);
    await page.waitForTimeout(100);
  }
}

const replies = (page: Page): Promise<number> =>
  page.evaluate(() => (globalThis as unknown as { __lab: { history(): { status: string }[] } }).__lab.history().filter((o) => o.status === 'ok').length);

async function untilReplies(page: Page, n: number): Promise<void> {
  const end = Date.now() + 30_000;
  while ((await replies(page)) < n) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${n} replies`);
    await page.waitForTimeout(100);
  }
}

describe('d3 views', () => {
  let page: Page;
  let errors: string[] = [];
  labPages((p, e) => {
    page = p;
    errors = e;
  });

  it('timeline: arrows for log batches, acks, requests and outputs; hover shows a tooltip; click selects', async () => {
    await page.getByLabel('Automatic clients').selectOption('3');
    await untilReplies(page, 10);
    await untilCount(page, `${SVG} [data-kind=log]`, 3, 'log batch arrows');
    await untilCount(page, `${SVG} [data-kind=output]`, 1, 'output arrows');
    await untilCount(page, `${SVG} [data-kind=ack]`, 1, 'ack arrows');
    await untilCount(page, `${SVG} [data-kind=request]`, 1, 'request arrows');
    const lanes = await page.locator(`${SVG} [data-lane]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-lane')));
    assert.ok(lanes.includes('A') && lanes.includes('B') && lanes.includes('storage'), JSON.stringify(lanes));
    assert.ok(
      lanes.some((l) => l?.startsWith('client-')),
      JSON.stringify(lanes),
    );
    const label = await page.locator(SVG).getAttribute('aria-label');
    assert.match(label ?? '', /log batches/);
    await page.locator('.viz-tabs').scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/viz-timeline-live.png' });

    // Freeze a 20 ms window with an output in it, to look at it.
    await page.getByLabel('Timeline window').selectOption('20');
    for (let i = 0; ; i++) {
      await page.getByLabel('Follow live').check();
      await untilCount(page, `${SVG} [data-kind=output]`, 1, 'an output in the window');
      await page.getByLabel('Follow live').uncheck();
      if ((await count(page, `${SVG} [data-kind=output]`)) >= 1) break;
      assert.ok(i < 20, 'froze a window with an output');
    }
    // Hover a point of an output arrow that no other item covers.
    await page.locator(SVG).scrollIntoViewIfNeeded();
    const point = await page.evaluate(() => {
      for (const g of Array.from(document.querySelectorAll('[data-testid=timeline-svg] g[data-kind=output]'))) {
        const l = g.querySelector('line.hit') as SVGLineElement;
        const r = l.ownerSVGElement!.getBoundingClientRect();
        const m = l.getScreenCTM()!;
        const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map((k) => Number(l.getAttribute(k)));
        for (const f of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
          const p = new DOMPoint(x1! + (x2! - x1!) * f, y1! + (y2! - y1!) * f).matrixTransform(m);
          const { x, y } = p;
          if (x < r.left + 80 || x > r.right - 16) continue;
          if (document.elementFromPoint(x, y)?.closest('[data-id]') === g) return { x, y };
        }
      }
      return null;
    });
    assert.ok(point, 'an output arrow can be pointed at');
    await page.mouse.move(point.x, point.y);
    const tip = page.locator('.viz-tooltip');
    await tip.waitFor();
    assert.match((await tip.textContent()) ?? '', /output/);
    await page.locator('.viz-timeline').screenshot({ path: 'test-results/viz-timeline-tooltip.png' });
    await page.mouse.down();
    await page.mouse.up();
    const details = page.getByTestId('timeline-selected');
    await details.locator('dl').waitFor();
    const text = (await details.textContent()) ?? '';
    assert.match(text, /output \((net|disk-write)\)/);
    assert.match(text, /held for/);
    assert.equal(await details.getAttribute('aria-live'), 'polite');
    assert.equal(await count(page, `${SVG} .viz-msg.selected`), 1);
    await page.mouse.move(0, 0);
    await page.locator('.viz-timeline').screenshot({ path: 'test-results/viz-timeline-selected.png' });

    // The keyboard reaches the same details: focus the chart, step with the arrows.
    await page.locator('.viz-chart').focus();
    await page.keyboard.press('Home');
    await details.locator('dl').waitFor();
    const home = (await details.textContent()) ?? '';
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((h) => document.querySelector('[data-testid="timeline-selected"]')?.textContent !== h, home);
    assert.notEqual((await details.textContent()) ?? '', home, 'the right arrow moves to the next event');
    assert.equal(await count(page, `${SVG} .selected`), 1, 'the event stepped to is marked on the chart');
    await page.keyboard.press('Escape');
    await page.getByText(/use the arrow keys/).waitFor();

    // Zoom with the wheel: the window shrinks.
    const before = (await page.locator('.viz-range').textContent()) ?? '';
    const box = (await page.locator(SVG).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    await page.waitForTimeout(200);
    const after = (await page.locator('.viz-range').textContent()) ?? '';
    assert.notEqual(after, before);
    assert.deepEqual(errors, []);
  });

  it('timeline: after "Kill primary" a went-live marker appears, with the test-and-set round trip', async () => {
    await page.getByLabel('Automatic clients').selectOption('3');
    await untilReplies(page, 10);
    await page.getByLabel('Timeline window').selectOption('1000');
    await page.getByRole('button', { name: 'Kill primary' }).click();
    await untilCount(page, `${SVG} [data-kind=went-live]`, 1, 'went-live marker');
    // Freeze the window so the screenshot shows the failover; zoom out if the kill is out of view.
    await page.getByLabel('Follow live').uncheck();
    for (let i = 0; i < 4 && (await count(page, `${SVG} [data-kind=dead]`)) === 0; i++) await page.getByRole('button', { name: 'Zoom out' }).click();
    assert.ok((await count(page, `${SVG} [data-kind=dead]`)) >= 1, 'a dead marker');
    assert.ok((await count(page, `${SVG} [data-kind=suspected]`)) >= 1, 'a suspicion marker');
    assert.ok((await count(page, `${SVG} [data-kind=tas]`)) >= 2, 'test-and-set request and result');
    assert.match((await page.locator(SVG).getAttribute('aria-label')) ?? '', /went live on B/);
    await page.locator('.viz-tabs').scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/viz-timeline-failover.png' });
    assert.deepEqual(errors, []);
  });

  it('metrics: lag, bandwidth, output delay and throughput show numbers', async () => {
    await page.getByLabel('Automatic clients').selectOption('3');
    const tab = page.getByRole('tab', { name: 'Metrics' });
    await tab.click();
    await page.getByRole('tab', { name: 'Metrics', selected: true }).waitFor({ timeout: 20_000 });
    // Until its first figures are in, the panel says it waits for the lab.
    const waiting = page.locator('#viz-panel-metrics .viz-hint');
    await page.getByTestId('metric-lag-value').waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
      throw new Error(`${e.message}; the metrics panel shows: ${(await waiting.textContent().catch(() => null)) ?? '(no hint)'}`);
    });
    for (const id of ['lag', 'bandwidth', 'delay', 'throughput']) {
      const v = page.getByTestId(`metric-${id}-value`);
      const end = Date.now() + 15_000;
      let text = '';
      while (!/\d/.test((text = (await v.textContent()) ?? ''))) {
        if (Date.now() > end) throw new Error(`metric ${id} shows no number: ${text}`);
        await page.waitForTimeout(100);
      }
    }
    // Replies flow: the throughput (replies per virtual second, trailing 0.25 s) becomes positive.
    const tpText = page.getByTestId('metric-throughput-value');
    const end = Date.now() + 20_000;
    let tp = 0;
    while (!((tp = Number.parseFloat((await tpText.textContent()) ?? '')) > 0)) {
      if (Date.now() > end) throw new Error(`throughput ${tp}`);
      await page.waitForTimeout(100);
    }
    assert.ok((await page.locator('.viz-metric path.line[d^="M"]').count()) >= 3, 'lines are drawn');
    await page.locator('.viz-tabs').scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/viz-metrics.png' });
    assert.deepEqual(errors, []);
  });

  it('channel: at the slowest speed, a request makes log entries visibly cross the channel', async () => {
    await page.getByLabel('Speed').fill('0');
    await page.locator('output', { hasText: '1/1000×' }).first().waitFor();
    // A slow logging channel (2 ms): a flight lasts ~2 s of wall time at 1/1000×, long enough for
    // the page to see it and pause on a busy machine (at 0.05 ms it could land before the pause).
    await page.evaluate(() => (globalThis as unknown as { __lab: { slowChannel(ms: number): void } }).__lab.slowChannel(2));
    await page.locator('.client-terminal').click();
    await page.keyboard.type('put slow 1');
    await page.keyboard.press('Enter');
    // Poll every frame and pause the lab as soon as a flight shows, for the screenshot. A flight placed by its nominal latency
    // may turn out to have landed already when its receipt reaches the page: then try again.
    for (let i = 0; ; i++) {
      await page.waitForFunction(
        () => {
          const seen = document.querySelector('[data-testid=channel-view] .viz-flight[data-kind=log]') !== null;
          if (seen) (globalThis as unknown as { __lab: { pause(): void } }).__lab.pause();
          return seen;
        },
        null,
        { polling: 'raf', timeout: 30_000 },
      );
      await page.waitForTimeout(300);
      if ((await count(page, '[data-testid=channel-view] .viz-flight[data-kind=log]')) >= 1) break;
      const state = await page.evaluate(() => {
        const lab = (globalThis as unknown as { __lab: { virtualNow: number; trace: { t: number; type: string }[] } }).__lab;
        const recent = lab.trace.filter((e) => e.t > lab.virtualNow - 0.2 && e.type.startsWith('entry/')).map((e) => `${e.type}@${e.t.toFixed(4)}`);
        return `now ${lab.virtualNow.toFixed(4)}; ${recent.join(', ')}`;
      });
      assert.ok(i < 10, `a log batch stays in flight while paused (${state})`);
      await page.evaluate((n) => {
        const lab = (globalThis as unknown as { __lab: { resume(): void; request(text: string, id: number): boolean } }).__lab;
        lab.resume();
        lab.request(`put slow ${n}`, 50 + n);
      }, i);
    }
    await page.locator('[data-testid=channel-view]').scrollIntoViewIfNeeded();
    await page.locator('.viz-channel').screenshot({ path: 'test-results/viz-channel.png' });
    await page.evaluate(() => (globalThis as unknown as { __lab: { resume(): void } }).__lab.resume());
    assert.match((await page.getByTestId('channel-seen').textContent()) ?? '', /^[1-9]/);
    assert.deepEqual(errors, []);
  });
});
