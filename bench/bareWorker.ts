// A Web Worker running the bare machine (no FT: BareMetal, the primes guest) flat out for the
// browser benchmark's limit: how fast two such workers run at once against one alone on this
// machine. Bundled by bench/browser.ts and started from a blob; it answers one message.
import { DEFAULT_FT_CONFIG } from '../src/engine/ft/hypervisor';
import { BareMetal } from '../src/engine/machine/bareMetal';
import { shippedProgram } from '../src/engine/programs/index';

interface Run {
  readonly warmupMs: number;
  readonly ms: number;
}

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<Run>) => void) | null; postMessage(m: unknown): void };

scope.onmessage = (e) => {
  const { warmupMs, ms } = e.data;
  // The VM workers' speed setting, so each call runs a comparable grain of guest work.
  const bm = new BareMetal(shippedProgram('primes').image, { instructionsPerMs: DEFAULT_FT_CONFIG.instructionsPerMs });
  const runUntil = (t: number): void => {
    while (performance.now() < t && !bm.machine.stopped) bm.runFor(5);
  };
  runUntil(performance.now() + warmupMs);
  const i0 = bm.machine.icount;
  const t0 = performance.now();
  runUntil(t0 + ms);
  const seconds = (performance.now() - t0) / 1000;
  scope.postMessage(bm.machine.stopped ? { error: `the guest stopped: ${bm.machine.fault?.reason ?? 'halted'}` } : { ips: (bm.machine.icount - i0) / seconds });
};
