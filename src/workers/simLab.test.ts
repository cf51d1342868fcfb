// The simulator runtime without a page: seeking, forks and the replay check against a recording.
import { afterEach, describe, expect, it } from 'vitest';
import { SimSession } from '../engine/session/simSession';
import { validateScenario } from '../engine/sim/scenario';
import { SimLab, type SimLabEvent } from './simLab';

const spec = { scenario: validateScenario({ program: 'kv-server', seed: 3, durationMs: 100_000 }) };

/** A finished session to play back: load at 5 ms, kill the primary at 80 ms, end at 200 ms. */
function recorded(): SimSession {
  const s = new SimSession(spec);
  s.runTo(5);
  s.act({ kind: 'workload', count: 2, perSecond: 100 });
  s.runTo(80);
  s.act({ kind: 'kill-primary' });
  s.runTo(200);
  return s;
}

describe('SimLab', () => {
  let lab: SimLab | null = null;
  afterEach(() => lab?.dispose());

  it('plays a recording back: seeking either way lands on the recorded state, and the replay matches its checkpoints', async () => {
    const rec = recorded();
    lab = new SimLab({ spec, actions: rec.actions, endMs: 200, paused: true, checkpoints: rec.checkpoints });
    const at = (t: number) => rec.checkpoints.find((c) => c.at === t)!.vms;
    await lab.seek(150);
    expect(lab.session.stateHashes()).toEqual(at(150));
    await lab.seek(40); // backwards: a replay from the start
    expect(lab.virtualNow).toBe(40);
    expect(lab.session.stateHashes()).toEqual(at(40));
    await lab.seek(200);
    expect(lab.verification.mismatch).toBeNull();
    expect(lab.verification.checked).toBe(lab.verification.expected);
  });

  it('reports a replay that does not match the recording (the check fails on a doctored file)', async () => {
    const rec = recorded();
    const doctored = rec.checkpoints.map((c) => (c.at === 120 ? { ...c, vms: c.vms.map((v) => ({ ...v, hash: '0000000000000000' })) } : c));
    lab = new SimLab({ spec, actions: rec.actions, endMs: 200, paused: true, checkpoints: doctored });
    await lab.seek(200);
    expect(lab.verification.mismatch).toMatch(/at 120 ms VM \w differs/);
  });

  it('acting in the past forks: the recorded future is dropped, with a notice', async () => {
    const rec = recorded();
    lab = new SimLab({ spec, actions: rec.actions, endMs: 200, paused: true });
    const events: SimLabEvent[] = [];
    lab.onEvent((e) => events.push(e));
    await lab.seek(50);
    lab.kill('backup');
    expect(lab.session.actions.map((a) => a.kind)).toEqual(['workload', 'kill-backup']);
    expect(lab.endMs).toBeNull();
    expect(events.some((e) => e.kind === 'notice' && /Forked at 50\.00 ms: you killed the backup\. The recording's 1 later action was discarded/.test(e.text))).toBe(true);
  });
});
