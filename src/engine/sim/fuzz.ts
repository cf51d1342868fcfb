// The fuzzer: every action a learner can take, at random instants, over kv-server, lease-server
// and the ticker (which reads the clock and the random device). Each run comes from its seed
// alone: a scenario (program, settings, network, clients) and a list of timed learner actions,
// carried out through the same applyAction the page uses (session/actions.ts). Swarm testing:
// each run draws a subset of action kinds, so rare combinations get room. Actions come in bursts
// at the worst instants: right after a restart (the snapshot in flight), right after a fault
// (held outputs), when the backup wins test-and-set (draining). The last part of every run is
// quiet — everything healed, resumed and restored — so liveness can be judged. A failing run
// shrinks to the fewest actions that still fail the same check.

import type { NondetSource } from '../ft/hypervisor';
import type { LabAction, TimedAction } from '../session/actions';
import { clientProtocol, fuzzProgram, PROGRAMS, workloadProgram } from '../programs/catalog';
import { Rng } from '../util/rng';
import { DEFAULT_LINKS } from './network';
import { runScenario, type SimResult } from './runScenario';
import { validateScenario, type Scenario } from './scenario';

export interface FuzzOptions {
  readonly outputRule?: boolean;
  readonly testAndSet?: boolean;
  readonly unlogged?: readonly NondetSource[];
  /** Only these action kinds (default: all, a random subset per run). */
  readonly kinds?: readonly ActionKind[];
}

