import { describe, expect, it } from 'vitest';
import { BareMetal } from '../machine/bareMetal';
import { shippedProgram } from './index';

describe('primes', () => {
  it('prints every 1000th prime, counts timer ticks and never idles', () => {
    const bm = new BareMetal(shippedProgram('primes').image, { instructionsPerMs: 2000 });
    let idle = 0;
    for (let i = 0; i < 400 && !/prime #3000 .*\)\n/.test(bm.console); i++) {
      bm.runFor(5);
      if (bm.machine.status === 'idle') idle++;
    }
    const lines = bm.console.trim().split('\n');
    expect(lines[0]).toMatch(/^prime #1000 = 7919 \(ticks: \d+\)$/);
    expect(lines[1]).toMatch(/^prime #2000 = 17389 \(ticks: \d+\)$/);
    expect(lines[2]).toMatch(/^prime #3000 = 27449 \(ticks: \d+\)$/);
    const ticks = lines.map((l) => Number(/ticks: (\d+)/.exec(l)![1]));
    expect(ticks[2]!).toBeGreaterThan(ticks[0]!); // the timer interrupts the computation
    expect(Math.abs(ticks[2]! - Math.floor(bm.now / 10))).toBeLessThanOrEqual(2);
    expect(idle).toBe(0);
    expect(bm.machine.fault).toBeNull();
  });
});
