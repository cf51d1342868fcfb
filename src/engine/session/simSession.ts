// A session on the deterministic simulator: a scenario (program, seed, settings), the learner's
// actions in virtual time, and the World they produce. Running to any time, from scratch, with
// the same actions gives the same run bit for bit: that is what recordings, share links, seeking
// and the guided tour rest on. Pure: the runtime that paces it by the wall clock lives elsewhere.

import { TraceMonitor } from '../sim/checkers/ftCheckers';
import { cappedHistory, judge, type LabVerdicts } from '../sim/checkers/verdicts';
import type { Scenario } from '../sim/scenario';
import { World } from '../sim/world';
import type { TraceEvent } from '../ft/trace';
import { assembleProgram } from '../programs/index';
import { applyAction, type LabAction, type TimedAction } from './actions';

export interface SessionSpec {
  readonly scenario: Scenario;
  /** Assembly source run instead of the scenario's shipped program (the editor's program). */
  readonly source?: string | null;
  /** FT off: one VM, live from the start. */
  readonly noBackup?: boolean;
}

export interface SessionOptions {
  /** Cap each client's history (the checkers then judge a bounded prefix; the run is unchanged). */
  readonly maxHistoryPerClient?: number;
  /** Take checkpoints (state hashes) as it runs; default true (recordings need them). */
  readonly checkpoints?: boolean;
  /** Keep the newest trace events in `trace`; default true. */
  readonly keepTrace?: boolean;
  /** Keep every trace event in `world.trace` (tests, the CLI). */
  readonly recordTrace?: boolean;
}

/** How long after the last fault the service must answer again (liveness): detection, test-and-set retries, draining. */
export function livenessOptions(scenario: Scenario, failureTimeoutMs: number): { settleMs: number; replyWithinMs: number } {
  return { settleMs: 5 * failureTimeoutMs + 100, replyWithinMs: scenario.clients.timeoutMs };
}

/** Both VMs' state hashes at one virtual time: a recording carries these to prove its replay. */
export interface Checkpoint {
  readonly at: number;
  readonly vms: readonly { readonly id: string; readonly icount: number; readonly hash: string }[];
}

/** The first checkpoint interval (virtual ms); it doubles whenever more than MAX_CHECKPOINTS pile up. */
export const CHECKPOINT_EVERY_MS = 5;
const MAX_CHECKPOINTS = 512;

export class SimSession {
  readonly world: World;
  readonly monitor: TraceMonitor;
  readonly trace: TraceEvent[] = [];
  readonly checkpoints: Checkpoint[] = [];
  /** The checkpoint interval now (it doubles as checkpoints pile up). */
  get checkpointEveryMs(): number {
    return this._every;
  }
  private _every = CHECKPOINT_EVERY_MS;
  /** The most trace events kept (the oldest go first); the checkers see every event regardless. */
  maxTrace = 250_000;
  private readonly _actions: TimedAction[];
  private _next = 0;
  private _nextCheckpointAt = CHECKPOINT_EVERY_MS;
  private readonly _listeners = new Set<(ev: TraceEvent) => void>();

  constructor(
    readonly spec: SessionSpec,
    actions: readonly TimedAction[] = [],
    opts: SessionOptions = {},
  ) {
    let image: Uint8Array | undefined;
    if (spec.source) {
      const r = assembleProgram(spec.source);
      if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
      image = r.image;
    }
    this.world = new World(spec.scenario, {
      ...(image ? { image } : {}),
      ...(spec.noBackup ? { noBackup: true } : {}),
      ...(opts.maxHistoryPerClient !== undefined ? { maxHistoryPerClient: opts.maxHistoryPerClient } : {}),
      ...(opts.recordTrace ? { recordTrace: true } : {}),
    });
    this.monitor = new TraceMonitor({
      outputRule: this.world.config.outputRule,
      packetTimingLogged: !this.world.config.unlogged.includes('packet-timing'),
      liveness: livenessOptions(spec.scenario, this.world.config.failureTimeoutMs),
    });
    const keep = opts.keepTrace ?? true;
    if (opts.checkpoints === false) this._nextCheckpointAt = Infinity;
    this.world.onTrace((ev) => {
      this.monitor.listener(ev);
      if (keep) {
        this.trace.push(ev);
        if (this.trace.length > this.maxTrace * 1.25) this.trace.splice(0, this.trace.length - this.maxTrace);
      }
      for (const l of this._listeners) l(ev);
    });
    this._actions = [...actions].sort((a, b) => a.at - b.at);
  }