/** Every kind of action a learner can take, in either runtime. */
export const ACTION_KINDS = [
  'kill-primary',
  'kill-backup',
  'kill',
  'power-off-primary',
  'restart-backup',
  'pause',
  'resume',
  'cut-channel',
  'heal',
  'partition-storage',
  'partition-clients',
  'slow-channel',
  'slow-backup',
  'request',
  'workload',
  'set-link',
  'drop-message',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** The checks a run is judged by, as the summary counts them. */
export const CHECKS = ['outputRequirement', 'splitBrain', 'replay', 'durability', 'powerOff', 'clock', 'replies', 'liveness'] as const;
export type CheckName = (typeof CHECKS)[number];

export interface FuzzCase {
  readonly scenario: Scenario;
  readonly actions: readonly TimedAction[];
}

export interface FuzzRun {
  readonly seed: number;
  readonly result: SimResult;
  readonly actions: readonly TimedAction[];
}

export interface FuzzSummary {
  readonly runs: number;
  /** Runs with a failed check. */
  readonly violations: number;
  /** Runs with no failed check but one that could not decide (counted apart: never a pass). */
  readonly unknown: number;
  readonly failed: Readonly<Record<CheckName, number>>;
  readonly notChecked: Readonly<Record<CheckName, number>>;
  readonly actions: number;
  readonly first_failing_seed: number | null;
  readonly first_failure: string | null;
  /** The seeds of failing runs (the first 50), to replay each. */
  readonly failing_seeds: readonly number[];
  readonly failover_virtual_ms: readonly number[];
  readonly instructions: number;
  readonly virtual_ms: number;
}


function randomAction(rng: Rng, kind: ActionKind, program: string): LabAction {
  // By role (the toolbar) or by id (the stage's menu on one VM: a stale primary is not 'primary').
  const vm = (): 'primary' | 'backup' | 'A' | 'B' | 'C' => rng.pick(['primary', 'backup', 'A', 'B', 'C'] as const);
  switch (kind) {
    case 'cut-channel':
      return { kind, direction: rng.pick(['both', 'to-backup', 'to-primary'] as const) };
    case 'partition-storage':
    case 'partition-clients':
    case 'resume':
    case 'kill':
      return { kind, vm: vm() };
    case 'power-off-primary':
      return rng.chance(0.5) ? { kind, vm: vm() } : { kind };
    case 'pause':
      return rng.chance(0.5) ? { kind, vm: vm(), forMs: rng.int(5, 400) } : { kind, vm: vm() };
    case 'slow-channel':
      return { kind, latencyMs: rng.pick([0.5, 2, 8, 20]), bandwidthMbps: rng.pick([0.2, 1, 10, 1000]) };
    case 'slow-backup':
      return { kind, speed: rng.pick([0.1, 0.3, 0.5, 0.8]) };
    case 'request':
      return { kind, client: rng.int(50, 52), text: PROGRAMS[workloadProgram(program)].client.fuzzRequest(rng) };
    case 'drop-message':
      // "?n": the message n-th (mod how many) on the wire when the action is taken (see Network.drop).
      return { kind, id: `?${rng.int(0, 1_000_000)}` };
    case 'workload':
      return { kind, count: rng.int(0, 8), perSecond: rng.pick([5, 20, 50, 200]) };
    case 'set-link': {
      // The stage's sliders: any link slower, the clients' network lossy too.
      const link = rng.pick(['channel', 'storage', 'clients'] as const);
      const latencyMs = rng.pick([0, 0.2, 1, 5, 20]);
      if (link === 'clients') return { kind, link, latencyMs, loss: rng.pick([0, 0.1, 0.3]) };
      // The channel's bandwidth slider: a slow one leaves entries in the primary's send queue when it dies.
      return link === 'channel' ? { kind, link, latencyMs, bandwidthMbps: rng.pick([0.1, 1, 100, 10_000]) } : { kind, link, latencyMs };
    }
    default:
      return { kind };
  }
}

/** One run's scenario and actions, from its seed alone. */
export function fuzzCase(seed: number, opts: FuzzOptions = {}): FuzzCase {
  const rng = new Rng(seed);
  const r = rng.next();
  const program = fuzzProgram(r);
  const failureTimeoutMs = rng.pick([30, 60]);
  const channel = { latencyMs: rng.pick([0.045, 0.5, 2]), bandwidthMbps: rng.pick([0.5, 10, 10000]) };
  const timeoutMs = rng.pick([100, 200]);
  // Faults in the first part; the rest is quiet, long enough for liveness to be judged.
  const faultEnd = rng.int(300, 1800);
  const durationMs = faultEnd + 5 * failureTimeoutMs + 100 + timeoutMs + 500;
  const scenario = validateScenario(
    {
      name: `fuzz-${seed}`,
      program,
      seed,
      durationMs,
      ft: {
        outputRule: opts.outputRule ?? true,
        testAndSet: opts.testAndSet ?? true,
        unlogged: [...(opts.unlogged ?? [])],
        failureTimeoutMs,
        ...(rng.chance(0.2) ? { primaryLogCapacity: rng.pick([2, 8, 64]), backupLogCapacity: rng.pick([2, 8, 64]) } : {}),
      },
      network: { channel },
      clients: !clientProtocol(program) ? { count: 0 } : { count: rng.int(1, 4), keys: rng.int(1, 3), thinkMs: rng.int(3, 30), timeoutMs },
    },
    `fuzz seed ${seed}`,
  );
  // Swarm testing: this run's kinds.
  const all = (opts.kinds ?? ACTION_KINDS).filter((k) => clientProtocol(program) !== null || (k !== 'request' && k !== 'workload' && k !== 'partition-clients'));
  let kinds = all.filter(() => rng.chance(0.5));
  if (kinds.length === 0 && all.length > 0) kinds = [rng.pick(all)];
  const actions: TimedAction[] = [];
  const n = kinds.length === 0 ? 0 : rng.int(0, 12);
  let t = rng.int(20, 200);
  for (let i = 0; i < n && t < faultEnd; i++) {
    const kind = rng.pick(kinds);
    actions.push({ ...randomAction(rng, kind, program), at: t } as TimedAction);
    // Next: a burst at a bad instant, or a while later.
    const g = rng.next();
    if (g < 0.25) t += rng.next() * 2; // on top of this one: snapshot in flight, outputs held
    else if (g < 0.45) t += failureTimeoutMs + rng.next() * 10; // detection, test-and-set, draining
    else t += rng.int(5, Math.max(6, Math.floor(faultEnd / 3)));
  }
  // Quiet from here: heal, resume, restore the links and the backup's speed.
  const end = Math.max(faultEnd, t);
  actions.push(
    { at: end, kind: 'heal' },
    { at: end, kind: 'resume', vm: 'primary' },
    { at: end, kind: 'resume', vm: 'backup' },
    { at: end, kind: 'slow-channel', latencyMs: channel.latencyMs, bandwidthMbps: channel.bandwidthMbps },
    { at: end, kind: 'slow-backup', speed: 1 },
    { at: end, kind: 'set-link', link: 'storage', latencyMs: DEFAULT_LINKS.storage.latencyMs, bandwidthMbps: DEFAULT_LINKS.storage.bandwidthMbps },
    { at: end, kind: 'set-link', link: 'clients', latencyMs: DEFAULT_LINKS.clients.latencyMs, loss: 0, bandwidthMbps: DEFAULT_LINKS.clients.bandwidthMbps },
  );
  const quiet = end - faultEnd;
  return { scenario: quiet > 0 ? { ...scenario, durationMs: scenario.durationMs + quiet } : scenario, actions };
}

/** Run one fuzz case (or a given list of actions for its scenario). */
export function fuzzRun(seed: number, opts: FuzzOptions = {}, actions?: readonly TimedAction[]): FuzzRun {
  const c = fuzzCase(seed, opts);
  const list = actions ?? c.actions;
  const { result } = runScenario(c.scenario, { actions: list });
  return { seed, result, actions: list };
}

/** The checks a result failed (or could not decide). */
export function failedChecks(r: SimResult): CheckName[] {
  return CHECKS.filter((k) => r.checkers[k].status === 'fail' || r.checkers[k].status === 'unknown');
}

/**
 * Shrink a failing run: drop chunks of actions (halves, then quarters, … then single ones) while
 * the same check still fails, until no single action can go (or `maxRuns` replays are spent).
 * Returns the smallest list found and its result.
 */
export function shrink(seed: number, opts: FuzzOptions = {}, maxRuns = 150): FuzzRun {
  let best = fuzzRun(seed, opts);
  const target = failedChecks(best.result)[0];
  if (!target) return best;
  let runs = 0;
  for (let size = Math.max(1, Math.floor(best.actions.length / 2)); runs < maxRuns; ) {
    let changed = false;
    for (let i = best.actions.length - size; i >= 0 && runs < maxRuns; i -= size) {
      const fewer = best.actions.filter((_, j) => j < i || j >= i + size);
      const r = fuzzRun(seed, opts, fewer);
      runs++;
      if (failedChecks(r.result).includes(target)) {
        best = r;
        changed = true;
      }
    }
    if (!changed && size === 1) break;
    if (!changed || size > best.actions.length) size = Math.max(1, Math.floor(size / 2));
  }
  return best;
}

function describeFailure(r: SimResult): string {
  const f = r.failures[0];
  return f ? `${f.label}: ${f.message}` : 'failed';
}

const zero = (): Record<CheckName, number> => Object.fromEntries(CHECKS.map((k) => [k, 0])) as Record<CheckName, number>;

/** Run seeds `(seed, from)` … `(seed, to - 1)`. */
export function runFuzzRange(seed: number, from: number, to: number, opts: FuzzOptions = {}, onRun?: (r: FuzzRun) => void): FuzzSummary {
  const failed = zero();
  const notChecked = zero();
  let violations = 0;
  let unknown = 0;
  let nActions = 0;
  let firstSeed: number | null = null;
  let firstFailure: string | null = null;
  let instructions = 0;
  let virtualMs = 0;
  const failover: number[] = [];
  const failing: number[] = [];
  for (let i = from; i < to; i++) {
    const runSeed = fuzzSeed(seed, i);
    const run = fuzzRun(runSeed, opts);
    const { result } = run;
    onRun?.(run);
    nActions += run.actions.length;
    instructions += result.stats.instructions;
    virtualMs += result.durationMs;
    for (const k of CHECKS) {
      const st = result.checkers[k].status;
      if (st === 'fail') failed[k]++;
      else if (st === 'not-checked') notChecked[k]++;
    }
    if (result.verdict === 'fail') violations++;
    else if (result.verdict === 'unknown') unknown++;
    if (result.verdict !== 'pass') {
      if (failing.length < 50) failing.push(runSeed);
      if (firstSeed === null) {
        firstSeed = runSeed;
        firstFailure = describeFailure(result);
      }
    }
    if (result.failover.faultToFirstOutputMs !== null) failover.push(result.failover.faultToFirstOutputMs);
  }
  return {
    runs: to - from,
    violations,
    unknown,
    failed,
    notChecked,
    actions: nActions,
    first_failing_seed: firstSeed,
    first_failure: firstFailure,
    failing_seeds: failing,
    failover_virtual_ms: failover,
    instructions,
    virtual_ms: virtualMs,
  };
}

export function runFuzz(runs: number, seed: number, opts: FuzzOptions = {}, onRun?: (r: FuzzRun) => void): FuzzSummary {
  return runFuzzRange(seed, 0, runs, opts, onRun);
}

/** The seed of run `i` of a fuzz started with `seed`. */
export function fuzzSeed(seed: number, i: number): number {
  return (seed * 1_000_003 + i) >>> 0;
}

/** Add up summaries of disjoint ranges (workers), keeping the first failure by run order. */
export function mergeSummaries(parts: readonly FuzzSummary[]): FuzzSummary {
  const failed = zero();
  const notChecked = zero();
  for (const p of parts) for (const k of CHECKS) {
    failed[k] += p.failed[k];
    notChecked[k] += p.notChecked[k];
  }
  const first = parts.find((p) => p.first_failing_seed !== null);
  return {
    runs: parts.reduce((a, p) => a + p.runs, 0),
    violations: parts.reduce((a, p) => a + p.violations, 0),
    unknown: parts.reduce((a, p) => a + p.unknown, 0),
    failed,
    notChecked,
    actions: parts.reduce((a, p) => a + p.actions, 0),
    first_failing_seed: first?.first_failing_seed ?? null,
    first_failure: first?.first_failure ?? null,
    failing_seeds: parts.flatMap((p) => p.failing_seeds).slice(0, 50),
    failover_virtual_ms: parts.flatMap((p) => p.failover_virtual_ms),
    instructions: parts.reduce((a, p) => a + p.instructions, 0),
    virtual_ms: parts.reduce((a, p) => a + p.virtual_ms, 0),
  };
}
