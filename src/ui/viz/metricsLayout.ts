// The metrics' data: four series over the last window of virtual time, bucketed on fixed
// boundaries (multiples of the bucket width, so the buckets do not jitter as time moves on).
//   execution lag      max lagMs of entry/acked per bucket (how far the backup trails the primary)
//   channel bandwidth  bytes of entry/flushed per virtual second
//   output delay       mean delayMs of output/released per bucket (the Output Rule's cost)
//   throughput         client replies (not duplicates) per virtual second
// Rates use complete buckets only; a bucket without events has no lag or delay point (a gap).

import type { TraceEvent } from '../../engine/ft/trace';
import { eventsInWindow } from './traceWindow';

export interface Point {
  readonly t: number;
  readonly v: number;
}

export interface Series {
  readonly points: readonly (Point | null)[];
  /** The value now (see `computeMetrics`), or null if there is nothing to say. */
  readonly current: number | null;
}

export interface MetricsData {
  readonly t0: number;
  readonly t1: number;
  readonly bucketMs: number;
  readonly lag: Series;
  readonly bandwidth: Series;
  readonly outputDelay: Series;
  readonly throughput: Series;
}

export interface MetricsOptions {
  readonly windowMs?: number;
  readonly buckets?: number;
  /** "Current" rates average this many complete buckets. */
  readonly recentBuckets?: number;
  /** At most this many trace slots are read (the latest). */
  readonly maxScan?: number;
}

export function computeMetrics(trace: readonly TraceEvent[], now: number, opts: MetricsOptions = {}): MetricsData {
  const windowMs = opts.windowMs ?? 2000;
  const nBuckets = opts.buckets ?? 40;
  const recent = opts.recentBuckets ?? 5;
  const bucketMs = windowMs / nBuckets;
  const t1 = Math.max(now, bucketMs);
  const t0 = Math.max(0, t1 - windowMs);
  const first = Math.floor(t0 / bucketMs);
  const last = Math.floor(t1 / bucketMs); // the partial bucket holding `now`
  // Rates are trailing averages over `recent` buckets: read that many more before the window.
  const lead = Math.max(0, recent - 1);
  const n = last - first + 1 + lead;
  const base = first - lead;
  const lagMax = new Array<number>(n).fill(-1);
  const bytes = new Array<number>(n).fill(0);
  const delaySum = new Array<number>(n).fill(0);
  const delayCount = new Array<number>(n).fill(0);
  const replies = new Array<number>(n).fill(0);
  let lastLag: number | null = null;
  const used = (ev: TraceEvent): boolean => ev.type === 'entry/acked' || ev.type === 'entry/flushed' || ev.type === 'output/released' || ev.type === 'client/reply';
  for (const ev of eventsInWindow(trace, Math.max(0, base * bucketMs), t1, { keep: used, maxScan: opts.maxScan ?? 60_000 })) {
    const b = Math.floor(ev.t / bucketMs) - base;
    if (b < 0 || b >= n) continue;
    switch (ev.type) {
      case 'entry/acked':
        lagMax[b] = Math.max(lagMax[b]!, ev.lagMs);
        lastLag = ev.lagMs;
        break;
      case 'entry/flushed':
        bytes[b]! += ev.bytes;
        break;
      case 'output/released':
        delaySum[b]! += ev.delayMs;
        delayCount[b]!++;
        break;
      case 'client/reply':
        if (!ev.duplicate) replies[b]!++;
        break;
      default:
        break;
    }
  }
  const visible = <T>(xs: T[]): T[] => xs.slice(lead);
  const mid = (i: number): number => (first + i + 0.5) * bucketMs;
  const complete = (i: number): boolean => (first + i + 1) * bucketMs <= now;
  const rate = (counts: number[]): Series => {
    // Per second, averaged over the trailing `recent` buckets (fewer before time 0).
    const points = visible(counts).map((_c, i) => {
      if (!complete(i)) return null;
      let sum = 0;
      let k = 0;
      for (let j = i + lead - (recent - 1); j <= i + lead; j++) {
        if (j < 0 || base + j < 0) continue; // before time 0
        sum += counts[j]!;
        k++;
      }
      return { t: mid(i), v: k > 0 ? (sum * 1000) / (k * bucketMs) : 0 };
    });
    let current: number | null = null;
    for (let i = points.length - 1; i >= 0 && current === null; i--) if (points[i]) current = points[i]!.v;
    return { points, current };
  };
  const lagPoints = visible(lagMax).map((v, i) => (v >= 0 ? { t: mid(i), v } : null));
  const delaySums = visible(delaySum);
  const delayPoints = visible(delayCount).map((c, i) => (c > 0 ? { t: mid(i), v: delaySums[i]! / c } : null));
  const recentDelay = delayCount.slice(-recent).reduce((s, c) => s + c, 0);
  return {
    t0,
    t1,
    bucketMs,
    lag: { points: lagPoints, current: lastLag },
    bandwidth: rate(bytes),
    outputDelay: {
      points: delayPoints,
      // The mean of the last few buckets, else the latest bucket that had outputs.
      current: recentDelay > 0 ? delaySum.slice(-recent).reduce((s, v) => s + v, 0) / recentDelay : lastValue(delayPoints),
    },
    throughput: rate(replies),
  };
}

function lastValue(points: readonly (Point | null)[]): number | null {
  for (let i = points.length - 1; i >= 0; i--) if (points[i]) return points[i]!.v;
  return null;
}

/** Human units for the printed values. */
export function formatBytesPerSec(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} GB/s`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} MB/s`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} kB/s`;
  return `${v.toFixed(0)} B/s`;
}
