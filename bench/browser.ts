// Browser figures, measured in headless Chromium on the production build, at full speed (the
// clock governor runs virtual time as fast as every VM worker can follow):
//  - browser_guest_mips: the primary's guest instructions per wall second, FT on, running the
//    CPU-bound `primes` guest (timer interrupts logged, state hashes checked).
//  - browser_ft_throughput_ratio: FT on over FT off (one VM, no backup), same page, same guest.
//  - browser_ft_ratio_to_limit: that ratio over this machine's limit for it. FT runs two VM
//    workers at once (primary and backup); on a machine with few or busy cores two workers run
//    slower each than one alone, whatever FT does. The limit is measured with the bare machine
//    (bench/bareWorker.ts: no FT, no page work) in two workers at once against one alone: each
//    one's instructions per second, two at once over alone. 1 means FT costs nothing beyond
//    what running a second worker costs here.
//  - where the ratio goes (Linux, from /proc: bench/threadCpu.ts): ratio = cpu share x CPU efficiency.
//    cpu share: the CPU the two VM workers got with FT on, over twice what the one VM worker got
//    with FT off (FT needs twice the CPU: the backup replays every instruction). CPU efficiency:
//    guest instructions per CPU second of the pair with FT on, over half that of the one VM
//    worker with FT off (1 = FT costs no CPU beyond the backup's replay). Also what the rest of
//    the browser (page, compositor, GPU process, V8 helpers) took with FT on, and the ratio the
//    machine's cores leave room for at that: (cores x 1 s - the rest) / (2 x the FT-off worker).
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { findChromium, launchChromium, serveBuiltApp } from '../tests/browser/browser';
import { cpuPerSecond, splitWorkers, threadCpu } from './threadCpu';

export interface BrowserBench {
  readonly mipsOn: number;
  readonly mipsOff: number;
  readonly ratio: number;
  readonly speedOn: number;
  readonly speedOff: number;
  /** The bare machine's instructions per second in one worker alone, and per worker with two at once. */
  readonly bareAlone: number;
  readonly bareEachOfTwo: number;
  /** bareEachOfTwo / bareAlone: the most the FT ratio could be on this machine. */
  readonly limit: number;
  /** ratio / limit. */
  readonly ratioToLimit: number;
  /** Where the CPU went (null without /proc): see the header. */
  readonly cpu: FtCpu | null;
}

export interface FtCpu {
  readonly cores: number;
  /** CPU ms per wall second: each VM worker with FT on (primary, backup), the one with FT off. */
  readonly workersOn: readonly number[];
  readonly workerOff: number;
  /** The rest of the browser, CPU ms per wall second, FT on and FT off. */
  readonly restOn: number;
  readonly restOff: number;
  readonly share: number;
  readonly efficiency: number;
  /** The ratio the cores leave room for, given what the rest of the browser took with FT on. */
  readonly roomFor: number;
}

const MAX_SPEED = 1000;
const WARMUP_S = 8;
const SECONDS = 5;
const BARE_WARMUP_S = 2;

/** bench/bareWorker.ts as one classic script, for a blob worker (the app's policy allows `blob:` workers). */
async function bareWorkerScript(): Promise<string> {
  const { build } = await import('vite');
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry: fileURLToPath(new URL('./bareWorker.ts', import.meta.url)), formats: ['iife'], name: 'bareWorker' } },
  });
  const first = (Array.isArray(out) ? out[0] : out) as { output: readonly { type: string; code?: string }[] };
  const chunk = first.output.find((o) => o.type === 'chunk');
  if (!chunk?.code) throw new Error('bundling bench/bareWorker.ts gave no code');
  return chunk.code;
}

export async function benchBrowser(): Promise<BrowserBench | null> {
  if (!findChromium()) return null;
  const bareScript = await bareWorkerScript();
  const app = await serveBuiltApp();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.waitForFunction(() => (globalThis as { __lab?: unknown }).__lab !== undefined);
    // The lab started and the governor given time to ramp up; then guest instructions and each
    // thread's CPU time over the same window.
    const measure = async (noBackup: boolean) => {
      await page.evaluate(
        async ({ noBackup, speed, warmup }) => {
          type Lab = { ready: Promise<void>; setSpeed(s: number): void };
          const g = globalThis as unknown as { __startLab(p: string, s?: string, o?: { noBackup?: boolean }): boolean; __lab: Lab };
          g.__startLab('primes', undefined, { noBackup });
          await g.__lab.ready;
          g.__lab.setSpeed(speed);
          await new Promise((r) => setTimeout(r, warmup * 1000));
        },
        { noBackup, speed: MAX_SPEED, warmup: WARMUP_S },
      );
      const cpu0 = threadCpu();
      const t0 = performance.now();
      const run = await page.evaluate(
        async ({ seconds }) => {
          type Lab = { effectiveSpeed: number; inspect(): Promise<({ icount: number } | null)[]> };
          const lab = (globalThis as unknown as { __lab: Lab }).__lab;
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
        { seconds: SECONDS },
      );
      const cpu1 = threadCpu();
      const split = cpu0 && cpu1 ? splitWorkers(cpuPerSecond(cpu0, cpu1, (performance.now() - t0) / 1000), noBackup ? 1 : 2) : null;
      return { ...run, split };
    };
    const on = await measure(false);
    const off = await measure(true);
    // The limit: the lab paused (its workers idle), then the bare machine in one worker, in two.
    const bare = (workers: number) =>
      page.evaluate(
        async ({ script, workers, warmupMs, ms }) => {
          (globalThis as unknown as { __lab: { pause(): unknown } }).__lab.pause();
          const url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
          const runs = Array.from({ length: workers }, () => new Worker(url)).map(
            (w) =>
              new Promise<number>((resolve, reject) => {
                w.onmessage = (e: MessageEvent<{ ips?: number; error?: string }>) => {
                  w.terminate();
                  if (e.data.ips === undefined) reject(new Error(e.data.error));
                  else resolve(e.data.ips);
                };
                w.onerror = (e) => reject(new Error(e.message));
                w.postMessage({ warmupMs, ms });
              }),
          );
          const ips = await Promise.all(runs);
          URL.revokeObjectURL(url);
          return ips.reduce((a, b) => a + b, 0) / ips.length;
        },
        { script: bareScript, workers, warmupMs: BARE_WARMUP_S * 1000, ms: SECONDS * 1000 },
      );
    const bareAlone = await bare(1);
    const bareEachOfTwo = await bare(2);
    const ratio = on.ips / off.ips;
    const limit = bareEachOfTwo / bareAlone;
    let cpu: FtCpu | null = null;
    if (on.split && off.split && on.split.workers.length === 2 && off.split.workers.length === 1) {
      const pair = on.split.workers[0]! + on.split.workers[1]!;
      const one = off.split.workers[0]!;
      const cores = availableParallelism();
      cpu = {
        cores,
        workersOn: on.split.workers,
        workerOff: one,
        restOn: on.split.rest,
        restOff: off.split.rest,
        share: pair / (2 * one),
        efficiency: on.ips / pair / (off.ips / one / 2),
        roomFor: Math.min(1, (cores * 1000 - on.split.rest) / (2 * one)),
      };
    }
    return { mipsOn: on.ips / 1e6, mipsOff: off.ips / 1e6, ratio, speedOn: on.speed, speedOff: off.speed, bareAlone, bareEachOfTwo, limit, ratioToLimit: ratio / limit, cpu };
  } finally {
    await browser.close();
    app.close();
  }
}
