import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, type LogEntry } from '../ft/log';
import type { TraceEvent } from '../ft/trace';
import { TraceMonitor } from './checkers/ftCheckers';
import { fuzzSeed, runFuzz, runFuzzRange } from './fuzz';
import { runScenario } from './runScenario';
import { ScenarioError, parseScenario, validateScenario, type ScenarioInput } from './scenario';
import { World } from './world';
import { asNodeId as nid } from '../ft/messages';

const kv = (extra: Partial<ScenarioInput> = {}): ScenarioInput => ({
  program: 'kv-server',
  durationMs: 800,
  seed: 5,
  clients: { count: 3, keys: 2, thinkMs: 8, timeoutMs: 100 },
  ...extra,
});
const run = (s: ScenarioInput, record = false) => runScenario(validateScenario(s), { recordTrace: record });
const scenarioFile = (name: string) => parseScenario(readFileSync(`scenarios/${name}.json`, 'utf8'), name);

function hashTrace(trace: readonly TraceEvent[]): string {
  let h = 0x811c9dc5;
  const s = JSON.stringify(trace, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16) + ':' + s.length;
}

describe('simulator determinism', () => {
  it('same scenario and seed give the same trace, bit for bit', () => {
    const s = kv({ faults: [{ at: 400, kind: 'kill-primary' }] });
    const a = run(s, true).world.trace;
    const b = run(s, true).world.trace;
    expect(a.length).toBeGreaterThan(1000);
    expect(hashTrace(a)).toBe(hashTrace(b));
  });

  it('a different seed gives a different run', () => {
    expect(hashTrace(run(kv({ seed: 1 }), true).world.trace)).not.toBe(hashTrace(run(kv({ seed: 2 }), true).world.trace));
  });
});

describe('deterministic replay', () => {
  it('the backup replays every entry at its icount and matches every logged state hash', () => {
    const { world, result } = run(kv(), true);
    const replayed = world.trace.filter((e) => e.type === 'entry/replayed');
    const hashes = replayed.filter((e) => e.kind === 'hash');
    expect(hashes.length).toBeGreaterThan(20);
    expect(replayed.every((e) => e.type === 'entry/replayed' && e.icount === e.atIcount)).toBe(true);
    expect(result.checkers.divergences).toEqual([]);
  });

  it('the backup suppresses its outputs and the primary releases each only after its ack', () => {
    const { world, result } = run(kv(), true);
    const suppressed = world.trace.filter((e) => e.type === 'output/suppressed').length;
    const released = world.trace.filter((e) => e.type === 'output/released' && e.vm === 'A');
    expect(suppressed).toBe(released.length);
    expect(released.every((e) => e.type === 'output/released' && e.ackedSeq >= e.seq)).toBe(true);
    expect(result.checkers.outputRequirement.ok).toBe(true);
  });
});

