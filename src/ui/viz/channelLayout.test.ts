import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../engine/ft/trace';
import { channelInFlight } from './channelLayout';
import { asNodeId as nid } from '../../workers/pure';

const ev = (e: TraceEvent): TraceEvent => e;
const opts = { primary: 'A', backup: 'B' };

const TRACE: TraceEvent[] = [
  ev({ t: 9.9, type: 'entry/appended', vm: nid('A'), seq: 4, icount: 100, kind: 'packet' }),
  ev({ t: 10, type: 'entry/flushed', vm: nid('A'), fromSeq: 4, toSeq: 5, bytes: 30, horizon: 120 }),
  ev({ t: 10.05, type: 'entry/received', vm: nid('B'), fromSeq: 4, toSeq: 5, buffered: 2 }),
  ev({ t: 10.1, type: 'entry/acked', vm: nid('A'), ackedSeq: 5, backupIcount: 90, lagMs: 0.1 }),
];

describe('channelInFlight', () => {
  it('places a batch between its send and receipt, and the ack between receipt and acked', () => {
    const before = channelInFlight(TRACE, 9.99, opts);
    expect(before).toEqual([]);
    const mid = channelInFlight(TRACE, 10.025, opts);
    expect(mid).toHaveLength(1);
    expect(mid[0]).toMatchObject({ kind: 'log', dir: 'right', label: '#4–5', firstKind: 'packet', estimated: false, bytes: 30 });
    expect(mid[0]!.progress).toBeCloseTo(0.5);
    const back = channelInFlight(TRACE, 10.075, opts);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ kind: 'ack', dir: 'left', label: 'ack #5' });
    expect(back[0]!.progress).toBeCloseTo(0.5);
    expect(channelInFlight(TRACE, 10.2, opts)).toEqual([]);
  });

  it('guesses the position of a batch whose receipt is not in the trace yet, then gives up on it', () => {
    const trace = TRACE.slice(0, 2);
    const guess = channelInFlight(trace, 10.01, opts);
    expect(guess[0]).toMatchObject({ kind: 'log', estimated: true });
    expect(guess[0]!.progress).toBeCloseTo(0.2);
    expect(channelInFlight(trace, 10.2, opts)[0]!.progress).toBe(0.95);
    expect(channelInFlight(trace, 12, opts)).toEqual([]);
  });

  it('shows heartbeats both ways and ignores other VMs', () => {
    const trace: TraceEvent[] = [
      ev({ t: 20, type: 'heartbeat', vm: nid('A'), to: nid('B') }),
      ev({ t: 20, type: 'heartbeat', vm: nid('B'), to: nid('A') }),
      ev({ t: 20, type: 'entry/flushed', vm: nid('C'), fromSeq: 1, toSeq: 1, bytes: 8, horizon: 0 }),
    ];
    const items = channelInFlight(trace, 20.02, opts);
    expect(items.map((i) => [i.kind, i.dir])).toEqual([
      ['heartbeat', 'right'],
      ['heartbeat', 'left'],
    ]);
  });
});
