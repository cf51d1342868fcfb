import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../ft/trace';
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