describe('failover', () => {
  it('kill primary: the backup wins test-and-set, goes live, and clients keep getting replies', () => {
    const { world, result } = run(kv({ faults: [{ at: 300, kind: 'kill-primary' }] }), true);
    expect(result.failover.wentLive).toBe('B');
    const types = world.trace.filter((e) => e.t >= 300).map((e) => e.type);
    const order = ['failure/suspected', 'tas/won', 'vm/went-live', 'mac/advertised'].map((t) => types.indexOf(t as never));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    const lateReplies = world.clients.flatMap((c) => c.history).filter((o) => o.status === 'ok' && o.from === 'B');
    expect(lateReplies.length).toBeGreaterThan(10);
    expect(result.ok).toBe(true);
  });

  it('power off: announced on the channel, the backup halts instead of going live', () => {
    const { result } = run(kv({ faults: [{ at: 300, kind: 'power-off-primary' }] }));
    expect(result.failover.wentLive).toBeNull();
    expect(result.vms.map((v) => v.role)).toEqual(['halted', 'halted']);
  });

  it('power off at any moment: the backup halts as soon as it replays the control entry, never suspecting', () => {
    for (let at = 40; at < 60; at += 1.3) {
      const { world } = run(kv({ durationMs: 300, faults: [{ at, kind: 'power-off-primary' }] }), true);
      const halted = world.trace.find((e) => e.type === 'vm/role' && e.vm === 'B' && e.role === 'halted');
      expect(halted, `power off at ${at}`).toBeDefined();
      expect(halted!.t - at, `power off at ${at}: B halts within a few ms`).toBeLessThan(5);
      expect(world.trace.some((e) => (e.type === 'failure/suspected' || e.type === 'tas/requested') && e.vm === 'B')).toBe(false);
    }
  });

  it('kill backup: the primary wins test-and-set and goes on alone', () => {
    const { result } = run(kv({ faults: [{ at: 300, kind: 'kill-backup' }] }));
    expect(result.vms.find((v) => v.id === 'A')!.role).toBe('live');
    expect(result.ok).toBe(true);
  });

  it('a paused primary that wakes to find the backup live halts instead of serving', () => {
    const { world, result } = run(kv({ faults: [{ at: 300, kind: 'pause', vm: 'primary', forMs: 200 }] }), true);
    expect(result.vms.find((v) => v.id === 'A')!.haltReason).toMatch(/lost test-and-set/);
    expect(world.trace.some((e) => e.type === 'output/released' && e.vm === 'A' && e.t > 300)).toBe(false);
    expect(result.ok).toBe(true);
  });

  it('restore redundancy: a new backup from a snapshot takes over after a second failure', () => {
    const { result } = run(
      kv({
        durationMs: 1500,
        faults: [
          { at: 300, kind: 'kill-primary' },
          { at: 600, kind: 'restart-backup' },
          { at: 1000, kind: 'kill-primary' },
        ],
      }),
    );
    expect(result.failover.wentLive).toBe('C');
    expect(result.ok).toBe(true);
  });

  it('a healed cut of the channel loses nothing: entries are resent', () => {
    const { result } = run(kv({ faults: [{ at: 300, kind: 'cut-channel', direction: 'to-backup' }, { at: 320, kind: 'heal' }] }));
    expect(result.vms.map((v) => v.role)).toEqual(['primary', 'backup']);
    expect(result.ok).toBe(true);
  });

  it('a full log buffer stalls the primary; a lagging backup slows it down', () => {
    const clients = { count: 4, thinkMs: 1, keys: 2, timeoutMs: 200 };
    const stalled = run(kv({ ft: { primaryLogCapacity: 8, backupLogCapacity: 8, backupSpeed: 0.1, lagLimitMs: 50 }, clients }), true).world;
    expect(stalled.trace.some((e) => e.type === 'vm/stall' && e.vm === 'A' && e.reason === 'log-full')).toBe(true);
    const throttled = run(kv({ ft: { primaryLogCapacity: 8, backupLogCapacity: 8, backupSpeed: 0.3, lagLimitMs: 2 }, clients }), true).world;
    expect(throttled.trace.some((e) => e.type === 'vm/throttle' && e.vm === 'A' && e.cpu < 1)).toBe(true);
  });

  it('a stalled primary appends nothing: its log buffer never holds more than its capacity', () => {
    const capacity = 2;
    const scenario = validateScenario(kv({ ft: { primaryLogCapacity: capacity, backupLogCapacity: 2, backupSpeed: 0.2 }, clients: { count: 4, thinkMs: 1, keys: 2, timeoutMs: 200 } }));
    let most = 0;
    let stalledSlices = 0;
    // Look at the primary's buffer at every trace event.
    const w2 = new World(scenario);
    const a = w2.vms.get(nid('A'))!;
    w2.onTrace((e) => {
      const n = w2.vms.get(nid('A'))?.logBufferLength ?? 0;
      most = Math.max(most, n);
      if (e.type === 'vm/stall' && e.vm === 'A' && e.reason === 'log-full') stalledSlices++;
    });
    w2.run();
    expect(stalledSlices).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(capacity);
    expect(a.machine.icount).toBeGreaterThan(10_000); // and the guest still runs
  });
});

