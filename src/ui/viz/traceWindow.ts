// Windows into the lab's trace. The trace is an array in arrival order: each source (the main
// realm, each VM worker) delivers its events in time order, in batches, so the whole is only
// *roughly* sorted by t. A binary search finds the neighbourhood of a time; a margin of indexes on
// either side absorbs the interleaving, and the slice is sorted before use.

export interface Timed {
  readonly t: number;
}

/** First index whose event has t ≥ `t` (as if the array were sorted). */
export function lowerBound(events: readonly Timed[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose event has t > `t` (as if the array were sorted). */
export function upperBound(events: readonly Timed[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface WindowOptions<T> {
  /** Indexes scanned beyond the binary-searched bounds, for events that arrived out of order. */
  readonly margin?: number;
  /** At most this many array slots are scanned (the latest ones): work per frame stays bounded. */
  readonly maxScan?: number;
  /** Only events this accepts (filtering before sorting saves most of the work). */
  readonly keep?: (ev: T) => boolean;
}

/**
 * The events with t0 ≤ t ≤ t1, sorted by t. Work is proportional to the window (plus the margin),
 * never to the whole trace; a window holding more than `maxScan` events keeps its latest part.
 */
export function eventsInWindow<T extends Timed>(events: readonly T[], t0: number, t1: number, opts: WindowOptions<T> = {}): T[] {
  const margin = opts.margin ?? 1024;
  const maxScan = opts.maxScan ?? 40_000;
  const keep = opts.keep;
  const end = Math.min(events.length, upperBound(events, t1) + margin);
  const start = Math.max(0, lowerBound(events, t0) - margin, end - maxScan);
  const out: T[] = [];
  let sorted = true;
  let last = -Infinity;
  for (let i = start; i < end; i++) {
    const ev = events[i]!;
    if (ev.t < t0 || ev.t > t1 || (keep && !keep(ev))) continue;
    if (ev.t < last) sorted = false;
    last = ev.t;
    out.push(ev);
  }
  // Array.prototype.sort is stable and fast on nearly sorted runs.
  if (!sorted) out.sort((a, b) => a.t - b.t);
  return out;
}
