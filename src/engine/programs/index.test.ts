import { describe, it, expect } from 'vitest';
import { BareMetal } from '../machine/bareMetal';
import { PROGRAM_NAMES, PROGRAM_SOURCES, assembleProgram, shippedProgram } from './index';

describe('shipped programs', () => {
  it('lists hello, kv-server, lease-server, ticker and primes, each with a source', () => {
    expect([...PROGRAM_NAMES]).toEqual(['hello', 'kv-server', 'lease-server', 'ticker', 'primes']);
    expect(Object.keys(PROGRAM_SOURCES).sort()).toEqual([...PROGRAM_NAMES].sort());
  });

  it('assemble, and keep all their code and data below 0x8000 (memory offsets are signed 16-bit)', () => {
    for (const name of PROGRAM_NAMES) {
      const p = shippedProgram(name);
      expect(p.image.length, name).toBeGreaterThan(0);
      expect(p.image.length, name).toBeLessThan(0x8000);
    }
  });

  it('resolve the "lib" and "net" includes and nothing else', () => {
    expect(assembleProgram('.include "net"\n.include "lib"\nhalt').ok).toBe(true);
    const r = assembleProgram('.include "nope"');
    expect(r.ok).toBe(false);
    expect(assembleProgram('.include "toString"').ok).toBe(false);
  });

  it('hello still prints its greeting and Fibonacci numbers', () => {
    const bm = new BareMetal(shippedProgram('hello').image);
    bm.runFor(100);
    expect(bm.machine.halted).toBe(true);
    expect(bm.console).toBe('Hello from the tiny machine!\n1 1 2 3 5 8 13 21 34 55 89 144 \n');
  });
});
