import { describe, expect, it } from 'vitest';
import { validateScenario } from '../sim/scenario';
import { checkpointMismatch, SimSession } from './simSession';

const spec = { scenario: validateScenario({ program: 'kv-server', seed: 7, durationMs: 100_000 }) };

/** A live session: run in uneven slices (as frames would), acting between them. */
function live(): SimSession {
  const s = new SimSession(spec);
  s.runTo(3.7);
  s.act({ kind: 'request', client: 1, text: 'PUT x 1' });
  s.act({ kind: 'workload', count: 2, perSecond: 100 });
  let n = 0;
  s.runTo(41.3, () => ++n % 97 === 0); // stopped early by the budget
  s.runTo(41.3);
  s.act({ kind: 'kill-primary' });
  s.runTo(120);
  s.act({ kind: 'request', client: 1, text: 'GET x' });
  s.runTo(150);
  return s;
}

describe('SimSession', () => {
  it('replaying the recorded actions from scratch gives the same run, bit for bit', () => {
    const a = live();
    const b = new SimSession(spec, a.actions);
    b.runTo(150);
    expect(a.actions.map((x) => [x.at, x.kind])).toEqual([
      [3.7, 'request'],
      [3.7, 'workload'],
      [41.3, 'kill-primary'],
      [120, 'request'],
    ]);
    expect(b.trace).toEqual(a.trace);
    expect(b.stateHashes()).toEqual(a.stateHashes());
    expect(a.checkpoints.length).toBeGreaterThan(10);
    expect(checkpointMismatch(a.checkpoints, b.checkpoints)).toBeNull();
    expect(a.trace.some((e) => e.type === 'vm/went-live')).toBe(true);
  });

  it('a budget that stops between any two events, even within one instant, changes nothing', () => {
    const a = live();
    const b = new SimSession(spec, a.actions);
    let n = 0;
    while (!b.runTo(150, () => ++n % 3 === 0));
    expect(b.checkpoints).toEqual(a.checkpoints);
    expect(b.trace).toEqual(a.trace);
  });

  it('a replay missing one action is caught by the checkpoints', () => {
    const a = live();
    const b = new SimSession(spec, a.actions.filter((x) => x.kind !== 'kill-primary'));
    b.runTo(150);
    expect(checkpointMismatch(a.checkpoints, b.checkpoints)).toMatch(/differs|missing/);
    expect(checkpointMismatch(a.checkpoints, [])).toMatch(/no checkpoint/);
  });

  it('acting while replaying forks: the recorded future is discarded', () => {
    const a = live();
    const b = new SimSession(spec, a.actions);
    b.runTo(20);
    expect(b.pendingActions).toBe(2);
    const r = b.act({ kind: 'kill-backup' });
    expect(r).toEqual({ applied: true, discarded: 2 });
    b.runTo(150);
    expect(b.actions.map((x) => x.kind)).toEqual(['request', 'workload', 'kill-backup']);
    expect(b.trace.some((e) => e.type === 'vm/went-live')).toBe(false);
  });

  it('a request the busy client refuses is not recorded', () => {
    const s = new SimSession(spec);
    s.runTo(1);
    expect(s.act({ kind: 'request', client: 1, text: 'PUT a 1' }).applied).toBe(true);
    expect(s.act({ kind: 'request', client: 1, text: 'PUT a 2' }).applied).toBe(false);
    expect(s.actions).toHaveLength(1);
  });
});

describe('SimSession: an action taken when a slice stopped mid-instant', () => {
  it('is applied after the rest of that instant, as the replay applies it, so the runs agree', () => {
    // Stop slices after every few events until one stops with more events due at the same time.
    const a = new SimSession(spec);
    a.act({ kind: 'workload', count: 3, perSecond: 200 });
    let midInstant = false;
    for (let i = 0; i < 20_000 && !midInstant; i++) {
      let n = 0;
      a.runTo(200, () => ++n > 3);
      midInstant = a.world.sched.peekTime() === a.now;
    }
    expect(midInstant).toBe(true);
    a.act({ kind: 'kill-primary' });
    a.runTo(260);
    const b = new SimSession(spec, a.actions);
    b.runTo(260);
    expect(b.stateHashes()).toEqual(a.stateHashes());
    expect(b.trace).toEqual(a.trace);
  });
});
