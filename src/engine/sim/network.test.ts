import { describe, expect, it } from 'vitest';
import { clientNode, vmNode, type Message } from '../ft/messages';
import type { TraceEvent } from '../ft/trace';
import { encodeFrame } from '../programs/protocol';
import { Rng } from '../util/rng';
import { DEFAULT_LINKS, Network, retransmitMs, type LinkConfig } from './network';
import { Scheduler } from './scheduler';
import { applyAction } from '../session/actions';
import { validateScenario } from './scenario';
import { World } from './world';

type Sent = Extract<TraceEvent, { type: 'net/sent' }>;

function world(): World {
  return new World(
    validateScenario({ program: 'kv-server', durationMs: 600, seed: 3, network: { channel: { latencyMs: 2 } }, clients: { count: 2, keys: 2, thinkMs: 5, timeoutMs: 100 } }),
    { recordTrace: true },
  );
}

/** Every id sent gets exactly one outcome (delivered or dropped), none twice. */
function outcomes(trace: readonly TraceEvent[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of trace) {
    if (e.type === 'net/sent') m.set(e.id, []);
    else if (e.type === 'net/delivered' || e.type === 'net/dropped') m.get(e.id)!.push(e.type === 'net/dropped' ? `dropped:${e.why}` : 'delivered');
  }
  return m;
}

