import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from './rng';

const take = (r: Rng, n: number): number[] => Array.from({ length: n }, () => r.nextU32());

describe('Rng', () => {
  it('same seed, same sequence', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(take(new Rng(seed), 20)).toEqual(take(new Rng(seed), 20));
      }),
      { numRuns: 50 },
    );
  });

  it('different seeds give different sequences', () => {
    const seqs = new Set([0, 1, 2, 3, 42, -1, 0x7fffffff, 123456789].map((s) => take(new Rng(s), 8).join(',')));
    expect(seqs.size).toBe(8);
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        fc.pre(a !== b);
        expect(take(new Rng(a), 4)).not.toEqual(take(new Rng(b), 4));
      }),
      { numRuns: 100 },
    );
  });

  it('nextU32 gives unsigned 32-bit integers that look uniform', () => {
    const r = new Rng(7);
    const xs = take(r, 4000);
    for (const x of xs) {
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(0xffffffff);
    }
    // Every bit is set about half the time.
    for (let bit = 0; bit < 32; bit++) {
      const ones = xs.filter((x) => (x >>> bit) & 1).length;
      expect(ones).toBeGreaterThan(1700);
      expect(ones).toBeLessThan(2300);
    }
    expect(new Set(xs).size).toBeGreaterThan(3990);
  });

  it('save/restore continues the same sequence', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(50), (seed, skip) => {
        const r = new Rng(seed);
        take(r, skip);
        const s = r.save();
        const a = take(r, 10);
        expect(take(r, 1)).not.toEqual(a.slice(0, 1)); // the state moved on
        r.restore(s);
        expect(take(r, 10)).toEqual(a);
        // Into another instance too; the saved state is a plain, unchanged value.
        const other = new Rng(seed + 1);
        other.restore(JSON.parse(JSON.stringify(s)));
        expect(take(other, 10)).toEqual(a);
      }),
      { numRuns: 50 },
    );
  });

  it('int(lo, hi) stays in range and reaches both ends', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.nat(20), fc.integer(), (lo, span, seed) => {
        const r = new Rng(seed);
        const hi = lo + span;
        const seen = new Set<number>();
        for (let i = 0; i < 200; i++) {
          const v = r.int(lo, hi);
          expect(Number.isInteger(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(lo);
          expect(v).toBeLessThanOrEqual(hi);
          seen.add(v);
        }
        if (span <= 5) expect(seen.size).toBe(span + 1);
      }),
      { numRuns: 100 },
    );
    const r = new Rng(3);
    for (let i = 0; i < 1000; i++) expect(r.int(0, 0)).toBe(0);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(0, 0xffffffff);
      expect(v >= 0 && v <= 0xffffffff).toBe(true);
    }
  });

  it('next() is in [0, 1); chance and pick behave', () => {
    const r = new Rng(11);
    for (let i = 0; i < 1000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
    expect(Array.from({ length: 100 }, () => r.chance(0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => r.chance(1)).every(Boolean)).toBe(true);
    const hits = Array.from({ length: 2000 }, () => r.chance(0.25)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(400);
    expect(hits).toBeLessThan(600);
    const items = ['a', 'b', 'c'] as const;
    const picked = new Set(Array.from({ length: 100 }, () => r.pick(items)));
    expect([...picked].sort()).toEqual(['a', 'b', 'c']);
    expect(() => r.pick([])).toThrow(/empty/);
  });
});
