// Snapshots of a whole session: restored mid-failover the run goes on bit for bit; a doctored or
// cut-short snapshot is refused and changes nothing; rewindTo + runTo is the straight run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../ft/trace';
import { parseScenario, validateScenario } from '../sim/scenario';
import { SnapshotError, crc32, encodeGraph } from '../sim/snapshotCodec';
import type { TimedAction } from './actions';
import { SimSession, type SessionSpec } from './simSession';

const failover: SessionSpec = { scenario: parseScenario(readFileSync('scenarios/failover.json', 'utf8'), 'failover') };

/** What the run looks like at one time: both VMs' state, the checkers' verdicts, the clients' histories. */
function look(s: SimSession): string {
  const v = s.verdicts();
  return JSON.stringify({
    now: s.now,
    vms: s.stateHashes(),
    vmViews: [...s.world.vms.values()].map((vm) => [
      vm.id,
      vm.role,
      vm.peer,
      vm.stall,
      vm.paused,
      vm.bufferedEntries(1_000),
      vm.inFlightCount,
      vm.heldOutputs,
      [vm.ackedSeq, vm.receivedSeq, vm.consumedSeq, vm.horizon, vm.nextSeq, vm.generation, vm.lagMs, vm.cpuFactor, vm.awaitingSnapshot, vm.poweringOff],
      vm.stats,
    ]),
    // Everything the world saves, byte for byte (the scheduler's queue: timers, messages in flight).
    state: crc32(encodeGraph(s.world.saveState(), s.world.codecHooks)),
    rngs: [s.world.rng.save(), ...s.world.clients.map((c) => c.env.rng.save())],
    histories: s.world.clients.map((c) => c.history),
    verdicts: v,
    mac: s.world.net.macOwner,
    tas: [s.world.storage.holder, s.world.storage.generation],
  });
}

/** The trace from event index `from` on (the session keeps every event here). */
const since = (s: SimSession, from: number): TraceEvent[] => s.trace.slice(from);

function midFailoverInstant(s: SimSession, from: number, to: number): { inFlight: number; held: number; write: boolean } | null {
  for (let t = from; t < to; t += 0.05) {
    s.runTo(t);
    const p = s.world.primary;
    if (!p || p.role !== 'primary') continue;
    const inFlight = s.world.sched
      .save()
      .heap.filter((e) => e.kind === 'net/deliver' && (e.data as { msg: { t: string; heartbeat?: boolean } }).msg.t === 'log' && !(e.data as { msg: { heartbeat: boolean } }).msg.heartbeat).length;
    const held = p.heldOutputs.length;
    const write = p.machine.dev.diskPending?.op === 'write';
    if (inFlight > 0 && held > 0 && write) return { inFlight, held, write };
  }
  return null;
}

