import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../engine/ft/trace';
import { computeMetrics, formatBytesPerSec } from './metricsLayout';
import { asNodeId as nid } from '../../workers/pure';

const ev = (e: TraceEvent): TraceEvent => e;

describe('computeMetrics', () => {
  // 100 ms buckets over a 1 s window ending at 1000 ms.
  const opts = { windowMs: 1000, buckets: 10, recentBuckets: 2 };

  it('buckets lag (max), bandwidth (bytes/s), output delay (mean) and throughput (replies/s, trailing average)', () => {
    const trace: TraceEvent[] = [
      ev({ t: 810, type: 'entry/acked', vm: nid('A'), ackedSeq: 1, backupIcount: 1, lagMs: 0.5 }),
      ev({ t: 850, type: 'entry/acked', vm: nid('A'), ackedSeq: 2, backupIcount: 2, lagMs: 1.5 }),
      ev({ t: 820, type: 'entry/flushed', vm: nid('A'), fromSeq: 1, toSeq: 1, bytes: 100, horizon: 0 }),
      ev({ t: 830, type: 'entry/flushed', vm: nid('A'), fromSeq: 2, toSeq: 2, bytes: 50, horizon: 0 }),
      ev({ t: 840, type: 'output/released', vm: nid('A'), seq: 2, output: 'net', to: nid('client-1'), role: 'primary', delayMs: 0.2, ackedSeq: 2 }),
      ev({ t: 845, type: 'output/released', vm: nid('A'), seq: 3, output: 'net', to: nid('client-1'), role: 'primary', delayMs: 0.4, ackedSeq: 3 }),
      ev({ t: 860, type: 'client/reply', client: 1, reqId: 1, text: 'OK', from: nid('A'), duplicate: false, contradicts: false }),
      ev({ t: 870, type: 'client/reply', client: 1, reqId: 1, text: 'OK', from: nid('B'), duplicate: true, contradicts: false }),
      ev({ t: 950, type: 'entry/acked', vm: nid('A'), ackedSeq: 3, backupIcount: 3, lagMs: 0.7 }),
    ].sort((a, b) => a.t - b.t);
    const m = computeMetrics(trace, 1000, opts);
    expect(m.t0).toBe(0);
    expect(m.t1).toBe(1000);
    expect(m.bucketMs).toBe(100);
    const at = (s: typeof m.lag, t: number) => s.points.find((p) => p && p.t === t) ?? null;
    expect(at(m.lag, 850)?.v).toBe(1.5);
    expect(at(m.lag, 750)).toBeNull(); // no acks there: a gap
    expect(m.lag.current).toBe(0.7);
    expect(at(m.bandwidth, 850)?.v).toBe(750); // 150 bytes in the 0.2 s (2 buckets) up to 900
    expect(at(m.bandwidth, 750)?.v).toBe(0);
    expect(at(m.outputDelay, 850)?.v).toBeCloseTo(0.3);
    expect(m.outputDelay.current).toBeCloseTo(0.3); // the latest bucket with outputs
    expect(at(m.throughput, 850)?.v).toBe(5); // one reply (the duplicate does not count) in 0.2 s
    // "Current" rates: the last complete bucket's trailing average (800–900, 900–1000).
    expect(m.bandwidth.current).toBe(750);
    expect(m.throughput.current).toBe(5);
    const later = computeMetrics([...trace, ev({ t: 1001, type: 'output/released', vm: nid('A'), seq: 9, output: 'net', to: nid('client-1'), role: 'primary', delayMs: 0.9, ackedSeq: 9 })], 1010, opts);
    expect(later.outputDelay.current).toBeCloseTo(0.9); // the mean of the last 2 buckets (900–1000, 1000–1100)
  });

  it('leaves out the partial bucket of a rate', () => {
    const trace: TraceEvent[] = [ev({ t: 1010, type: 'client/reply', client: 1, reqId: 1, text: 'OK', from: nid('A'), duplicate: false, contradicts: false })];
    const m = computeMetrics(trace, 1050, opts);
    expect(m.throughput.points.at(-1)).toBeNull();
    expect(m.throughput.current).toBe(0);
  });

  it('averages rates over buckets just before the window too', () => {
    const trace: TraceEvent[] = [ev({ t: 950, type: 'client/reply', client: 1, reqId: 1, text: 'OK', from: nid('A'), duplicate: false, contradicts: false })];
    const m = computeMetrics(trace, 2000, opts);
    expect(m.t0).toBe(1000);
    expect(m.throughput.points[0]).toEqual({ t: 1050, v: 5 });
    expect(m.throughput.points[1]).toEqual({ t: 1150, v: 0 });
  });

  it('has nothing to say before anything happened', () => {
    const m = computeMetrics([], 0, opts);
    expect(m.lag.current).toBeNull();
    expect(m.outputDelay.current).toBeNull();
    expect(m.throughput.current).toBeNull();
  });
});

describe('formatBytesPerSec', () => {
  it('picks a unit', () => {
    expect(formatBytesPerSec(12)).toBe('12 B/s');
    expect(formatBytesPerSec(12_345)).toBe('12.3 kB/s');
    expect(formatBytesPerSec(2_500_000)).toBe('2.50 MB/s');
  });
});
