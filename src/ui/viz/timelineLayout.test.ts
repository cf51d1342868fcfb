import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../engine/ft/trace';
import { layoutTimeline, MAX_CLIENT_LANES, placeLabels, summarizeTimeline } from './timelineLayout';
import { asNodeId as nid } from '../../workers/pure';

const ev = (e: TraceEvent): TraceEvent => e;

// One request through the FT pair: client 100 → A; A logs it, B receives and acks, A releases the reply.
const ROUND_TRIP: TraceEvent[] = [
  ev({ t: 0, type: 'vm/role', vm: nid('A'), role: 'primary', reason: 'started' }),
  ev({ t: 0, type: 'vm/role', vm: nid('B'), role: 'backup', reason: 'started' }),
  ev({ t: 1.0, type: 'client/invoke', client: 100, reqId: 1, text: 'PUT x 5' }),
  ev({ t: 1.6, type: 'input/delivered', vm: nid('A'), kind: 'packet', icount: 3000 }),
  ev({ t: 1.6, type: 'entry/appended', vm: nid('A'), seq: 7, icount: 3000, kind: 'packet' }),
  ev({ t: 1.8, type: 'entry/appended', vm: nid('A'), seq: 8, icount: 3400, kind: 'output' }),
  ev({ t: 1.8, type: 'output/held', vm: nid('A'), seq: 8, output: 'net', to: nid('client-100') }),
  ev({ t: 1.8, type: 'entry/flushed', vm: nid('A'), fromSeq: 7, toSeq: 8, bytes: 40, horizon: 3400 }),
  ev({ t: 1.85, type: 'entry/received', vm: nid('B'), fromSeq: 7, toSeq: 8, buffered: 2 }),
  ev({ t: 1.9, type: 'entry/acked', vm: nid('A'), ackedSeq: 8, backupIcount: 2900, lagMs: 0.25 }),
  ev({ t: 1.9, type: 'output/released', vm: nid('A'), seq: 8, output: 'net', to: nid('client-100'), role: 'primary', delayMs: 0.1, ackedSeq: 8 }),
  ev({ t: 2.5, type: 'client/reply', client: 100, reqId: 1, text: 'OK', from: nid('A'), duplicate: false, contradicts: false }),
];

