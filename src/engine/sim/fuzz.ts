// The fuzzer: random workloads and fault schedules over kv-server and lease-server. Each run's
// scenario comes from (seed, run index) alone, so any failing run can be replayed by its seed.

import type { NondetSource } from '../ft/hypervisor';
import { Rng } from './rng';
import { runScenario, type SimResult } from './runScenario';
import { validateScenario, type Scenario, type ScenarioInput } from './scenario';

export interface FuzzOptions {
  readonly outputRule?: boolean;
  readonly testAndSet?: boolean;
  readonly unlogged?: readonly NondetSource[];
  /** Virtual ms per run. */
  readonly durationMs?: number;
}

export interface FuzzSummary {
  readonly runs: number;
  readonly violations: number;
  readonly output_requirement: number;
  readonly split_brain: number;
  readonly divergences: number;
  readonly first_failing_seed: number | null;
  readonly first_failure: string | null;
  readonly failover_virtual_ms: readonly number[];
  readonly instructions: number;
}

const FAULTS = ['kill-primary', 'kill-primary', 'kill-backup', 'power-off-primary', 'cut-channel', 'partition-storage', 'pause', 'slow-channel'] as const;

/** The scenario of one fuzz run, derived from its seed. */
export function fuzzScenario(seed: number, opts: FuzzOptions = {}): Scenario {
  const rng = new Rng(seed);
  const program = rng.chance(0.7) ? 'kv-server' : 'lease-server';
  const durationMs = opts.durationMs ?? 500;
  const faults: NonNullable<ScenarioInput['faults']> = [];
  const nFaults = rng.int(0, 2);
  for (let i = 0; i < nFaults; i++) {
    const kind = rng.pick(FAULTS);
    const at = rng.int(60, Math.floor(durationMs * 0.6));
    switch (kind) {
      case 'cut-channel':
        faults.push({ at, kind, direction: rng.pick(['both', 'to-backup', 'to-primary'] as const) });
        if (rng.chance(0.5)) faults.push({ at: at + rng.int(5, 150), kind: 'heal' });
        break;
      case 'partition-storage':
        faults.push({ at, kind, vm: rng.pick(['primary', 'backup'] as const) });
        faults.push({ at: at + rng.int(20, 200), kind: 'heal' });
        break;
      case 'pause':
        faults.push({ at, kind, vm: rng.pick(['primary', 'backup'] as const), forMs: rng.int(10, 200) });
        break;
      case 'slow-channel':
        faults.push({ at, kind, latencyMs: rng.int(1, 20), bandwidthMbps: rng.pick([0.2, 1, 10, 1000]) });
        break;
      default:
        faults.push({ at, kind });
    }
  }
  faults.sort((a, b) => a.at - b.at);
  return validateScenario(
    {
      name: `fuzz-${seed}`,
      program,
      seed,
      durationMs,
      ft: {
        outputRule: opts.outputRule ?? true,
        testAndSet: opts.testAndSet ?? true,
        unlogged: [...(opts.unlogged ?? [])],
        failureTimeoutMs: rng.pick([30, 60]),
      },
      network: { channel: { latencyMs: rng.pick([0.1, 0.5, 2]), bandwidthMbps: rng.pick([0.5, 10, 1000]) } },
      clients: { count: rng.int(2, 4), keys: rng.int(1, 3), thinkMs: rng.int(3, 20), timeoutMs: 100 },
      faults,
    },
    `fuzz seed ${seed}`,
  );
}

export function runFuzz(runs: number, seed: number, opts: FuzzOptions = {}, onRun?: (r: SimResult) => void): FuzzSummary {
  let violations = 0;
  let orBad = 0;
  let sbBad = 0;
  let divBad = 0;
  let firstSeed: number | null = null;
  let firstFailure: string | null = null;
  let instructions = 0;
  const failover: number[] = [];
  for (let i = 0; i < runs; i++) {
    const runSeed = (seed * 1_000_003 + i) >>> 0;
    const { result } = runScenario(fuzzScenario(runSeed, opts));
    onRun?.(result);
    instructions += result.stats.instructions;
    const c = result.checkers;
    if (c.outputRequirement.ok === false) orBad++;
    if (!c.splitBrain.ok) sbBad++;
    if (!c.replay.ok) divBad++;
    if (!result.ok) {
      violations++;
      if (firstSeed === null) {
        firstSeed = runSeed;
        firstFailure = !c.splitBrain.ok ? c.splitBrain.message : c.outputRequirement.ok === false ? c.outputRequirement.message : (c.replay.divergences[0]?.detail ?? 'divergence');
      }
    }
    if (result.failover.faultToFirstOutputMs !== null) failover.push(result.failover.faultToFirstOutputMs);
  }
  return {
    runs,
    violations,
    output_requirement: orBad,
    split_brain: sbBad,
    divergences: divBad,
    first_failing_seed: firstSeed,
    first_failure: firstFailure,
    failover_virtual_ms: failover,
    instructions,
  };
}
