// Client bookkeeping in the world: automatic clients get ids past every id in use, a workload
// change stops only the running automatic clients, and the interactive client is found by id —
// the same run, bit for bit, as before the bookkeeping stopped scanning every client per add.
import { describe, expect, it } from 'vitest';
import type { TimedAction } from '../session/actions';
import { SimSession } from '../session/simSession';
import { Rng } from '../util/rng';
import { Client, ClientRoster } from './clients';
import { validateScenario } from './scenario';
import { asNodeId as nid } from '../ft/messages';

describe('clients of a session with workload changes', () => {
  it('ids, who sends, and the VMs\' state are those of the scanning bookkeeping', () => {
    const scenario = validateScenario({ program: 'kv-server', durationMs: 10_000, requests: [{ client: 150, at: 5, request: 'PUT a 1' }] });
    const actions: TimedAction[] = [
      { at: 1, kind: 'workload', count: 3, perSecond: 200 },
      { at: 2, kind: 'workload', count: 3, perSecond: 200 },
      { at: 3, kind: 'workload', count: 3, perSecond: 200 },
      { at: 50, kind: 'request', client: 1, text: 'GET a' },
      { at: 120, kind: 'partition-clients', vm: 'backup' },
      { at: 400, kind: 'workload', count: 2, perSecond: 100 },
    ];
    const s = new SimSession({ scenario }, actions);
    s.runTo(1000);
    // Automatic ids start past the scripted client 150; client 1 is made once, on first use.
    expect(s.world.clients.map((c) => c.id)).toEqual([150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 1, 160, 161]);
    const invoked = s.trace.filter((e) => e.type === 'client/invoke').map((e) => (e as { client: number; t: number }));
    // A replaced client sends nothing after its replacement; the last ones and client 1 do send.
    const stoppedAt = (id: number): number => (id <= 153 ? 2 : id <= 156 ? 3 : id <= 159 ? 400 : Infinity);
    for (const e of invoked) if (e.client >= 151) expect(e.t, `client ${e.client}`).toBeLessThanOrEqual(stoppedAt(e.client) + 1e-9);
    for (const id of [1, 150, 157, 160, 161]) expect(invoked.some((e) => e.client === id), `client ${id} sends`).toBe(true);
    // Bit for bit the same run as the scanning bookkeeping gave, on the engine of this commit
    // (the bookkeeping change alone was checked against commit 37323d5's hashes).
    const again = new SimSession({ scenario }, actions);
    again.runTo(1000);
    expect(again.stateHashes()).toEqual(s.stateHashes());
  });
});

describe('ClientRoster: one numbering in both runtimes', () => {
  const make = (id: number): Client => new Client({ id: nid(`client-${id}`), rng: new Rng(id), now: () => 0, after: () => ({ cancel: () => undefined }), send: () => undefined, trace: () => undefined }, id, { kind: 'scripted', requests: [] }, 300);

  it('automatic clients are numbered from 100, never reuse an id, and a switch stops only the running ones', () => {
    const r = new ClientRoster();
    r.add(make(1));
    r.replaceAutomatic(2, make);
    expect(r.all.map((c) => c.id)).toEqual([1, 100, 101]);
    const first = r.all.slice(1);
    r.replaceAutomatic(1, make);
    expect(r.all.map((c) => c.id)).toEqual([1, 100, 101, 102]);
    expect(first.every((c) => c.stopped)).toBe(true);
    expect(r.get(102)?.stopped).toBe(false);
    expect(r.get(1)?.stopped).toBe(false);
    r.add(make(150));
    r.replaceAutomatic(1, make);
    expect(r.get(151)).toBeDefined();
    expect(r.save()).toEqual({ maxClientId: 151, autoClients: [151] });
  });
});