describe('layoutTimeline', () => {
  it('has lanes for clients, then VMs, then storage', () => {
    const l = layoutTimeline(ROUND_TRIP, { t0: 0, t1: 3 });
    expect(l.lanes.map((x) => x.id)).toEqual(['client-100', 'A', 'B', 'storage']);
    expect(l.lanes.map((x) => x.kind)).toEqual(['client', 'vm', 'vm', 'storage']);
  });

  it('pairs a log batch with its receipt, the ack with that receipt, the output with the reply, the request with the packet', () => {
    const l = layoutTimeline(ROUND_TRIP, { t0: 0, t1: 3 });
    const by = (k: string) => l.messages.filter((m) => m.kind === k);
    const [log] = by('log');
    expect(log).toMatchObject({ from: 'A', to: 'B', t0: 1.8, t1: 1.85, paired: true, label: '#7–8' });
    expect(log!.details).toContainEqual(['first entry', 'packet']);
    expect(log!.details).toContainEqual(['bytes', '40']);
    const [ack] = by('ack');
    expect(ack).toMatchObject({ from: 'B', to: 'A', t0: 1.85, t1: 1.9, paired: true });
    const [out] = by('output');
    expect(out).toMatchObject({ from: 'A', to: 'client-100', t0: 1.9, t1: 2.5, paired: true, label: 'OK' });
    const [req] = by('request');
    expect(req).toMatchObject({ from: 'client-100', to: 'A', t0: 1.0, t1: 1.6, paired: true, label: 'PUT x 5' });
    // Markers: the two role starts.
    expect(l.markers.map((m) => m.label)).toEqual(['started as primary', 'started as backup']);
  });

  it('draws an unanswered send to the peer at a nominal latency, flagged unpaired', () => {
    const trace: TraceEvent[] = [ev({ t: 5, type: 'entry/flushed', vm: nid('A'), fromSeq: 1, toSeq: 1, bytes: 9, horizon: 10 })];
    const l = layoutTimeline(trace, { t0: 0, t1: 10, peers: new Map([['A', 'B']]) });
    expect(l.messages).toHaveLength(1);
    expect(l.messages[0]).toMatchObject({ from: 'A', to: 'B', paired: false });
    expect(l.messages[0]!.t1).toBeCloseTo(5.05);
    // Without a known peer there is nowhere to draw it.
    expect(layoutTimeline(trace, { t0: 0, t1: 10 }).messages).toHaveLength(0);
  });

  it('pairs a retransmission, not the lost original, with the receipt', () => {
    const trace: TraceEvent[] = [
      ev({ t: 1, type: 'entry/flushed', vm: nid('A'), fromSeq: 5, toSeq: 6, bytes: 20, horizon: 1 }),
      ev({ t: 40, type: 'entry/flushed', vm: nid('A'), fromSeq: 5, toSeq: 6, bytes: 20, horizon: 1 }),
      ev({ t: 40.05, type: 'entry/received', vm: nid('B'), fromSeq: 5, toSeq: 6, buffered: 2 }),
    ];
    const logs = layoutTimeline(trace, { t0: 0, t1: 50, peers: new Map([['A', 'B']]) }).messages.filter((m) => m.kind === 'log');
    expect(logs.map((m) => [m.t0, m.paired])).toEqual([
      [1, false],
      [40, true],
    ]);
  });

  it('shows the test-and-set round trip and failover markers', () => {
    const trace: TraceEvent[] = [
      ev({ t: 10, type: 'fault', kind: 'kill-primary', detail: "terminated A's worker" }),
      ev({ t: 10, type: 'vm/role', vm: nid('A'), role: 'dead', reason: 'killed (worker terminated)' }),
      ev({ t: 70, type: 'failure/suspected', vm: nid('B'), peer: nid('A'), silentMs: 60 }),
      ev({ t: 70, type: 'tas/requested', vm: nid('B') }),
      ev({ t: 70.2, type: 'storage/tas', holder: nid('B'), generation: 1, asker: nid('B'), won: true }),
      ev({ t: 70.4, type: 'tas/won', vm: nid('B') }),
      ev({ t: 70.9, type: 'vm/role', vm: nid('B'), role: 'live', reason: 'primary failed; backup took over' }),
      ev({ t: 70.9, type: 'vm/went-live', vm: nid('B'), icount: 1000, receivedSeq: 9, consumedSeq: 9 }),
    ];
    const l = layoutTimeline(trace, { t0: 0, t1: 80 });
    const tas = l.messages.filter((m) => m.kind === 'tas');
    expect(tas.map((m) => [m.from, m.to, m.label])).toEqual([
      ['B', 'storage', 'test-and-set?'],
      ['storage', 'B', 'won'],
    ]);
    // B's role change to live is beside its went-live marker: left out.
    expect(l.markers.map((m) => [m.kind, m.lane])).toEqual([
      ['fault', null],
      ['dead', 'A'],
      ['suspected', 'B'],
      ['went-live', 'B'],
    ]);
    expect(summarizeTimeline(l, 0, 80)).toMatch(/went live on B/);
  });

  it('only keeps what overlaps the window, and reads context just outside it', () => {
    const l = layoutTimeline(ROUND_TRIP, { t0: 1.84, t1: 1.87 });
    // The batch was sent before the window and received in it: still drawn and paired.
    expect(l.messages.map((m) => m.kind).sort()).toEqual(['ack', 'log']);
    expect(l.messages.find((m) => m.kind === 'log')!.paired).toBe(true);
    expect(l.markers).toEqual([]);
  });

  it('heartbeats only on request; the cap drops heartbeats first, then the oldest', () => {
    const trace: TraceEvent[] = [];
    for (let i = 0; i < 50; i++) trace.push(ev({ t: i, type: 'heartbeat', vm: nid('A'), to: nid('B') }));
    for (let i = 0; i < 5; i++) trace.push(ev({ t: 50 + i, type: 'entry/flushed', vm: nid('A'), fromSeq: i + 1, toSeq: i + 1, bytes: 8, horizon: 0 }));
    trace.sort((a, b) => a.t - b.t);
    const peers = new Map([['A', 'B']]);
    expect(layoutTimeline(trace, { t0: 0, t1: 60, peers }).messages).toHaveLength(5);
    expect(layoutTimeline(trace, { t0: 0, t1: 60, peers, heartbeats: true }).messages).toHaveLength(55);
    const capped = layoutTimeline(trace, { t0: 0, t1: 60, peers, heartbeats: true, maxItems: 3 });
    expect(capped.messages.map((m) => m.t0)).toEqual([52, 53, 54]);
    expect(capped.dropped).toBe(52);
  });

  it('sends an undelivered request towards the VM that last took in client packets', () => {
    const trace: TraceEvent[] = [
      ev({ t: 1, type: 'input/delivered', vm: nid('A'), kind: 'packet', icount: 10 }),
      ev({ t: 50, type: 'client/invoke', client: 100, reqId: 9, text: 'GET k' }),
      ev({ t: 90, type: 'mac/advertised', vm: nid('B') }),
    ];
    const l = layoutTimeline(trace, { t0: 0, t1: 100, vms: ['A', 'B'], service: 'B' });
    expect(l.messages).toHaveLength(1);
    expect(l.messages[0]).toMatchObject({ kind: 'request', from: 'client-100', to: 'A', paired: false });
  });

  it('keeps the lane of a client active shortly before the window', () => {
    const trace: TraceEvent[] = [ev({ t: 100, type: 'client/invoke', client: 7, reqId: 1, text: 'GET k' })];
    expect(layoutTimeline(trace, { t0: 400, t1: 450 }).lanes.map((l) => l.id)).toEqual(['client-7', 'storage']);
    expect(layoutTimeline(trace, { t0: 700, t1: 750 }).lanes.map((l) => l.id)).toEqual(['storage']);
  });

  it('gives every message its own id', () => {
    const trace: TraceEvent[] = [0, 1].map((i) =>
      ev({ t: 5, type: 'output/released', vm: nid('B'), seq: 0, output: 'net', to: nid(`client-${i}`), role: 'live', delayMs: 0, ackedSeq: 0 }),
    );
    const l = layoutTimeline(trace, { t0: 0, t1: 10, vms: ['B'] });
    expect(l.messages).toHaveLength(2);
    expect(new Set(l.messages.map((m) => m.id)).size).toBe(2);
  });

  it('merges many clients into one lane', () => {
    const trace: TraceEvent[] = [];
    for (let c = 0; c <= MAX_CLIENT_LANES; c++) trace.push(ev({ t: c, type: 'client/invoke', client: 100 + c, reqId: 1, text: 'GET k' }));
    const l = layoutTimeline(trace, { t0: 0, t1: 20, service: 'A', vms: ['A'] });
    expect(l.lanes.map((x) => x.id)).toEqual(['clients', 'A', 'storage']);
    expect(l.messages.every((m) => m.from === 'clients' && m.to === 'A' && !m.paired)).toBe(true);
  });
});