describe('teaching switches break the invariant they exist to show', () => {
  it('Output Rule off: a client sees INCR = 11 that the new primary contradicts', () => {
    const off = runScenario(scenarioFile('output-rule-off')).result;
    expect(off.checkers.outputRequirement.ok).toBe(false);
    expect(off.checkers.outputRequirement.message).toMatch(/INCR counter = 11/);
    const on = runScenario({ ...scenarioFile('output-rule-off'), ft: { outputRule: true } }).result;
    expect(on.checkers.outputRequirement.ok).toBe(true);
  });

  it('test-and-set off with a cut channel: split brain; on: exactly one VM serves', () => {
    const cut = { faults: [{ at: 300, kind: 'cut-channel' as const }] };
    const bad = run(kv({ ...cut, ft: { testAndSet: false } })).result;
    expect(bad.checkers.splitBrain.ok).toBe(false);
    const good = run(kv(cut)).result;
    expect(good.checkers.splitBrain.ok).toBe(true);
    expect(good.vms.filter((v) => v.role === 'live' || v.role === 'primary')).toHaveLength(1);
    expect(good.vms.filter((v) => v.role === 'halted')).toHaveLength(1);
  });

  it('timer unlogged: the lease-server backup diverges and, after failover, grants a held lease to a second client', () => {
    const bad = runScenario(scenarioFile('lease-timer-unlogged')).result;
    expect(bad.checkers.replay.ok).toBe(false);
    expect(bad.checkers.outputRequirement.ok).toBe(false);
    expect(bad.checkers.outputRequirement.message).toMatch(/lease chunk42 granted to client 2 .* while client 1 held it/);
    const good = runScenario({ ...scenarioFile('lease-timer-unlogged'), ft: { ...scenarioFile('lease-timer-unlogged').ft, unlogged: [] } }).result;
    expect(good.ok).toBe(true);
    expect(good.failover.wentLive).toBe('B');
  });

  it.each(['random', 'clock'] as const)('%s unlogged: ticker diverges', (src) => {
    // A slower backup reads its clock later than the primary did.
    const r = run({ program: 'ticker', durationMs: 300, seed: 3, ft: { unlogged: [src], backupSpeed: 0.5 } }).result;
    expect(r.checkers.replay.ok).toBe(false);
    expect(run({ program: 'ticker', durationMs: 200, seed: 3 }).result.checkers.replay.ok).toBe(true);
  });

  it('packet timing unlogged: kv-server diverges under load', () => {
    const r = run(kv({ ft: { unlogged: ['packet-timing'] }, clients: { count: 4, thinkMs: 2, keys: 2, timeoutMs: 100 } })).result;
    expect(r.checkers.replay.ok).toBe(false);
  });
});

describe('fuzz', () => {
  it('a fixed-seed subset of the release fuzz: every check holds, none unknown', () => {
    const s = runFuzz(60, 7);
    expect(s.first_failure).toBeNull();
    expect(s.violations).toBe(0);
    expect(s.unknown).toBe(0);
    expect(s.failover_virtual_ms.length).toBeGreaterThan(3);
  });

  it('with the Output Rule off the fuzzer finds violations, and names a replayable seed', () => {
    // Run 2 of the fuzz with seed 7 (found by `--fuzz 200 --seed 7 --output-rule off`).
    const off = runFuzzRange(7, 2, 3, { outputRule: false });
    expect(off.failed.outputRequirement).toBe(1);
    expect(off.first_failing_seed).toBe(fuzzSeed(7, 2));
    // The same run with the rule on is fine.
    expect(runFuzzRange(7, 2, 3).violations).toBe(0);
  });
});