  get now(): number {
    return this.world.now;
  }

  /** Every action, including those still ahead of `now` when replaying a recording. */
  get actions(): readonly TimedAction[] {
    return this._actions;
  }

  /** How many actions lie ahead of `now`. */
  get pendingActions(): number {
    return this._actions.length - this._next;
  }

  onTrace(l: (ev: TraceEvent) => void): () => void {
    this._listeners.add(l);
    return () => this._listeners.delete(l);
  }

  /**
   * Run to virtual time `t`, carrying out actions on the way at their times (after every event
   * due by then, just as when the learner took them). `shouldStop` is polled between events to
   * keep a slice of work short; returns whether `t` was reached.
   */
  runTo(t: number, shouldStop?: () => boolean): boolean {
    const sched = this.world.sched;
    for (;;) {
      const a = this._actions[this._next];
      const nextCheckpoint = this._nextCheckpointAt;
      const stop = Math.min(t, a ? a.at : Infinity, nextCheckpoint);
      sched.runUntil(stop, shouldStop);
      // Stopped by the budget, possibly in the middle of an instant: not there yet.
      if (sched.now < stop || sched.peekTime() <= stop) return false;
      if (stop === nextCheckpoint) this._checkpoint();
      if (a && a.at === stop) {
        applyAction(this.world, a);
        this._next++;
        continue;
      }
      if (stop === t) return true;
    }
  }

  /**
   * Take an action now. Actions that lay ahead (the rest of a recording being replayed) are
   * discarded: the future forks from here. Returns whether it had an effect, and how many were dropped.
   */
  act(action: LabAction): { applied: boolean; discarded: number } {
    // A slice may have stopped in the middle of an instant; a replay applies the action after every
    // event due at its time, so finish the instant first or the two runs part here.
    this.runTo(this.now);
    const discarded = this._actions.length - this._next;
    this._actions.length = this._next;
    const timed = { ...action, at: this.now } as TimedAction;
    const applied = applyAction(this.world, timed);
    // A request the busy client refused changed nothing: leave it out, so replay matches.
    if (applied || timed.kind !== 'request') {
      this._actions.push(timed);
      this._next++;
    }
    return { applied, discarded };
  }

  stateHashes(): Checkpoint['vms'] {
    return [...this.world.vms.values()].map((vm) => ({ id: vm.id, icount: vm.machine.icount, hash: vm.machine.stateHash() }));
  }

  verdicts(): LabVerdicts {
    const w = this.world;
    return judge({
      program: this.spec.source ? 'custom' : this.spec.scenario.program,
      monitor: this.monitor,
      ops: cappedHistory(w.clients),
      blockDigest: (b) => w.storage.blockDigest(b),
      now: w.now,
    });
  }

  private _checkpoint(): void {
    this.checkpoints.push({ at: this.now, vms: this.stateHashes() });
    this._nextCheckpointAt += this.checkpointEveryMs;
    if (this.checkpoints.length > MAX_CHECKPOINTS) {
      this._every *= 2;
      this._nextCheckpointAt = (Math.floor(this.now / this.checkpointEveryMs) + 1) * this.checkpointEveryMs;
      const keep = this.checkpoints.filter((c) => c.at % this.checkpointEveryMs === 0);
      this.checkpoints.length = 0;
      this.checkpoints.push(...keep);
    }
  }
}

/** Compare a replay's checkpoints with a recording's: the first mismatch, or null when they agree. */
export function checkpointMismatch(recorded: readonly Checkpoint[], replayed: readonly Checkpoint[]): string | null {
  const byAt = new Map(replayed.map((c) => [c.at, c]));
  let compared = 0;
  for (const c of recorded) {
    const r = byAt.get(c.at);
    if (!r) continue;
    compared++;
    for (const vm of c.vms) {
      const other = r.vms.find((v) => v.id === vm.id);
      if (!other) return `at ${c.at} ms VM ${vm.id} is missing from the replay`;
      if (other.icount !== vm.icount || other.hash !== vm.hash) {
        return `at ${c.at} ms VM ${vm.id} differs: recorded icount ${vm.icount} hash ${vm.hash}, replayed icount ${other.icount} hash ${other.hash}`;
      }
    }
  }
  return compared === 0 && recorded.length > 0 ? 'no checkpoint of the recording was reached by the replay' : null;
}
