import { describe, it, expect } from 'vitest';
import { Rng } from '../util/rng';
import { Guest } from './testing';

const LINE = /^tick (\d+) clock=(\d+) random=0x([0-9a-f]{8})$/;

function runTicker(seed: number, ms: number): Guest {
  const g = new Guest('ticker', { seed, clockBase: 1_700_000_000 });
  g.run(ms);
  return g;
}

describe('ticker', () => {
  it('prints every 5th tick of a 10 ms timer with the clock and a random number', () => {
    const g = runTicker(1, 255);
    const lines = g.lines();
    expect(lines).toHaveLength(5);
    expect(g.console.endsWith('\n')).toBe(true);
    const rng = new Rng(1); // the bare-metal host's RANDOM port draws from this sequence
    lines.forEach((line, i) => {
      const m = LINE.exec(line);
      expect(m, line).not.toBeNull();
      const n = Number(m![1]);
      expect(n).toBe(5 * (i + 1));
      // Tick n arrives at n * 10 ms of virtual time; the guest reads the clock right after.
      const clock = Number(m![2]) - 1_700_000_000;
      expect(clock).toBeGreaterThanOrEqual(10 * n);
      expect(clock).toBeLessThanOrEqual(10 * n + 1);
      expect(m![3]).toBe(rng.nextU32().toString(16).padStart(8, '0'));
    });
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = runTicker(11, 1_005).console;
    const b = runTicker(11, 1_005).console;
    const c = runTicker(12, 1_005).console;
    expect(a.split('\n')).toHaveLength(21);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    const randoms = (s: string): string[] => s.split('\n').filter(Boolean).map((l) => LINE.exec(l)![3]!);
    const ra = randoms(a);
    const rc = randoms(c);
    expect(ra.every((r, i) => r !== rc[i])).toBe(true);
    // Only the random numbers differ: the clock is the same function of virtual time.
    const clocks = (s: string): string[] => s.split('\n').filter(Boolean).map((l) => LINE.exec(l)![2]!);
    expect(clocks(c)).toEqual(clocks(a));
  });

  it('runs indefinitely, idle in wfi between ticks', () => {
    const g = new Guest('ticker');
    g.run(10_005); // a tick due exactly at the end of a run is delivered by the next one
    const lines = g.lines();
    expect(lines).toHaveLength(200);
    expect(lines.at(-1)).toMatch(/^tick 1000 clock=\d+ random=0x[0-9a-f]{8}$/);
    expect(g.bm.machine.status).toBe('idle');
    // ~1000 ticks and 200 lines: a few dozen instructions per tick, not a busy loop.
    expect(g.bm.machine.icount).toBeLessThan(150_000);
    expect(g.bm.machine.regs[15]).toBe(0x10000);
  });
});
