// A realm's emulated link in the Web Worker runtime: traced messages land as net/delivered, and the
// learner's drop follows the simulator's rule (a reliable link resends after its timeout, FIFO).
import { afterEach, describe, expect, it } from 'vitest';
import type { Message, NodeId } from '../engine/ft/messages';
import type { TraceEvent } from '../engine/ft/trace';
import { DEFAULT_LINKS, retransmitMs } from '../engine/sim/network';
import { Realm } from './realm';
import { asNodeId as nid } from '../engine/ft/messages';

const ack = (seq: number): Message => ({ t: 'ack', ackedSeq: seq, consumedSeq: seq, icount: 0, heartbeat: false });
const frame: Message = { t: 'frame', frame: new Uint8Array(4) };

describe('Realm: messages in flight', () => {
  const realms: Realm[] = [];
  afterEach(() => realms.splice(0).forEach((r) => r.stop()));

  function realm(): { r: Realm; got: string[] } {
    const r = new Realm({ speed: 1, paused: true, anchorWall: 0, anchorVirtual: 0 });
    realms.push(r);
    const got: string[] = [];
    const node = (id: NodeId) => ({ receive: (m: Message, from: NodeId) => got.push(`${id}<${from}:${m.t === 'ack' ? m.ackedSeq : m.t}`) });
    r.attach(nid('A'), node(nid('A')));
    return { r, got };
  }
  const net = (trace: TraceEvent[]): string[] =>
    trace.map((e) => (e.type === 'net/sent' ? `sent ${e.id}${e.retransmit ? ` for ${e.retransmit}` : ''}` : e.type === 'net/delivered' ? `delivered ${e.id}@${e.t.toFixed(3)}` : e.type === 'net/dropped' ? `dropped ${e.id} ${e.why}` : e.type));

  it('a logging-channel message dropped in flight is resent after the timeout, and what followed waits behind it', () => {
    const { r, got } = realm();
    const link = { ...DEFAULT_LINKS.channel, jitterMs: 0, bandwidthMbps: 0, latencyMs: 1 };
    for (let i = 1; i <= 3; i++) r.deliver({ from: nid('B'), to: nid('A'), stamp: 0, msg: ack(i), id: `B#${i}` }, link, 0);
    expect(r.drop('B#1')).toBe(true);
    expect(r.drop('B#1')).toBe(false);
    r.sched.runUntil(100);
    const at = (retransmitMs(link) + link.latencyMs).toFixed(3);
    expect(net(r.drainTrace())).toEqual(['dropped B#1 learner', 'sent B#1.r for B#1', `delivered B#1.r@${at}`, `delivered B#2@${at}`, `delivered B#3@${at}`]);
    expect(got).toEqual(['A<B:1', 'A<B:2', 'A<B:3']);
    expect(r.drop('B#2')).toBe(false); // arrived
  });

  it('a client request dropped is lost (no resend), and leaves the wire', () => {
    const { r, got } = realm();
    let settled = 0;
    r.deliver({ from: nid('client-1'), to: nid('A'), stamp: 0, msg: frame, id: 'client-1#1' }, DEFAULT_LINKS.clients, 0, { settled: () => settled++ });
    r.deliver({ from: nid('client-1'), to: nid('nobody'), stamp: 0, msg: frame, id: 'client-1#2' }, DEFAULT_LINKS.clients, 0);
    expect(r.drop('client-1#1')).toBe(true);
    r.sched.runUntil(100);
    expect(net(r.drainTrace())).toEqual(['dropped client-1#1 learner', 'dropped client-1#2 dead']);
    expect(got).toEqual([]);
    expect(settled).toBe(1);
  });
});

const LINK = { latencyMs: 0.05, jitterMs: 0, loss: 0, bandwidthMbps: 0.1 };
// A log batch of 1,000 bytes: 80 ms on the wire at 0.1 Mbit/s.
const batch = (): Message => ({ t: 'log', batch: new Uint8Array(992) }) as Message;

function realmWithReceiver(): { realm: Realm; got: string[] } {
  const realm = new Realm({ speed: 1, paused: true, anchorWall: 0, anchorVirtual: 0 });
  const got: string[] = [];
  realm.attach(nid('B'), { receive: (_m: Message, from: NodeId) => got.push(from) });
  realm.stop(); // no pumping: the test runs the scheduler itself
  return { realm, got };
}

describe('a Web Worker realm delivers with the simulator’s delay model', () => {
  it('serialises behind what went before, then arrives after the latency', () => {
    const { realm, got } = realmWithReceiver();
    realm.deliver({ from: nid('A'), to: nid('B'), stamp: 0, msg: batch() }, LINK, 0);
    realm.deliver({ from: nid('A'), to: nid('B'), stamp: 0, msg: batch() }, LINK, 0);
    realm.sched.runUntil(80);
    expect(got).toEqual([]);
    realm.sched.runUntil(80.06);
    expect(got).toEqual(['A']);
    realm.sched.runUntil(160.06);
    expect(got).toEqual(['A', 'A']);
  });

  it('what a dead sender had not finished putting on the wire never arrives; what it had, does', () => {
    const { realm, got } = realmWithReceiver();
    realm.deliver({ from: nid('A'), to: nid('B'), stamp: 0, msg: batch() }, LINK, 0); // on the wire by 80 ms
    realm.deliver({ from: nid('A'), to: nid('B'), stamp: 0, msg: batch() }, LINK, 0); // queued behind it until 160 ms
    realm.senderDied(nid('A'), 100);
    realm.sched.runUntil(1000);
    expect(got).toEqual(['A']);
  });

  it('a sender whose realm lagged the shared clock dies where it had got to: its last progress, not the clock', () => {
    const { realm, got } = realmWithReceiver();
    realm.deliver({ from: nid('A'), to: nid('B'), stamp: 0, msg: batch() }, LINK, 0); // on the wire by 80 ms
    realm.deliver({ from: nid('A'), to: nid('B'), stamp: 0, msg: batch() }, LINK, 0); // by 160 ms
    realm.heard(nid('A'), 60); // A's last report: it had reached 60 ms when the clock said 200
    realm.senderDied(nid('A'), 200);
    realm.sched.runUntil(1000);
    expect(got).toEqual([]);
  });

  it('what was heard later than the shared clock does not postpone a death', () => {
    const { realm, got } = realmWithReceiver();
    realm.deliver({ from: nid('A'), to: nid('B'), stamp: 0, msg: batch() }, LINK, 0);
    realm.deliver({ from: nid('A'), to: nid('B'), stamp: 0, msg: batch() }, LINK, 0);
    realm.heard(nid('A'), 150);
    realm.senderDied(nid('A'), 100);
    realm.sched.runUntil(1000);
    expect(got).toEqual(['A']);
  });
});