describe('session snapshots', () => {
  it('restored mid-failover (entries in flight, an output held, a disk write pending), the run goes on bit for bit', () => {
    const a = new SimSession(failover);
    // Just before the primary is killed at 500 ms: the kill is still ahead in the restored queue.
    const state = midFailoverInstant(a, 300, 500);
    expect(state, 'an instant with log entries in flight, an output held and a disk write pending').not.toBeNull();
    const at = a.now;
    const snap = a.snapshot();
    const mark = a.trace.length;

    // A second snapshot during the failover itself: the primary dead, the backup not yet live.
    const b = new SimSession(failover);
    b.restore(snap);
    expect(look(b)).toBe(look(a));
    const times = [at + 0.5, 505, 540, 580, 650, 900, 1500];
    let detecting: { bytes: Uint8Array; at: number; mark: number } | null = null;
    for (const t of times) {
      a.runTo(t);
      b.runTo(t);
      expect(look(b), `at ${t} ms`).toBe(look(a));
      if (!detecting && t >= 540 && !a.trace.some((e) => e.type === 'vm/went-live')) detecting = { bytes: a.snapshot(), at: t, mark: a.trace.length };
    }
    expect(b.trace).toEqual(since(a, mark));
    expect(a.trace.some((e) => e.type === 'vm/went-live' && e.t > at)).toBe(true);
    expect(b.checkpoints.filter((c) => c.at > at)).toEqual(a.checkpoints.filter((c) => c.at > at));

    // From inside the failover too.
    expect(detecting).not.toBeNull();
    const c = new SimSession(failover);
    c.restore(detecting!.bytes);
    c.runTo(1500);
    expect(look(c)).toBe(look(a));
    expect(c.trace).toEqual(since(a, detecting!.mark));
  });

  it('a doctored or truncated snapshot is refused with a clear error, and the session is untouched', () => {
    const a = new SimSession(failover);
    a.runTo(450);
    const snap = a.snapshot();
    const b = new SimSession(failover);
    b.runTo(123);
    const before = look(b);
    const traceBefore = b.trace.length;
    for (const i of [0, 4, 9, 20, Math.floor(snap.length / 2), snap.length - 5, snap.length - 1]) {
      const bad = snap.slice();
      bad[i]! ^= 0x10;
      expect(() => b.restore(bad), `byte ${i} flipped`).toThrow(SnapshotError);
      expect(() => b.restore(bad)).toThrow(/damaged|truncated|not a Lockstep snapshot|format/);
    }
    for (const n of [0, 3, 17, snap.length - 1, Math.floor(snap.length / 3)]) {
      expect(() => b.restore(snap.slice(0, n)), `cut to ${n} bytes`).toThrow(/truncated|damaged|not a Lockstep snapshot/);
    }
    // Of another scenario, and of another run of this one (different actions before it).
    const other = new SimSession({ scenario: validateScenario({ program: 'kv-server', seed: 99, durationMs: 1000 }) });
    other.runTo(50);
    expect(() => b.restore(other.snapshot())).toThrow(/another scenario/);
    const forked = new SimSession(failover, [{ kind: 'request', client: 7, text: 'GET a', at: 10 }]);
    forked.runTo(20);
    expect(() => b.restore(forked.snapshot())).toThrow(/another run/);
    expect(look(b)).toBe(before);
    expect(b.trace.length).toBe(traceBefore);
    // And the good one still restores.
    b.restore(snap);
    expect(look(b)).toBe(look(a));
  });

  it('rewindTo + runTo reaches the same state as a straight run, and a fork after a rewind is a run of its own', () => {
    const spec: SessionSpec = { scenario: validateScenario({ program: 'kv-server', seed: 5, durationMs: 20_000 }) };
    const actions: TimedAction[] = [
      { kind: 'workload', count: 3, perSecond: 50, at: 1 },
      { kind: 'kill-primary', at: 2_345 },
      { kind: 'restart-backup', at: 3_000 },
      { kind: 'request', client: 1, text: 'PUT k9 7', at: 3_500.25 },
    ];
    const s = new SimSession(spec, actions, { snapshotEveryMs: 400 });
    s.runTo(6_000);
    expect(s.snapshotStats.count).toBeGreaterThan(10);
    let jumped = false;
    for (const t of [5_432.1, 2_345, 3_000.5, 17.3, 0.5, 4_000]) {
      const was = s.now;
      const from = s.rewindTo(t);
      // Back: to the kept snapshot at or before t; forward: nothing to undo, runTo goes on.
      if (t < was) expect(t - from).toBeLessThan(400);
      else expect(from).toBeGreaterThanOrEqual(was);
      expect(from).toBeLessThanOrEqual(t);
      s.runTo(t);
      const straight = new SimSession(spec, actions);
      straight.runTo(t);
      expect(look(s), `at ${t} ms`).toBe(look(straight));
      expect(s.checkpoints).toEqual(straight.checkpoints);
      // The trace holds every event up to now, a jump forward to a later snapshot too: it takes
      // the events the run had past the rewind (the feed, the channel's totals and the
      // test-and-set word are drawn from them: a seek back and forth left them empty).
      if (from > was) jumped = true;
      expect(s.trace, `the trace at ${t} ms`).toEqual(straight.trace);
    }
    expect(jumped, 'the walk includes a jump forward to a later snapshot').toBe(true);
    // Fork: rewind, act; snapshots of the discarded future are gone, and the run is that of the new actions.
    s.rewindTo(2_000);
    s.runTo(2_000);
    const { discarded } = s.act({ kind: 'kill-backup' });
    expect(discarded).toBe(3);
    s.runTo(4_500);
    const again = s.rewindTo(4_100);
    expect(again).toBeLessThanOrEqual(4_100);
    s.runTo(4_500);
    const straight = new SimSession(spec, s.actions);
    straight.runTo(4_500);
    expect(look(s)).toBe(look(straight));
    // (the events the discarded future had are not taken for the new one's)
    expect(s.trace).toEqual(straight.trace);
  });

  it('a bounded trace stays bounded through rewinds and jumps, and is always the newest events up to now', () => {
    const spec: SessionSpec = { scenario: validateScenario({ program: 'kv-server', seed: 9, durationMs: 20_000 }) };
    const actions: TimedAction[] = [{ kind: 'workload', count: 2, perSecond: 40, at: 1 }];
    const s = new SimSession(spec, actions, { snapshotEveryMs: 300 });
    s.maxTrace = 2_000;
    const straight = new SimSession(spec, actions, { recordTrace: true });
    straight.runTo(4_000);
    const all = straight.world.trace;
    s.runTo(4_000);
    for (const t of [1_000, 3_700, 200, 3_999, 2_500.5]) {
      s.rewindTo(t);
      s.runTo(t);
      const upTo = all.filter((_, i) => i < s.world.emitted);
      expect(s.trace.length, `at ${t} ms`).toBeLessThanOrEqual(2_500);
      expect(s.trace.length, `at ${t} ms`).toBeGreaterThan(0);
      expect(s.trace, `at ${t} ms`).toEqual(upTo.slice(upTo.length - s.trace.length));
    }
  });

  it('keeps its snapshots bounded: the interval doubles and every other one goes', () => {
    const spec: SessionSpec = { scenario: validateScenario({ program: 'kv-server', seed: 3, durationMs: 60_000 }) };
    const s = new SimSession(spec, [{ kind: 'workload', count: 1, perSecond: 20, at: 1 }], { snapshotEveryMs: 2 });
    s.runTo(5_000);
    const st = s.snapshotStats;
    expect(st.count).toBeLessThanOrEqual(2_048);
    expect(st.everyMs).toBeGreaterThan(2);
    expect(st.bytes).toBeGreaterThan(0);
  });
});
