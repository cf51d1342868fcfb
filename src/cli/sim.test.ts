// The CLI's recording check: a recording replays to the same state hashes (exit 0); a tampered
// one does not (exit 1); a malformed file is refused with a message (exit 2).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecording, recordSession } from '../engine/session/recording';
import { SimSession } from '../engine/session/simSession';
import { validateScenario } from '../engine/sim/scenario';

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/sim.ts', ...args], { encoding: 'utf8' });
}

describe('sim --recording', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-cli-'));
  const s = new SimSession({ scenario: validateScenario({ program: 'kv-server', durationMs: 10_000 }) });
  s.runTo(2);
  s.act({ kind: 'workload', count: 2, perSecond: 100 });
  s.runTo(60);
  s.act({ kind: 'kill-primary' });
  s.runTo(200);
  const rec = recordSession(s, 'cli test');

  it('replays a recording and finds every checkpoint matched', () => {
    const file = join(dir, 'good.lockstep');
    writeFileSync(file, encodeRecording(rec));
    const r = cli('--recording', file, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/the same run: all \d+ checkpoints matched/);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).mismatch).toBeNull();
  });

  it('reports a recording whose actions were tampered with', () => {
    const file = join(dir, 'tampered.lockstep');
    writeFileSync(file, encodeRecording({ ...rec, actions: rec.actions.filter((a) => a.kind !== 'kill-primary') }));
    const r = cli('--recording', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL replay: at [\d.]+ ms VM \w differs/);
  });

  it('refuses a malformed file with a message', () => {
    const file = join(dir, 'bad.lockstep');
    writeFileSync(file, 'not a recording');
    const r = cli('--recording', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sim: .*bad\.lockstep/);
  });
});

describe('sim exit status: a gate for scripts', () => {
  it('exits 1 when a check fails (the Output Rule off), 0 when every check passes', () => {
    const bad = cli('--scenario', 'scenarios/output-rule-off.json');
    expect(bad.status, bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/FAIL Output Requirement/);
    expect(bad.stdout).toMatch(/verdict: FAIL/);
    const good = cli('--scenario', 'scenarios/failover.json');
    expect(good.status, good.stdout).toBe(0);
  });
  it('exits 1 on a failing fuzz run (and shrinks it), 0 on a passing one, 2 on bad usage', () => {
    const bad = cli('--replay', '7000023', '--output-rule', 'off');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/shrunk to \d+ action\(s\) that still fail Output Requirement/);
    expect(cli('--replay', '7000023').status).toBe(0);
    expect(cli('--fuzz', 'x').status).toBe(2);
  }, 240_000);
});
