import { describe, expect, it } from 'vitest';
import { eventsInWindow, lowerBound, upperBound } from './traceWindow';

const ts = (...t: number[]) => t.map((x, i) => ({ t: x, i }));

describe('lowerBound / upperBound', () => {
  it('find the first index at or after, and strictly after, a time', () => {
    const e = ts(1, 2, 2, 3, 5);
    expect(lowerBound(e, 2)).toBe(1);
    expect(upperBound(e, 2)).toBe(3);
    expect(lowerBound(e, 0)).toBe(0);
    expect(lowerBound(e, 9)).toBe(5);
    expect(upperBound(e, 5)).toBe(5);
    expect(lowerBound([], 1)).toBe(0);
  });
});

describe('eventsInWindow', () => {
  it('returns the events inside the window, sorted, even when batches arrived out of order', () => {
    // Two sources interleaved in batches: [10, 11, 12] from one, then [9.5, 10.5] from another.
    const e = ts(1, 2, 10, 11, 12, 9.5, 10.5, 13, 20);
    const w = eventsInWindow(e, 10, 12);
    expect(w.map((x) => x.t)).toEqual([10, 10.5, 11, 12]);
  });

  it('reads only around the window, and at most maxScan slots (the latest)', () => {
    const e = Array.from({ length: 10_000 }, (_, i) => ({ t: i }));
    expect(eventsInWindow(e, 5000, 5002, { margin: 0 }).map((x) => x.t)).toEqual([5000, 5001, 5002]);
    const capped = eventsInWindow(e, 0, 9999, { maxScan: 100, margin: 0 });
    expect(capped.length).toBe(100);
    expect(capped[0]!.t).toBe(9900);
  });

  it('keeps only the events a filter accepts', () => {
    const e = ts(1, 2, 3, 4);
    expect(eventsInWindow(e, 0, 10, { keep: (x) => x.i % 2 === 0 }).map((x) => x.t)).toEqual([1, 3]);
  });

  it('is empty for a window with no events', () => {
    expect(eventsInWindow(ts(1, 2, 3), 5, 6)).toEqual([]);
  });
});
