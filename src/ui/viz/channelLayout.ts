// What is on the logging channel at one instant of virtual time: log batches travelling from the
// primary to the backup (from their entry/flushed until their entry/received), acks travelling back
// (from that receipt until the primary's entry/acked) and heartbeats. Pure: trace in, items out.
// A send whose receipt is not in the trace yet (the receiving worker reports a little later, or the
// channel is cut) is placed by a nominal latency, and dropped once it is clearly overdue.

import type { TraceEvent } from '../../engine/ft/trace';
import { NOMINAL_MS } from './timelineLayout';
import { eventsInWindow } from './traceWindow';

export interface InFlight {
  readonly id: string;
  readonly kind: 'log' | 'ack' | 'heartbeat';
  /** 'right': primary → backup; 'left': backup → primary. */
  readonly dir: 'right' | 'left';
  readonly label: string;
  /** The kind of the batch's first entry (packet, timer, output, …), if known. */
  readonly firstKind: string | null;
  /** 0 at the sender, 1 at the receiver. */
  readonly progress: number;
  /** True when the arrival time is a guess (the receipt is not in the trace). */
  readonly estimated: boolean;
  readonly t0: number;
  readonly t1: number;
  readonly bytes: number | null;
}

export interface ChannelOptions {
  readonly primary: string;
  readonly backup: string;
  /** Sends without a receipt are given up on after this long (ms). */
  readonly overdueMs?: number;
  readonly max?: number;
}

const range = (a: number, b: number): string => (a === b ? `#${a}` : `#${a}–${b}`);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export function channelInFlight(trace: readonly TraceEvent[], now: number, opts: ChannelOptions): InFlight[] {
  const { primary, backup } = opts;
  const overdue = opts.overdueMs ?? 1;
  const max = opts.max ?? 40;
  const evs = eventsInWindow(trace, now - 50, now + 5, {
    maxScan: 10_000,
    keep: (ev) => ev.type === 'entry/appended' || ev.type === 'entry/flushed' || ev.type === 'entry/received' || ev.type === 'entry/acked' || ev.type === 'heartbeat',
  });
  const kinds = new Map<number, string>();
  const flushes: Extract<TraceEvent, { type: 'entry/flushed' }>[] = [];
  const received: Extract<TraceEvent, { type: 'entry/received' }>[] = [];
  const acked: Extract<TraceEvent, { type: 'entry/acked' }>[] = [];
  const hbs: Extract<TraceEvent, { type: 'heartbeat' }>[] = [];
  const recent = now - 2 - overdue;
  for (const ev of evs) {
    if (ev.type === 'entry/appended' && ev.vm === primary) kinds.set(ev.seq, ev.kind);
    else if (ev.t < recent) continue;
    else if (ev.type === 'entry/flushed' && ev.vm === primary) flushes.push(ev);
    else if (ev.type === 'entry/received' && ev.vm === backup) received.push(ev);
    else if (ev.type === 'entry/acked' && ev.vm === primary) acked.push(ev);
    else if (ev.type === 'heartbeat' && (ev.vm === primary || ev.vm === backup)) hbs.push(ev);
  }
  const out: InFlight[] = [];
  const place = (t0: number, arrival: number | null): { progress: number; t1: number; estimated: boolean } | null => {
    if (t0 > now) return null;
    if (arrival !== null) return arrival > now ? { progress: clamp((now - t0) / Math.max(1e-6, arrival - t0), 0, 1), t1: arrival, estimated: false } : null;
    if (now - t0 >= overdue) return null;
    return { progress: clamp((now - t0) / NOMINAL_MS.channel, 0, 0.95), t1: t0 + NOMINAL_MS.channel, estimated: true };
  };
  const usedRecv = new Set<object>();
  // Later sends claim first: a receipt belongs to the latest send before it that covers its range.
  for (const f of [...flushes].reverse()) {
    const r = received.find((x) => !usedRecv.has(x) && x.toSeq === f.toSeq && x.fromSeq >= f.fromSeq && x.t >= f.t) ?? null;
    if (r) usedRecv.add(r);
    const p = place(f.t, r ? r.t : null);
    if (!p) continue;
    out.push({ id: `log:${f.fromSeq}-${f.toSeq}@${f.t}`, kind: 'log', dir: 'right', label: range(f.fromSeq, f.toSeq), firstKind: kinds.get(f.fromSeq) ?? null, bytes: f.bytes, t0: f.t, ...p });
  }
  for (const r of received) {
    const a = acked.find((x) => x.ackedSeq === r.toSeq && x.t >= r.t) ?? null;
    const p = place(r.t, a ? a.t : null);
    if (!p) continue;
    out.push({ id: `ack:${r.toSeq}@${r.t}`, kind: 'ack', dir: 'left', label: `ack #${r.toSeq}`, firstKind: null, bytes: null, t0: r.t, ...p });
  }
  for (const h of hbs) {
    const p = place(h.t, h.t + NOMINAL_MS.channel);
    if (!p) continue;
    out.push({ id: `hb:${h.vm}@${h.t}`, kind: 'heartbeat', dir: h.vm === primary ? 'right' : 'left', label: 'heartbeat', firstKind: null, bytes: null, t0: h.t, ...p, estimated: true });
  }
  out.sort((a, b) => a.t0 - b.t0);
  return out.length > max ? out.slice(out.length - max) : out;
}