describe('messages with identity, and dropping one on the wire', () => {
  it('every message sent is delivered or dropped exactly once, ids unique', () => {
    const w = world();
    w.run();
    const sent = w.trace.filter((e): e is Sent => e.type === 'net/sent');
    expect(sent.length).toBeGreaterThan(100);
    expect(new Set(sent.map((s) => s.id)).size).toBe(sent.length);
    for (const [id, o] of outcomes(w.trace)) if (o.length > 1) throw new Error(`${id}: ${o.join(', ')}`);
    expect(sent.some((s) => s.msg === 'log' && /^#\d+/.test(s.label))).toBe(true);
  });

  it('a log batch dropped on the logging channel is resent after a timeout, and the channel stays in order', () => {
    const w = world();
    w.run(200);
    const onChannel = (id: string): boolean => w.trace.some((e) => e.type === 'net/sent' && e.id === id && e.link === 'channel' && e.msg === 'log' && e.label.startsWith('#'));
    const id = w.net.inFlight().find(onChannel)!;
    expect(id).toBeDefined();
    const later = w.net.inFlight().filter((x) => x !== id && onChannel(x) && x.startsWith(id.split('#')[0]!));
    expect(applyAction(w, { at: w.now, kind: 'drop-message', id })).toBe(true);
    expect(applyAction(w, { at: w.now, kind: 'drop-message', id })).toBe(false); // no longer in flight
    w.run();
    const o = outcomes(w.trace);
    expect(o.get(id)).toEqual(['dropped:learner']);
    const resent = w.trace.find((e): e is Sent => e.type === 'net/sent' && e.retransmit === id)!;
    expect(resent.id).toBe(`${id}.r`);
    expect(o.get(resent.id)).toEqual(['delivered']);
    // FIFO: the resent batch lands before what followed it on the same direction.
    const at = (x: string): number => w.trace.findIndex((e) => e.type === 'net/delivered' && e.id === x);
    for (const x of later) expect(at(x)).toBeGreaterThan(at(resent.id));
    expect(w.trace.some((e) => e.type === 'divergence')).toBe(false);
  });

  it('a client request dropped on the wire is simply lost (the client times out)', () => {
    const w = world();
    let id: string | undefined;
    for (let t = 50; !id && t < 300; t += 0.1) {
      w.run(t);
      id = w.net.inFlight().find((x) => x.startsWith('client-'));
    }
    expect(id).toBeDefined();
    expect(applyAction(w, { at: w.now, kind: 'drop-message', id: id! })).toBe(true);
    w.run();
    expect(outcomes(w.trace).get(id!)).toEqual(['dropped:learner']);
    expect(w.trace.some((e) => e.type === 'net/sent' && e.retransmit === id)).toBe(false);
  });
});

describe('a network carrying messages for nodes in other realms (the Web Workers runtime)', () => {
  const A = vmNode('A');
  const C1 = clientNode(1);
  const frame = (n: number): Message => ({ t: 'frame', frame: encodeFrame(1, n, 'ok') });

  function net(switchQueue?: number): { n: Network; sched: Scheduler; trace: TraceEvent[]; got: number[] } {
    const sched = new Scheduler();
    const trace: TraceEvent[] = [];
    const n = new Network(sched, new Rng(1), { clients: { jitterMs: 0 } }, (body, t) => trace.push({ ...body, t } as TraceEvent), switchQueue === undefined ? {} : { switchQueue });
    sched.dispatch = (kind, data) => n.dispatch(kind, data);
    const got: number[] = [];
    n.attach(C1, { receive: () => got.push(sched.now) });
    n.macOwner = A;
    return { n, sched, trace, got };
  }

  it('a message sent at the sender\'s own virtual time, under its own id, is traced then and lands a link latency later', () => {
    const { n, sched, trace, got } = net();
    sched.runUntil(10);
    n.send(A, C1, frame(1), { stamp: 12, id: 'A#7' });
    expect(trace[0]).toMatchObject({ type: 'net/sent', id: 'A#7', from: 'A', to: C1, t: 12 });
    sched.runUntil(20);
    expect(got).toHaveLength(1);
    expect(got[0]!).toBeCloseTo(12 + DEFAULT_LINKS.clients.latencyMs, 1);
    // A stamp already past lands no earlier than now.
    n.send(A, C1, frame(2), { stamp: 1, id: 'A#8' });
    sched.runUntil(30);
    expect(got[1]).toBe(20);
  });

  it('a bounded switch port drops the frames beyond its queue, and counts them', () => {
    const { n, sched, trace, got } = net(3);
    for (let i = 0; i < 5; i++) n.send(A, C1, frame(i));
    expect(n.framesDropped).toBe(2);
    expect(trace.filter((e) => e.type === 'net/dropped' && e.why === 'loss')).toHaveLength(2);
    sched.runUntil(5);
    expect(got).toHaveLength(3);
    // Delivered frames free their slots.
    n.send(A, C1, frame(9));
    expect(n.framesDropped).toBe(2);
  });

  it('frames for a client that is not there are dropped and counted; unbounded by default', () => {
    const { n, sched, trace } = net();
    for (let i = 0; i < 2000; i++) n.send(A, clientNode(2), frame(i));
    sched.runUntil(50);
    expect(n.framesDropped).toBe(2000);
    expect(trace.filter((e) => e.type === 'net/dropped' && e.why === 'dead')).toHaveLength(2000);
  });

  it('a node that died at a given time loses what it had not finished sending by then', () => {
    const { n, sched, trace, got } = net();
    n.send(A, C1, frame(1), { stamp: 0, id: 'A#1' });
    n.send(A, C1, frame(2), { stamp: 5, id: 'A#2' });
    n.kill(A, 3);
    sched.runUntil(10);
    expect(got).toHaveLength(1);
    expect(trace.find((e) => e.type === 'net/dropped')).toMatchObject({ id: 'A#2', why: 'dead' });
  });
});

describe('messages from another realm arriving (the logging channel between two VM workers)', () => {
  const A = vmNode('A');
  const B = vmNode('B');
  const ack = (seq: number): Message => ({ t: 'ack', ackedSeq: seq, consumedSeq: seq, icount: 0, heartbeat: false });
  // A log batch of 1,000 bytes: 80 ms on the wire at 0.1 Mbit/s.
  const batch = (): Message => ({ t: 'log', batch: new Uint8Array(992) }) as Message;

  function end(channel: Partial<LinkConfig>): { n: Network; sched: Scheduler; trace: TraceEvent[]; got: string[] } {
    const sched = new Scheduler();
    const trace: TraceEvent[] = [];
    const n = new Network(sched, new Rng(1), { channel: { jitterMs: 0, ...channel } }, (body, t) => trace.push({ ...body, t } as TraceEvent));
    sched.dispatch = (kind, data) => n.dispatch(kind, data);
    const got: string[] = [];
    n.attach(A, { receive: (m: Message, from) => got.push(`${from}:${m.t === 'ack' ? m.ackedSeq : m.t}`) });
    return { n, sched, trace, got };
  }
  const net = (trace: TraceEvent[]): string[] =>
    trace.map((e) => (e.type === 'net/sent' ? `sent ${e.id}${e.retransmit ? ` for ${e.retransmit}` : ''}` : e.type === 'net/delivered' ? `delivered ${e.id}@${e.t.toFixed(3)}` : e.type === 'net/dropped' ? `dropped ${e.id} ${e.why}` : e.type));

  it('the receiving end traces only the outcome; a message dropped in flight is resent after the timeout, and what followed waits behind it', () => {
    const { n, sched, trace, got } = end({ bandwidthMbps: 0, latencyMs: 1 });
    for (let i = 1; i <= 3; i++) n.arrive(B, A, ack(i), 0, `B#${i}`);
    expect(n.drop('B#1')).toBe(true);
    expect(n.drop('B#1')).toBe(false);
    sched.runUntil(100);
    const at = (retransmitMs(n.links.channel) + 1).toFixed(3);
    expect(net(trace)).toEqual(['dropped B#1 learner', 'sent B#1.r for B#1', `delivered B#1.r@${at}`, `delivered B#2@${at}`, `delivered B#3@${at}`]);
    expect(got).toEqual(['B:1', 'B:2', 'B:3']);
    expect(n.drop('B#2')).toBe(false); // arrived
  });

  it('serialises behind what went before, then arrives after the latency', () => {
    const { n, sched, got } = end({ latencyMs: 0.05, bandwidthMbps: 0.1 });
    n.arrive(B, A, batch(), 0, 'B#1');
    n.arrive(B, A, batch(), 0, 'B#2');
    sched.runUntil(80);
    expect(got).toEqual([]);
    sched.runUntil(80.06);
    expect(got).toEqual(['B:log']);
    sched.runUntil(160.06);
    expect(got).toEqual(['B:log', 'B:log']);
  });

  it('a cut direction drops what arrives and what is still on its way', () => {
    const { n, sched, trace, got } = end({ latencyMs: 1 });
    n.arrive(B, A, ack(1), 0, 'B#1');
    n.block(B, A, false);
    n.arrive(B, A, ack(2), 0, 'B#2');
    sched.runUntil(10);
    expect(got).toEqual([]);
    expect(net(trace)).toEqual(['dropped B#2 cut', 'dropped B#1 cut']);
  });

  it('what a dead sender had not finished putting on the wire never arrives; what it had, does', () => {
    const { n, sched, got } = end({ latencyMs: 0.05, bandwidthMbps: 0.1 });
    n.arrive(B, A, batch(), 0, 'B#1'); // on the wire by 80 ms
    n.arrive(B, A, batch(), 0, 'B#2'); // queued behind it until 160 ms
    n.kill(B, 100);
    sched.runUntil(1000);
    expect(got).toEqual(['B:log']);
  });

  it('a sender whose realm lagged the shared clock dies where it had got to: its last progress, not the clock', () => {
    const { n, sched, got } = end({ latencyMs: 0.05, bandwidthMbps: 0.1 });
    n.arrive(B, A, batch(), 0, 'B#1');
    n.arrive(B, A, batch(), 0, 'B#2');
    n.heard(B, 60); // B's last report: it had reached 60 ms when the clock said 200
    n.kill(B, 200);
    sched.runUntil(1000);
    expect(got).toEqual([]);
  });

  it('what was heard later than the shared clock does not postpone a death', () => {
    const { n, sched, got } = end({ latencyMs: 0.05, bandwidthMbps: 0.1 });
    n.arrive(B, A, batch(), 0, 'B#1');
    n.arrive(B, A, batch(), 0, 'B#2');
    n.heard(B, 150);
    n.kill(B, 100);
    sched.runUntil(1000);
    expect(got).toEqual(['B:log']);
  });
});