describe('placeLabels', () => {
  const box = (id: string, x: number, y: number, priority: number) => ({ id, x, y, w: 40, h: 12, priority });
  it('keeps labels that do not overlap, important and recent ones first', () => {
    const kept = placeLabels([box('old-log', 0, 0, 7), box('new-log', 30, 0, 7), box('went-live', 20, 5, 0), box('far', 200, 0, 7), box('below', 30, 40, 7)]);
    expect([...kept.keys()].sort()).toEqual(['below', 'far', 'went-live']);
  });
  it('falls back to the alternative place', () => {
    const kept = placeLabels([box('a', 0, 0, 0), { ...box('b', 10, 0, 1), altY: 20 }, { ...box('c', 10, 0, 1), altY: 2 }]);
    expect([...kept]).toEqual([
      ['a', 'main'],
      ['b', 'alt'],
    ]);
  });
  it('stops at max', () => {
    expect(placeLabels([box('a', 0, 0, 1), box('b', 100, 0, 1), box('c', 200, 0, 1)], 3, 2).size).toBe(2);
  });

  it('with messages traced by id, joins each send to its own receipt or drop exactly, with no guesswork', () => {
    const net = (t: number, id: string, from: string, to: string, msg: 'log' | 'ack' | 'frame', label: string, link: 'channel' | 'clients', extra: { retransmit?: string } = {}): TraceEvent =>
      ev({ t, type: 'net/sent', id, from: nid(from), to: nid(to), msg, link, label, ...extra });
    const trace: TraceEvent[] = [
      ...ROUND_TRIP,
      net(1.0, 'client-100#1', 'client-100', 'A', 'frame', 'request', 'clients'),
      ev({ t: 1.5, type: 'net/delivered', id: 'client-100#1' }),
      net(1.8, 'A#1', 'A', 'B', 'log', '#7–8', 'channel'),
      ev({ t: 1.81, type: 'net/dropped', id: 'A#1', why: 'learner' }),
      net(1.81, 'A#1.r', 'A', 'B', 'log', '#7–8', 'channel', { retransmit: 'A#1' }),
      ev({ t: 1.85, type: 'net/delivered', id: 'A#1.r' }),
      net(1.85, 'B#1', 'B', 'A', 'ack', 'ack #8', 'channel'),
      ev({ t: 1.9, type: 'net/delivered', id: 'B#1' }),
      net(1.9, 'A#2', 'A', 'client-100', 'frame', 'reply', 'clients'),
      net(2.0, 'A#3', 'A', 'B', 'log', 'heartbeat', 'channel'),
    ];
    const l = layoutTimeline(trace, { t0: 0, t1: 3 });
    expect(l.messages.map((m) => [m.id, m.kind, m.from, m.to, m.t0, m.t1, m.paired, m.dropped ?? false])).toEqual([
      ['net:client-100#1', 'request', 'client-100', 'A', 1.0, 1.5, true, false],
      ['net:A#1', 'log', 'A', 'B', 1.8, 1.81, true, true],
      ['net:A#1.r', 'log', 'A', 'B', 1.81, 1.85, true, false],
      ['net:B#1', 'ack', 'B', 'A', 1.85, 1.9, true, false],
      ['net:A#2', 'output', 'A', 'client-100', 1.9, 1.9 + 0.5, false, false],
    ]);
    expect(l.messages[1]!.details).toContainEqual(['fate', 'dropped at 1.810 ms: dropped by you']);
    expect(l.messages[2]!.details).toContainEqual(['resends', 'A#1']);
    // The reply is the output the Output Rule released: its wait is on the arrow.
    expect(l.messages[4]!.details).toContainEqual(['held for', '0.100 ms (Output Rule)']);
    expect(l.messages[4]!.details[0]).toEqual(['message', 'output (net) (A#2)']);
    expect(l.messages[1]!.details).toContainEqual(['first entry', 'packet']);
    // Heartbeats only when asked for.
    expect(layoutTimeline(trace, { t0: 0, t1: 3, heartbeats: true }).messages.some((m) => m.id === 'net:A#3' && m.kind === 'heartbeat')).toBe(true);
  });
});
