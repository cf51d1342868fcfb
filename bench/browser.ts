// Browser figures, measured in headless Chromium on the production build, at full speed (the
// clock governor runs virtual time as fast as every VM worker can follow):
//  - browser_guest_mips: the primary's guest instructions per wall second, FT on, running the
//    CPU-bound `primes` guest (timer interrupts logged, state hashes checked).
//  - browser_ft_throughput_ratio: FT on over FT off (one VM, no backup), same page, same guest.
import { findChromium, launchChromium, serveBuiltApp } from '../tests/browser/browser';

export interface BrowserBench {
  readonly mipsOn: number;
  readonly mipsOff: number;
  readonly ratio: number;
  readonly speedOn: number;
  readonly speedOff: number;
}

const MAX_SPEED = 1000;
const WARMUP_S = 8;
const SECONDS = 5;

export async function benchBrowser(): Promise<BrowserBench | null> {
  if (!findChromium()) return null;
  const app = await serveBuiltApp();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.waitForFunction(() => (globalThis as { __lab?: unknown }).__lab !== undefined);
    const measure = (noBackup: boolean) =>
      page.evaluate(
        async ({ noBackup, speed, warmup, seconds }) => {
          type Lab = {
            ready: Promise<void>;
            setSpeed(s: number): void;
            effectiveSpeed: number;
            inspect(): Promise<({ icount: number } | null)[]>;
          };
          const g = globalThis as unknown as { __startLab(p: string, s?: string, o?: { noBackup?: boolean }): boolean; __lab: Lab };
          g.__startLab('primes', undefined, { noBackup });
          const lab = g.__lab;
          await lab.ready;
          lab.setSpeed(speed);
          await new Promise((r) => setTimeout(r, warmup * 1000)); // the governor ramps up
          const i0 = (await lab.inspect())[0]!.icount;
          const t0 = performance.now();
          let speeds = 0;
          let n = 0;
          const end = t0 + seconds * 1000;
          while (performance.now() < end) {
            await new Promise((r) => setTimeout(r, 250));
            speeds += lab.effectiveSpeed;
            n++;
          }
          const i1 = (await lab.inspect())[0]!.icount;
          const dt = (performance.now() - t0) / 1000;
          return { ips: (i1 - i0) / dt, speed: speeds / n };
        },
        { noBackup, speed: MAX_SPEED, warmup: WARMUP_S, seconds: SECONDS },
      );
    const on = await measure(false);
    const off = await measure(true);
    return { mipsOn: on.ips / 1e6, mipsOff: off.ips / 1e6, ratio: on.ips / off.ips, speedOn: on.speed, speedOff: off.speed };
  } finally {
    await browser.close();
    app.close();
  }
}
