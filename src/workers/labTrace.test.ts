import { describe, expect, it } from 'vitest';
import { DEFAULT_FT_CONFIG } from '../engine/ft/hypervisor';
import { asNodeId as nid } from '../engine/ft/messages';
import type { TraceEvent } from '../engine/ft/trace';
import { LabTrace } from './labTrace';

const sent = (id: string, t = 1): TraceEvent => ({ type: 'net/sent', id, from: nid('A'), to: nid('B'), msg: 'log', link: 'channel', label: '#1', t });
const role = (vm: string, r: 'primary' | 'backup' | 'live' | 'dead', t: number): TraceEvent => ({ type: 'vm/role', vm: nid(vm), role: r, reason: 'test', t });

describe('the Web Workers runtime’s trace on the page', () => {
  it('merges a worker’s batch through the ledger, and tells roles and who went live last', () => {
    const lt = new LabTrace(DEFAULT_FT_CONFIG, 300);
    // The receiver's outcome before the sender's net/sent: held until the sent comes.
    lt.ingest([{ type: 'net/delivered', id: 'A#1', t: 2 }]);
    expect(lt.trace).toEqual([]);
    lt.ingest([sent('A#1')], { 'entry/replayed': 3 });
    expect(lt.trace.map((e) => e.type)).toEqual(['net/sent', 'net/delivered']);
    expect(lt.traceFolded['entry/replayed']).toBe(3);
    lt.accept([role('A', 'primary', 0), role('B', 'backup', 0), role('B', 'live', 5)]);
    expect(lt.roles.get(nid('B'))).toBe('live');
    expect(lt.generation(nid('B'))).toBe(1);
    expect(lt.generation(nid('A'))).toBe(0);
    lt.joinGeneration(nid('C'), nid('B'));
    expect(lt.generation(nid('C'))).toBe(1);
  });

  it('judges liveness over the same window as the simulator: 5 failure timeouts and 100 ms after the last fault', () => {
    // The page's 150 ms timeout: requests within 850 ms of a fault are not yet owed a reply.
    const run = (at: number): string => {
      const lt = new LabTrace({ ...DEFAULT_FT_CONFIG, failureTimeoutMs: 150 }, 300);
      lt.accept([
        role('A', 'primary', 0),
        role('B', 'backup', 0),
        { type: 'fault', kind: 'kill-primary', detail: 'killed A', t: 10 },
        role('A', 'dead', 10),
        role('B', 'live', 200),
        { type: 'client/invoke', client: 100, reqId: 1, text: 'GET k1', t: at },
        { type: 'client/timeout', client: 100, reqId: 1, t: at + 300 },
      ]);
      return lt.verdicts('kv-server', () => [], () => 0, 5_000).liveness.status;
    };
    expect(run(700)).not.toBe('fail');
    expect(run(900)).toBe('fail');
  });

  it('hands the views one sorted batch per frame, not one per event', async () => {
    const lt = new LabTrace(DEFAULT_FT_CONFIG, 300);
    const batches: TraceEvent[][] = [];
    lt.onTrace((b) => void batches.push([...b]));
    lt.accept([role('A', 'primary', 3)]);
    lt.accept([role('B', 'backup', 1)]);
    expect(batches).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((e) => e.t)).toEqual([1, 3]);
    lt.dispose();
    lt.accept([role('A', 'dead', 9)]);
    await new Promise((r) => setTimeout(r, 40));
    expect(batches).toHaveLength(1);
  });

  it('keeps a bounded trace', () => {
    const lt = new LabTrace(DEFAULT_FT_CONFIG, 300);
    for (let i = 0; i < 70_000; i++) lt.accept([{ type: 'heartbeat', vm: nid('A'), to: nid('B'), t: i }]);
    expect(lt.trace.length).toBeLessThanOrEqual(60_000);
    expect(lt.trace.at(-1)!.t).toBe(69_999);
  });
});
