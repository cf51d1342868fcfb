// A session on the deterministic simulator: a scenario (program, seed, settings), the learner's
// actions in virtual time, and the World they produce. Running to any time, from scratch, with
// the same actions gives the same run bit for bit: that is what recordings, share links, seeking
// and the guided tour rest on. Pure: the runtime that paces it by the wall clock lives elsewhere.

import { TraceMonitor } from '../sim/checkers/ftCheckers';
import { livenessOptions } from '../sim/checkers/safety';
import { cappedHistory, judge, type LabVerdicts } from '../sim/checkers/verdicts';
import type { Scenario } from '../sim/scenario';
import { SnapshotError, crc32, decodeGraph, encodeGraph, seal, unseal } from '../sim/snapshotCodec';
import { World, type WorldState } from '../sim/world';
import { PageStore, packSnapshot, releaseSnapshot, shareChunks, unpackSnapshot, type PackedSnapshot } from './snapshotStore';
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
  /**
   * Keep a snapshot of the whole session this often (virtual ms) for `rewindTo`; 0 = never.
   * Default SNAPSHOT_EVERY_MS; the interval doubles whenever more than MAX_SNAPSHOTS pile up.
   */
  readonly snapshotEveryMs?: number;
}

/** Both VMs' state hashes at one virtual time: a recording carries these to prove its replay. */
export interface Checkpoint {
  readonly at: number;
  readonly vms: readonly { readonly id: string; readonly icount: number; readonly hash: string }[];
}

/** The first checkpoint interval (virtual ms); it doubles whenever more than MAX_CHECKPOINTS pile up. */
export const CHECKPOINT_EVERY_MS = 5;
const MAX_CHECKPOINTS = 512;
/** The first interval (virtual ms) between the snapshots a session keeps for rewinding. */
export const SNAPSHOT_EVERY_MS = 2_000;
/** The most snapshots a session keeps; past that the interval doubles and every other one goes. */
export const MAX_SNAPSHOTS = 2_048;

/** Everything of a session at one instant besides its spec and actions (see SimSession.snapshot). */
interface SessionState {
  readonly world: WorldState;
  readonly monitor: Record<string, unknown>;
  readonly safety: Record<string, unknown>;
  /** Actions carried out so far, and a CRC-32 of them: a snapshot restores only into the same run. */
  readonly next: number;
  readonly actionsCrc: number;
  readonly every: number;
  readonly nextCheckpointAt: number;
  readonly checkpoints: readonly Checkpoint[] | null;
}

