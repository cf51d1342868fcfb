// UI figures in headless Chromium: the page at full speed with the automatic workload on.
//  - ui_frame_ms_p95: 95th percentile of requestAnimationFrame intervals over 10 s.
//  - ui_heap_mb_after_60s: main-thread JS heap after 60 s of that (after a forced GC).
//  - ui_stage_ms_p95: the stage's own work per frame over those 10 s (render to commit of its SVG,
//    plus spawning the messages it animates), measured in the page (src/ui/stage/Stage.tsx).
import { findChromium, launchChromium, serveBuiltApp } from '../tests/browser/browser';

export interface UiBench {
  readonly frameP95: number;
  readonly frameP50: number;
  readonly heapMbAfter60s: number;
  readonly heapMbAt10s: number;
  readonly stageP95: number;
  readonly stageSamples: number;
}

/** `runtime`: the Web Worker lab (default) or the deterministic simulator (recordable; in its own worker). */
export async function benchUi(soakSeconds = 60, runtime: 'workers' | 'simulator' = 'workers'): Promise<UiBench | null> {
  if (!findChromium()) return null;
  const app = await serveBuiltApp();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const cdp = await page.context().newCDPSession(page);
    const heapMb = async (): Promise<number> => {
      await cdp.send('HeapProfiler.collectGarbage');
      const h = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      return h.usedSize / 1024 / 1024;
    };
    await page.goto(app.url);
    await page.getByTestId('icount-A').waitFor();
    if (runtime === 'simulator') {
      await page.getByLabel('Runtime').selectOption('simulator');
      await page.waitForFunction(() => (globalThis as unknown as { __lab: { kind: string } }).__lab.kind === 'simulator');
    }
    await page.getByLabel('Automatic clients').selectOption('8');
    await page.getByLabel('Speed').fill('6'); // the top of the slider: full speed (the governor holds what the machine sustains)
    await page.waitForTimeout(2000);
    // A string, not a function: the TS loader would wrap inner functions in helpers the page lacks.
    await page.evaluate('globalThis.__stageCost.length = 0');
    const frames = (await page.evaluate(`new Promise((resolve) => {
      const out = [];
      let last = performance.now();
      const end = last + 10000;
      requestAnimationFrame(function tick(now) {
        out.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick); else resolve(out);
      });
    })`)) as number[];
    const stage = ((await page.evaluate('[...globalThis.__stageCost]')) as number[]).sort((a, b) => a - b);
    const heap10 = await heapMb();
    await page.waitForTimeout(Math.max(0, soakSeconds - 12) * 1000);
    const heap60 = await heapMb();
    const sorted = [...frames].sort((a, b) => a - b);
    const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
    const stageP95 = stage.length ? stage[Math.min(stage.length - 1, Math.floor(0.95 * stage.length))]! : Number.NaN;
    return { frameP95: pct(95), frameP50: pct(50), heapMbAfter60s: heap60, heapMbAt10s: heap10, stageP95, stageSamples: stage.length };
  } finally {
    await browser.close();
    app.close();
  }
}

/** Flooding guests: newlines printed in a loop; a 16-byte frame to client 1 sent in a loop. */
export const FLOOD_SOURCES = {
  newlines: 'start:\n    li r1, 10\nloop:\n    out CONSOLE, r1\n    jmp loop\n',
  frames: 'start:\n    li r1, frame\n    out NIC_TX_ADDR, r1\n    li r2, 16\nloop:\n    out NIC_TX_SEND, r2\n    jmp loop\n    .align 4\nframe: .word 1\n    .word 0x6f6c6c65\n    .word 0\n    .word 0\n',
} as const;

/**
 * page_roundtrip_ms_p95_flood (and _frame_flood): a flooding guest, loaded from the editor, at
 * full speed (Web Workers runtime): the 95th percentile of round trips into the page (a
 * setTimeout(0) there and back, from this process) over `seconds`, and the heap at the end.
 */
export async function benchFlood(seconds = 30, flood: keyof typeof FLOOD_SOURCES = 'newlines'): Promise<{ p95: number; p50: number; heapMb: number } | null> {
  if (!findChromium()) return null;
  const app = await serveBuiltApp();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const cdp = await page.context().newCDPSession(page);
    await page.goto(app.url);
    await page.getByTestId('icount-A').waitFor();
    await page.getByText('Write your own program').click();
    await page.getByLabel('Assembly source').fill(FLOOD_SOURCES[flood]);
    await page.getByRole('button', { name: 'Assemble and run' }).click();
    await page.getByLabel('Speed').fill('6');
    await page.waitForTimeout(3000);
    const trips: number[] = [];
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const t0 = performance.now();
      await page.evaluate('new Promise((r) => setTimeout(r, 0))');
      trips.push(performance.now() - t0);
      await page.waitForTimeout(50);
    }
    await cdp.send('HeapProfiler.collectGarbage');
    const h = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    const sorted = [...trips].sort((a, b) => a - b);
    const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
    return { p95: pct(95), p50: pct(50), heapMb: h.usedSize / 1024 / 1024 };
  } finally {
    await browser.close();
    app.close();
  }
}
