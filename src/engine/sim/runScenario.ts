// Run one scenario on the simulator and judge it: the result the CLI prints and tests assert on.

import { checkKvClients, checkLeaseClients, TraceMonitor, type InvariantViolation, type LinearizabilityVerdict } from './checkers/ftCheckers';
import type { Scenario } from './scenario';
import { World, type WorldOptions } from './world';

import { LEASE_VALID_MS } from './checkers/verdicts';

export { LEASE_VALID_MS };

export interface SimResult {
  readonly scenario: string;
  readonly program: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly checkers: {
    readonly outputRequirement: LinearizabilityVerdict & { readonly invariants: readonly InvariantViolation[] };
    readonly splitBrain: { readonly ok: boolean; readonly message: string };
    readonly replay: { readonly ok: boolean; readonly divergences: readonly { t: number; vm: string; icount: number; detail: string }[] };
  };
  readonly failover: {
    readonly wentLive: string | null;
    readonly atMs: number | null;
    /** Virtual ms from the (last) fault to the new primary's first output. */
    readonly faultToFirstOutputMs: number | null;
    /** Virtual ms from the (last) fault to go-live (failure detection + test-and-set + draining the log). */
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
  readonly ok: boolean;
}

export function runScenario(scenario: Scenario, opts: WorldOptions = {}): { world: World; result: SimResult } {
  const world = new World(scenario, opts);
  const monitor = new TraceMonitor({
    outputRule: world.config.outputRule,
    packetTimingLogged: !world.config.unlogged.includes('packet-timing'),
  });
  world.onTrace(monitor.listener);
  let lastFaultAt: number | null = null;
  world.onTrace((ev) => {
    if (ev.type === 'fault' && ev.kind !== 'heal') lastFaultAt = ev.t;
  });
  world.run();

  const ops = world.clients.flatMap((c) => c.history);
  let verdict: LinearizabilityVerdict;
  if (scenario.program === 'kv-server') verdict = checkKvClients(ops);
  else if (scenario.program === 'lease-server') verdict = checkLeaseClients(ops, LEASE_VALID_MS);
  else verdict = { ok: true, message: 'no client protocol to check', culprits: [] };
  const invariants = monitor.violations.filter((v) => v.invariant !== 'split-brain');
  const split = monitor.violations.find((v) => v.invariant === 'split-brain');

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
  const fault = lastFaultAt as number | null;
  const result: SimResult = {
    scenario: scenario.name,
    program: scenario.program,
    seed: scenario.seed,
    durationMs: scenario.durationMs,
    checkers: {
      outputRequirement: { ...verdict, ok: verdict.ok === true && invariants.length === 0 ? true : verdict.ok === 'unknown' && invariants.length === 0 ? 'unknown' : false, invariants },
      splitBrain: { ok: !split, message: split ? split.message : 'no split brain: at most one VM released outputs as primary at any time' },
      replay: { ok: monitor.divergences.length === 0, divergences: monitor.divergences },
    },
    failover: {
      wentLive: wl?.vm ?? null,
      atMs: wl?.t ?? null,
      faultToFirstOutputMs: wl && fault !== null && monitor.firstOutputAfterLive !== null ? monitor.firstOutputAfterLive - fault : null,
      faultToLiveMs: wl && fault !== null ? wl.t - fault : null,
    },
    vms: [...world.vms.values()].map((v) => ({ id: v.id, role: v.role, icount: v.machine.icount, haltReason: v.haltReason })),
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
    ok: false,
  };
  const ok = result.checkers.outputRequirement.ok !== false && result.checkers.splitBrain.ok && result.checkers.replay.ok;
  return { world, result: { ...result, ok } };
}