describe('checkers fail on broken input', () => {
  const base = { t: 1 };
  it('output released before its ack', () => {
    const m = new TraceMonitor({ outputRule: true, packetTimingLogged: true });
    m.listener({ ...base, type: 'vm/role', vm: nid('A'), role: 'primary', reason: 'x' });
    m.listener({ ...base, type: 'output/released', vm: nid('A'), seq: 9, output: 'net', to: nid('client-1'), role: 'primary', delayMs: 0, ackedSeq: 8 });
    expect(m.violations.map((v) => v.invariant)).toEqual(['output-before-ack']);
  });
  it('the starting roles reach a listener attached after the world was built', () => {
    const w = new World(validateScenario(kv({ durationMs: 50 })));
    const roles: string[] = [];
    w.onTrace((ev) => void (ev.type === 'vm/role' && roles.push(`${ev.vm}:${ev.role}`)));
    expect(roles).toEqual(['A:primary', 'B:backup']);
  });
  it('go-live before replaying everything acked, and a passed entry', () => {
    const m = new TraceMonitor({ outputRule: true, packetTimingLogged: true });
    m.listener({ ...base, type: 'vm/went-live', vm: nid('B'), icount: 10, receivedSeq: 5, consumedSeq: 4 });
    m.listener({ ...base, type: 'entry/replayed', vm: nid('B'), seq: 3, kind: 'timer', icount: 7, atIcount: 8 });
    expect(m.violations.map((v) => v.invariant)).toEqual(['go-live-before-replay', 'passed-entry']);
  });
});

describe('log entry codec', () => {
  it('round-trips every kind and stays compact', () => {
    const entries: LogEntry[] = [
      { seq: 1, icount: 100, kind: 'packet', frame: new Uint8Array([1, 0, 7, 0, 71, 69, 84]) },
      { seq: 2, icount: 150, kind: 'timer' },
      { seq: 3, icount: 150, kind: 'disk', ok: true, data: new Uint8Array(64).fill(9) },
      { seq: 4, icount: 151, kind: 'nondet', port: 0x41, value: -5 },
      { seq: 5, icount: 300, kind: 'output', output: 'net', digest: 0xdeadbeef },
      { seq: 6, icount: 300, kind: 'hash', hash: '0123456789abcdef' },
      { seq: 7, icount: 301, kind: 'control', control: 'power-off' },
    ];
    const bytes = encodeBatch({ entries, horizon: 400, lastSeq: 7 });
    expect(decodeBatch(bytes)).toEqual({ entries, horizon: 400, lastSeq: 7 });
    expect(encodeBatch({ entries: [entries[1]!], horizon: 150, lastSeq: 2 })).toEqual(new Uint8Array([1, 1, 150, 1, 2, 2, 2, 150, 1]));
    expect(bytes.length).toBeLessThan(130);
  });
  it('rejects truncated or unknown input', () => {
    const bytes = encodeBatch({ entries: [{ seq: 1, icount: 1, kind: 'timer' }], horizon: 1, lastSeq: 1 });
    expect(() => decodeBatch(bytes.subarray(0, bytes.length - 1))).toThrow();
    expect(() => decodeBatch(new Uint8Array([9]))).toThrow(/version/);
  });
});

describe('scenario files', () => {
  it('every shipped scenario parses', () => {
    for (const f of ['output-rule-off', 'failover', 'split-brain', 'lease-timer-unlogged']) expect(scenarioFile(f).name).toBe(f);
  });
  it('bad input names the file, the path and the problem', () => {
    expect(() => parseScenario('{"program":"kv-server","durationMs":10,"faults":[{"at":1,"kind":"kil-primary"}]}', 'x.json')).toThrow(
      /x\.json: \$\.faults\[0\]\.kind/,
    );
    expect(() => parseScenario('{', 'y.json')).toThrow(ScenarioError);
    expect(() => parseScenario('{"program":"nope","durationMs":10}', 'z.json')).toThrow(/z\.json: \$\.program/);
  });
});
