// Run one scenario on the simulator and judge it: the result the CLI prints and tests assert on.
// A run is a session (session/simSession.ts): the scenario, plus learner actions taken at their
// virtual times through the same applyAction the page uses.

import type { TimedAction } from '../session/actions';
import { SimSession } from '../session/simSession';
import type { InvariantViolation } from './checkers/ftCheckers';
import { failedVerdicts, judge, LEASE_VALID_MS, type LabVerdicts } from './checkers/verdicts';
import type { Scenario } from './scenario';
import type { World } from './world';

export { LEASE_VALID_MS };

export interface RunOptions {
  /** Keep every trace event in `world.trace` (tests, the CLI). */
  readonly recordTrace?: boolean;
  /** Learner actions, each at its virtual time (the fuzzer's; a scenario's own faults apply too). */
  readonly actions?: readonly TimedAction[];
  /** Assembly source run instead of the scenario's shipped program. */
  readonly source?: string;
}

/** 'pass': every check passed or had nothing to check; 'unknown': one could not decide (never a pass). */
export type RunVerdict = 'pass' | 'fail' | 'unknown';

export interface SimResult {
  readonly scenario: string;
  readonly program: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly checkers: LabVerdicts & {
    readonly invariants: readonly InvariantViolation[];
    readonly divergences: readonly { t: number; vm: string; icount: number; detail: string }[];
  };
  readonly failover: {
    readonly wentLive: string | null;
    readonly atMs: number | null;
    /** Virtual ms from the fault that caused the (last) go-live to the new primary's first output. */
    readonly faultToFirstOutputMs: number | null;
    /** Virtual ms from that fault to go-live (failure detection + test-and-set + draining the log). */
    readonly faultToLiveMs: number | null;
  };
  readonly vms: readonly { id: string; role: string; icount: number; haltReason: string }[];
  readonly stats: {
    readonly instructions: number;
    readonly entries: number;
    readonly logBytes: number;
    readonly outputs: number;
    readonly outputDelayMsMean: number;
    readonly outputDelayMsMax: number;
    readonly clientOps: number;
    readonly clientOk: number;
    readonly clientInfo: number;
  };
  readonly verdict: RunVerdict;
  /** The failed or undecided checks, by name: what a person reads first. */
  readonly failures: readonly { label: string; status: string; message: string }[];
  /** verdict === 'pass'. */
  readonly ok: boolean;
}

export function runScenario(scenario: Scenario, opts: RunOptions = {}): { world: World; result: SimResult; session: SimSession } {
  const actions = [...scenario.actions, ...(opts.actions ?? [])];
  const session = new SimSession({ scenario, ...(opts.source ? { source: opts.source } : {}) }, actions, {
    checkpoints: false,
    keepTrace: false,
    ...(opts.recordTrace ? { recordTrace: true } : {}),
  });
  session.runTo(scenario.durationMs);
  const world = session.world;
  const monitor = session.monitor;
  const ops = world.clients.flatMap((c) => c.history);
  const v = judge({
    program: opts.source ? 'custom' : scenario.program,
    monitor,
    ops,
    blockDigest: (b) => world.storage.blockDigest(b),
    now: world.now,
  });

  let instructions = 0;
  let entries = 0;
  let logBytes = 0;
  let outputs = 0;
  let delayTotal = 0;
  let delayMax = 0;
  for (const vm of world.vms.values()) {
    instructions += vm.role === 'backup' ? 0 : vm.machine.icount;
    entries += vm.stats.entries;
    logBytes += vm.stats.logBytes;
    outputs += vm.stats.outputs;
    delayTotal += vm.stats.outputDelayMsTotal;
    delayMax = Math.max(delayMax, vm.stats.outputDelayMsMax);
  }
  const wl = monitor.wentLive;
  const fault = monitor.faultBeforeLive;
  const failures = failedVerdicts(v);
  const verdict: RunVerdict = failures.some((f) => f.status === 'fail') ? 'fail' : failures.length > 0 ? 'unknown' : 'pass';
  const result: SimResult = {
    scenario: scenario.name,
    program: scenario.program,
    seed: scenario.seed,
    durationMs: scenario.durationMs,
    checkers: { ...v, invariants: monitor.violations, divergences: monitor.divergences },
    failover: {
      wentLive: wl?.vm ?? null,
      atMs: wl?.t ?? null,
      faultToFirstOutputMs: wl && fault !== null && monitor.firstOutputAfterLive !== null ? monitor.firstOutputAfterLive - fault : null,
      faultToLiveMs: wl && fault !== null ? wl.t - fault : null,
    },
    vms: [...world.vms.values()].map((vm) => ({ id: vm.id, role: vm.role, icount: vm.machine.icount, haltReason: vm.haltReason })),
    stats: {
      instructions,
      entries,
      logBytes,
      outputs,
      outputDelayMsMean: outputs > 0 ? delayTotal / outputs : 0,
      outputDelayMsMax: delayMax,
      clientOps: ops.length,
      clientOk: ops.filter((o) => o.status === 'ok').length,
      clientInfo: ops.filter((o) => o.status === 'info').length,
    },
    verdict,
    failures,
    ok: verdict === 'pass',
  };
  return { world, result, session };
}