/** A snapshot the session keeps in memory for rewinding. */
interface KeptSnapshot {
  readonly at: number;
  /** The SessionState without checkpoints (those are kept as the array below), packed. */
  readonly packed: PackedSnapshot;
  readonly checkpoints: { readonly chunks: readonly (readonly Checkpoint[])[]; readonly tail: readonly Checkpoint[] };
}

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
  private readonly _snaps: KeptSnapshot[] = [];
  /**
   * Trace events of this run beyond the session's time, seen before a rewind (the same run, so the
   * same events): a jump forward to a later snapshot takes its trace from here, and the trace goes
   * on unbroken. `_aheadBase` is the emitted-count of its first event.
   */
  private _ahead: TraceEvent[] = [];
  private _aheadBase = 0;
  private readonly _pages = new PageStore();
  private _snapEvery: number;
  private _nextSnapAt: number;

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
      liveness: livenessOptions(spec.scenario.clients.timeoutMs, this.world.config.failureTimeoutMs),
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
    this._snapEvery = opts.snapshotEveryMs ?? SNAPSHOT_EVERY_MS;
    this._nextSnapAt = this._snapEvery > 0 ? 0 : Infinity;
    if (this._snapEvery > 0) this._keepSnapshot(); // at t = 0, so a rewind always has one to start from
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
      const nextSnap = this._nextSnapAt;
      const stop = Math.min(t, a ? a.at : Infinity, nextCheckpoint, nextSnap);
      sched.runUntil(stop, shouldStop);
      // Stopped by the budget, possibly in the middle of an instant: not there yet.
      if (sched.now < stop || sched.peekTime() <= stop) return false;
      if (stop === nextCheckpoint) this._checkpoint();
      if (stop === nextSnap) this._keepSnapshot();
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
    // Snapshots ahead of now belong to the future this action replaces.
    this._dropSnapshotsAfter(this.now);
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

  /**
   * The whole session now (the World, the checkers' state, checkpoints, how far through the
   * actions it is) as sealed bytes: format version, deflate, CRC-32. `restore` takes them back.
   */
  snapshot(): Uint8Array {
    return seal(encodeGraph(this._state(true), this.world.codecHooks));
  }

  /**
   * Put the session back to a `snapshot()` of this run (the same spec, and the same actions up to
   * the snapshot; later actions may differ: they lie ahead). A damaged, cut-short or foreign
   * snapshot throws SnapshotError and leaves the session as it was. The trace keeps the events up
   * to the snapshot when it has them (going back), else it starts again empty.
   */
  restore(bytes: Uint8Array): void {
    const state = decodeGraph(unseal(bytes), this.world.codecHooks) as SessionState;
    if (!state || typeof state !== 'object' || !state.world || state.checkpoints === null) throw new SnapshotError('the snapshot is not of a session');
    if (state.next > this._actions.length || actionsCrc(this._actions, state.next) !== state.actionsCrc) {
      throw new SnapshotError('the snapshot is of another run (its actions differ from this session\'s)');
    }
    this._load(state, state.checkpoints);
    this._dropSnapshotsAfter(this.now);
  }

  /**
   * Fast seek: restore the newest snapshot the session kept at or before `t` (it keeps one every
   * `snapshotEveryMs` of virtual time, bounded in number), so a following `runTo(t)` replays only
   * from there. Going back it always restores; going forward only when a kept snapshot lies
   * between now and `t` (a run seen before and rewound: the same run, so its snapshots hold).
   * Returns the virtual time the session now stands at (≤ t). The trace keeps the events up to
   * the snapshot when going back; after a jump forward it starts again at the snapshot.
   */
  rewindTo(t: number): number {
    if (t >= this.now && (this._snaps.length === 0 || this._snaps[this._snaps.length - 1]!.at <= this.now)) return this.now;
    const snaps = this._snaps;
    let lo = 0;
    let hi = snaps.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (snaps[mid]!.at <= t) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) throw new Error(`no snapshot at or before ${t} ms (snapshots are off for this session)`);
    const k = snaps[best]!;
    if (t >= this.now && k.at <= this.now) return this.now; // running on from here is as short
    this._load(unpackSnapshot<SessionState>(k.packed, this.world.codecHooks), [...k.checkpoints.chunks.flat(), ...k.checkpoints.tail]);
    return this.now;
  }

  private _dropSnapshotsAfter(t: number): void {
    // (the trace the run had ahead of t belongs to that future too)
    if (this._aheadBase + this._ahead.length > this.world.emitted) this._ahead = [];
    while (this._snaps.length > 0 && this._snaps[this._snaps.length - 1]!.at > t) releaseSnapshot(this._snaps.pop()!.packed, this._pages);
  }

  /** The snapshots kept for rewinding: how many, their total bytes, the interval now (virtual ms). */
  get snapshotStats(): { count: number; bytes: number; everyMs: number; pages: number } {
    // The rest of each snapshot, the shared pages once, and each shared chunk of finished client
    // operations once (its array; the operations themselves are the live history's).
    let bytes = this._pages.bytes;
    const chunks = new Set<readonly unknown[]>();
    const lists = new Set<readonly unknown[]>();
    for (const k of this._snaps) {
      bytes += k.packed.main.length + k.packed.pages.length * 8 + (k.checkpoints.chunks.length + k.checkpoints.tail.length) * 8;
      for (const c of k.checkpoints.chunks) chunks.add(c);
      for (const runs of Object.values(k.packed.maps)) bytes += runs.length * 8;
      for (const h of k.packed.histories) {
        lists.add(h);
        for (const c of h) chunks.add(c);
      }
    }
    for (const l of lists) bytes += l.length * 8 + 32;
    for (const c of chunks) bytes += (c as readonly unknown[]).length * 8 + 32;
    return { count: this._snaps.length, bytes, everyMs: this._snapEvery, pages: this._pages.count };
  }

  private _state(withCheckpoints: boolean): SessionState {
    const m = this.monitor as unknown as Record<string, unknown>;
    return {
      world: this.world.saveState(),
      monitor: fieldsOf(m, ['safety', '_opts']),
      safety: fieldsOf(m.safety as object, ['liveOpts']),
      next: this._next,
      actionsCrc: actionsCrc(this._actions, this._next),
      every: this._every,
      nextCheckpointAt: this._nextCheckpointAt,
      checkpoints: withCheckpoints ? this.checkpoints : null,
    };
  }


  private _load(state: SessionState, checkpoints: readonly Checkpoint[]): void {
    const emittedNow = this.world.emitted;
    this.world.loadState(state.world); // checks the fingerprint before changing anything
    Object.assign(this.monitor, state.monitor);
    Object.assign(this.monitor.safety, state.safety);
    this._next = state.next;
    this._every = state.every;
    this._nextCheckpointAt = state.nextCheckpointAt;
    this.checkpoints.length = 0;
    this.checkpoints.push(...checkpoints);
    this._traceTo(emittedNow, state.world.emitted);
    this._nextSnapAt = this._snapEvery > 0 ? (Math.floor(this.now / this._snapEvery) + 1) * this._snapEvery : Infinity;
  }

  /**
   * The trace for a jump from emitted-count `from` to `to`: what happened up to `to`, as far as the
   * trace and the events ahead (kept from before a rewind) know it; else it starts again empty.
   * The events beyond `to` are kept ahead, bounded by maxTrace.
   */
  private _traceTo(from: number, to: number): void {
    const base = from - this.trace.length;
    // The trace and the events ahead are two stretches of one sequence: join them if they meet.
    let known = this.trace;
    let knownBase = base;
    const aEnd = this._aheadBase + this._ahead.length;
    if (this._ahead.length > 0 && this._aheadBase <= from && aEnd > from) known = known.concat(this._ahead.slice(from - this._aheadBase));
    else if (this._ahead.length > 0 && this._aheadBase > from && this._aheadBase <= to) {
      // (a gap between them: only the stretch ahead can hold `to`)
      known = this._ahead;
      knownBase = this._aheadBase;
    }
    const knownEnd = knownBase + known.length;
    if (to < knownBase || to > knownEnd) {
      // Nothing known up to `to`: the trace starts again there (what lies ahead stays: the same run).
      this.trace.length = 0;
      return;
    }
    const upTo = to - knownBase;
    // Ahead: the newest events the run had (a jump back to where it had got to, the usual one,
    // then finds them), at most maxTrace.
    const keepFrom = Math.max(upTo, known.length - this.maxTrace);
    const before = known.slice(Math.max(0, upTo - this.maxTrace), upTo);
    this._ahead = known.slice(keepFrom);
    this._aheadBase = knownBase + keepFrom;
    this.trace.length = 0;
    for (const ev of before) this.trace.push(ev);
  }

  private _keepSnapshot(): void {
    const last = this._snaps[this._snaps.length - 1];
    // Replaying after a rewind passes times it already has snapshots for: the run is the same.
    if (!last || last.at < this.now) {
      this._snaps.push({ at: this.now, packed: packSnapshot(this._state(false), this._pages, this.world.codecHooks), checkpoints: shareChunks(this.checkpoints) });
    }
    this._nextSnapAt = this.now + this._snapEvery;
    if (this._snaps.length > MAX_SNAPSHOTS) {
      this._snapEvery *= 2;
      this._nextSnapAt = (Math.floor(this.now / this._snapEvery) + 1) * this._snapEvery;
      const keep = this._snaps.filter((k) => k.at % this._snapEvery === 0);
      for (const k of this._snaps) if (k.at % this._snapEvery !== 0) releaseSnapshot(k.packed, this._pages);
      this._snaps.length = 0;
      this._snaps.push(...keep);
    }
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

function fieldsOf(o: object, skip: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!skip.includes(k) && typeof v !== 'function') out[k] = v;
  return out;
}

function actionsCrc(actions: readonly TimedAction[], n: number): number {
  const text = JSON.stringify(actions.slice(0, n));
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes[2 * i] = c & 0xff;
    bytes[2 * i + 1] = c >>> 8;
  }
  return crc32(bytes);
}
