import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../engine/ft/trace';
import { NetLedger } from './netLedger';
import { asNodeId as nid } from '../engine/ft/messages';

const sent = (id: string, from: string, to: string, t = 1, link: 'channel' | 'clients' = 'channel'): TraceEvent => ({ type: 'net/sent', id, from: nid(from), to: nid(to), msg: 'log', link, label: '#1', t });
const delivered = (id: string, t = 2): TraceEvent => ({ type: 'net/delivered', id, t });
const outcome = (e: TraceEvent): string => (e.type === 'net/dropped' ? `dropped ${e.id} ${e.why}` : e.type === 'net/delivered' ? `delivered ${e.id}` : `${e.type} ${'id' in e ? e.id : ''}`);

function feed(l: NetLedger, events: TraceEvent[]): string[] {
  const out: TraceEvent[] = [];
  for (const e of events) l.take(e, out);
  return out.map(outcome);
}

describe('the page’s ledger of messages on the wire', () => {
  it('an outcome that arrives before its net/sent (the receiver’s batch first) is passed after it', () => {
    const l = new NetLedger();
    expect(feed(l, [delivered('A#1'), { type: 'heartbeat', vm: nid('A'), to: nid('B'), t: 1 }])).toEqual(['heartbeat ']);
    expect(feed(l, [sent('A#1', 'A', 'B')])).toEqual(['net/sent A#1', 'delivered A#1']);
    expect(l.open.size).toBe(0);
  });

  it('each message’s outcome is passed once', () => {
    const l = new NetLedger();
    expect(feed(l, [sent('A#1', 'A', 'B'), delivered('A#1'), { type: 'net/dropped', id: 'A#1', why: 'dead', t: 3 }])).toEqual(['net/sent A#1', 'delivered A#1']);
  });

  it('a dead VM: what the logging channel carried to it is lost, and outcomes of its unseen sends are forgotten', () => {
    const l = new NetLedger();
    feed(l, [sent('A#1', 'A', 'B'), sent('A#2', 'A', 'client-1', 1, 'clients'), delivered('B#7')]);
    const out: TraceEvent[] = [];
    l.died(nid('B'), 5, out);
    expect(out.map(outcome)).toEqual(['dropped A#1 dead']);
    // The page's own realm settles A#2 (it carries it); a later send to B is lost at once.
    expect(l.open.has('A#2')).toBe(true);
    expect(feed(l, [sent('A#3', 'A', 'B', 6)])).toEqual(['net/sent A#3', 'dropped A#3 dead']);
    expect(feed(l, [sent('B#7', 'B', 'A')])).toEqual(['net/sent B#7']); // (its outcome was forgotten)
  });

  it('a gone sender: its channel messages numbered past what the receiver had are lost; the rest the receiver settles', () => {
    const l = new NetLedger();
    feed(l, [sent('A#4', 'A', 'B'), sent('A#5', 'A', 'storage', 1, 'clients'), sent('A#6', 'A', 'B'), sent('A#4.r', 'A', 'B')]);
    const out: TraceEvent[] = [];
    l.died(nid('A'), 9, out);
    l.senderGone(nid('A'), nid('B'), 4, 9, out);
    expect(out.map(outcome)).toEqual(['dropped A#6 dead']);
    expect([...l.open.keys()]).toEqual(['A#4', 'A#5', 'A#4.r']);
    // The receiver's own drop of a late arrival is not passed twice.
    expect(feed(l, [{ type: 'net/dropped', id: 'A#6', why: 'dead', t: 10 }, delivered('A#4', 10)])).toEqual(['delivered A#4']);
  });
});
