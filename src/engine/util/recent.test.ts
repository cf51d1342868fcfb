import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecentMap, RecentSet } from './recent';

describe('RecentMap and RecentSet: bounded, the newest kept', () => {
  it('holds at most `keep` keys and always the newest half of them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 400 }), (keep, n) => {
        const m = new RecentMap<number, number>(keep);
        for (let i = 0; i < n; i++) m.set(i, i * 2);
        expect(m.size).toBeLessThanOrEqual(keep);
        const newest = Math.min(n, Math.floor(keep / 2));
        for (let i = n - newest; i < n; i++) expect(m.get(i)).toBe(i * 2);
        const keys = [...m.keys()];
        expect(keys).toEqual([...keys].sort((a, b) => a - b)); // oldest first
      }),
    );
  });

  it('finds, replaces and deletes a key in either generation', () => {
    const m = new RecentMap<string, number>(4);
    m.set('a', 1).set('b', 2); // a full half: a and b are now the older generation
    m.set('c', 3);
    expect([...m.entries()]).toEqual([['a', 1], ['b', 2], ['c', 3]]);
    expect([...m]).toEqual([...m.entries()]); // iterable as a Map is
    m.set('a', 10); // replaced where it is: it keeps its age
    expect([...m.keys()]).toEqual(['a', 'b', 'c']);
    expect(m.delete('b')).toBe(true);
    expect(m.delete('b')).toBe(false);
    expect(m.has('a') && m.has('c') && !m.has('b')).toBe(true);
    m.set('d', 4); // the newer half is full again: a and the rest of the old generation are forgotten
    expect([...m.keys()]).toEqual(['c', 'd']);
    m.clear();
    expect(m.size).toBe(0);
  });

  it('a set forgets the oldest the same way', () => {
    const s = new RecentSet<number>(6);
    for (let i = 0; i < 10; i++) s.add(i);
    expect([...s]).toEqual([6, 7, 8, 9]);
    expect(s.has(3)).toBe(false);
    expect(s.delete(9)).toBe(true);
    expect(s.size).toBe(3);
  });
});
