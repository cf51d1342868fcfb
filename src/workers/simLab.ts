// The deterministic runtime of the page: a SimSession (the whole FT world in one thread, on
// virtual time) paced by the wall clock, in slices short enough to keep the page responsive.
// Everything the learner does is an action stamped with its virtual time, so the session is
// always recorded: it can be exported, shared as a link, sought back and forth (a replay from
// the start; the run is bit-for-bit the same), and forked by acting while viewing the past.
// The guided tour drives it through a ChapterPlayer. It runs in the simulator's worker
// (simWorkerApi.ts); the page sees it through SimLabClient (simLabClient.ts).

import { inspectVm, type VmInspect } from '../engine/ft/inspect';
import type { LinkClass, LinkConfig } from '../engine/sim/network';
import type { TraceEvent } from '../engine/ft/trace';
import { describeAction, type LabAction, type TimedAction } from '../engine/session/actions';
import { encodeShareLink, MAX_TRACE_EVENTS, recordSession, type Recording, type ShareLink } from '../engine/session/recording';
import { checkpointMismatch, SimSession, type Checkpoint, type SessionSpec } from '../engine/session/simSession';
import { HISTORY_PER_CLIENT, type LabVerdicts } from '../engine/sim/checkers/verdicts';
import type { ClientOp } from '../engine/sim/clients';
import { chapterById } from '../engine/tour/chapters';
import { ChapterPlayer } from '../engine/tour/player';
import type { LinkChange, LinkSettings, SimLabEvent, SimState, TourView, VmRef } from './labController';
import { reanchor, virtualAt, wallNow, type ClockState } from './realm';

/** Wall-clock budget of one slice of simulation, so the thread stays responsive (to the page's frame requests). */
const SLICE_BUDGET_MS = 6;
/** Checkers run at most this often, and spend at most a twentieth of the time (they grow with the history). */
const VERDICT_EVERY_MS = 250;
const SESSION_OPTIONS = { maxHistoryPerClient: HISTORY_PER_CLIENT };
/**
 * Trace events the page's session keeps (the newest). Every one is a live object the garbage
 * collector walks; a guest printing as fast as it can fills the trace, and a larger one costs
 * the page long collections. The checkers see every event regardless; a replay regenerates it.
 */
const SIM_TRACE_KEEP = 100_000;

export interface SimLabOptions {
  readonly spec: SessionSpec;
  /** Actions to replay (a recording or a share link); the run forks if the learner acts before the last. */
  readonly actions?: readonly TimedAction[];
  /** Where a loaded recording ends (virtual ms): playback pauses there. */
  readonly endMs?: number | null;
  readonly speed?: number;
  readonly paused?: boolean;
  /** A tour chapter playing on this lab (its session is used). */
  readonly player?: ChapterPlayer;
  /** A tour chapter to play, by name (at a step; or a shared moment of it: the learner's actions up to `at`). */
  readonly tour?: { readonly chapterId: string; readonly step: number; readonly restore?: { readonly actions: readonly TimedAction[]; readonly at: number } };
  /** Wall-clock budget of one slice (ms) and the pause between slices (ms). */
  readonly sliceMs?: number;
  readonly idleMs?: number;
  /** A recording's checkpoints: the replay is checked against them as it reaches each one. */
  readonly checkpoints?: readonly Checkpoint[];
}

export type { SimLabEvent };

/** The tour player for a SimLab's options (a chapter by name), or null. */
function tourPlayer(opts: SimLabOptions): ChapterPlayer | null {
  if (opts.player) return opts.player;
  if (!opts.tour) return null;
  const ch = chapterById(opts.tour.chapterId);
  if (!ch) throw new Error(`the tour has no chapter called “${opts.tour.chapterId}”`);
  const r = opts.tour.restore;
  return r ? ChapterPlayer.restore(ch, opts.tour.step, r.actions, r.at) : new ChapterPlayer(ch, opts.tour.step);
}

export class SimLab {
  readonly kind = 'simulator' as const;
  session: SimSession;
  player: ChapterPlayer | null;
  /** End of the loaded recording, or null for a live session (or once forked). */
  endMs: number | null;
  /** Set while a seek is replaying: the target virtual time. */
  seeking: number | null = null;
  private _clock: ClockState;
  private _pending: TraceEvent[] = [];
  private readonly _traceListeners = new Set<(events: readonly TraceEvent[]) => void>();
  private readonly _eventListeners = new Set<(e: SimLabEvent) => void>();
  private _unsubscribe: () => void;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
  private _verdicts: { at: number; v: LabVerdicts } | null = null;
  private _seekGen = 0;
  private readonly _expected = new Map<number, Checkpoint>();
  private _checkedIndex = 0;
  /** How the replay compares with the recording's checkpoints so far. */
  readonly verification = { checked: 0, expected: 0, mismatch: null as string | null };

  private readonly _sliceMs: number;
  private readonly _idleMs: number;

  constructor(opts: SimLabOptions) {
    this._sliceMs = opts.sliceMs ?? SLICE_BUDGET_MS;
    this._idleMs = opts.idleMs ?? 16;
    this.player = tourPlayer(opts);
    this.session = this.player?.session ?? new SimSession(opts.spec, opts.actions ?? [], SESSION_OPTIONS);
    this.session.maxTrace = Math.min(this.session.maxTrace, SIM_TRACE_KEEP);
    this.endMs = opts.endMs ?? null;
    for (const c of opts.checkpoints ?? []) this._expected.set(c.at, c);
    this.verification.expected = this._expected.size;
    this._clock = { speed: opts.speed ?? 1, paused: opts.paused ?? false, anchorWall: wallNow(), anchorVirtual: this.session.now };
    this._unsubscribe = this.session.onTrace((ev) => this._pending.push(ev));
    // Events of a player's fast-forward are already in its session's trace: hand them over too.
    this._pending.push(...this.session.trace);
    // A tour waits for its step (a prediction, an action) or runs it at the step's pace.
    if (this.player) this._syncTourClock();
    this._schedule();
  }

  /** What the page shows of this lab besides the trace (pushed with the view updates). */
  state(): SimState {
    return {
      spec: this.session.spec,
      paused: this._clock.paused,
      speed: this._clock.speed,
      endMs: this.endMs,
      seeking: this.seeking,
      actions: this.session.actions,
      verification: { ...this.verification },
      tour: this._tourView(),
      links: this.links,
    };
  }

  private _tourView(): TourView | null {
    const p = this.player;
    if (!p) return null;
    const key = `${p.step}/${p.phase}/${this.session.actions.length}`;
    if (p.phase === 'done' && this._unmet?.key !== key) this._unmet = { key, list: p.unmet() };
    return { chapterId: p.chapter.id, step: p.step, phase: p.phase, choice: p.choice, isLast: p.isLast, unmet: p.phase === 'done' ? this._unmet!.list : null };
  }
  private _unmet: { key: string; list: string[] } | null = null;

  // ------------------------------------------------------------ the tour

  /** The learner's prediction. */
  answer(choice: number): void {
    this.player?.answer(choice);
    this.tourChanged();
  }

  /** On to the next step (finishing this one as written first). False on the last step or outside the tour. */
  nextStep(): boolean {
    const moved = this.player?.next() ?? false;
    this.tourChanged();
    return moved;
  }

  /** Run the current step to its end now. */
  skipStep(): void {
    this.player?.advance();
    this.tourChanged();
  }

  // ------------------------------------------------------------ recordings, links

  /**
   * The whole recording of this session. The lab keeps only the newest part of the trace; the
   * file gets all of it, from a fresh replay (deterministic, so the same run), sliced so the
   * thread keeps answering.
   */
  async recording(title: string): Promise<Recording> {
    const chapter = this.player?.chapter.id ?? null;
    const end = Math.max(this.endMs ?? 0, this.session.now);
    const full = new SimSession(this.session.spec, this.session.actions.filter((a) => a.at <= end));
    full.maxTrace = MAX_TRACE_EVENTS;
    for (;;) {
      const deadline = performance.now() + 25;
      if (full.runTo(end, () => performance.now() > deadline)) break;
      await new Promise((r) => setTimeout(r, 0));
    }
    return recordSession(full, title, chapter);
  }

  /** A share link's fragment (after `#run=`): this session up to the moment on screen. */
  shareLink(): string {
    const now = this.session.now;
    const spec = this.session.spec;
    const link: ShareLink = {
      v: 1,
      chapter: this.player?.chapter.id ?? null,
      step: this.player?.step ?? null,
      spec: { scenario: spec.scenario, source: spec.source ?? null, noBackup: spec.noBackup ?? false },
      actions: this.session.actions.filter((a) => a.at <= now),
      at: now,
    };
    return encodeShareLink(link);
  }

  // ------------------------------------------------------------ what the lab controller serves

  get trace(): readonly TraceEvent[] {
    return this.session.trace;
  }
  get config() {
    return this.session.world.config;
  }
  get storage() {
    return this.session.world.storage;
  }
  get macOwner() {
    return this.session.world.net.macOwner;
  }
  get links(): LinkSettings {
    const l = this.session.world.net.links;
    const one = (c: LinkConfig) => ({ latencyMs: c.latencyMs, loss: c.loss, bandwidthMbps: c.bandwidthMbps });
    return { channel: one(l.channel), storage: one(l.storage), clients: one(l.clients) };
  }
  get virtualNow(): number {
    return this.session.now;
  }
  get clock(): ClockState {
    return this._clock;
  }
  get spec(): SessionSpec {
    return this.session.spec;
  }

  onTrace(l: (events: readonly TraceEvent[]) => void): () => void {
    this._traceListeners.add(l);
    return () => this._traceListeners.delete(l);
  }

  /** Resets (after a seek backwards), notices (a fork), phase changes and seek progress. */
  onEvent(l: (e: SimLabEvent) => void): () => void {
    this._eventListeners.add(l);
    return () => this._eventListeners.delete(l);
  }

  inspect(memAddr = 0): Promise<(VmInspect | null)[]> {
    return Promise.resolve(this.views(memAddr));
  }

  /** Each VM's registers, a window of memory and its state, now. */
  views(memAddr = 0): VmInspect[] {
    const clock = { virtualMs: this.session.now, behindMs: this.behindMs };
    return [...this.session.world.vms.values()].map((hv) => inspectVm(hv, clock, memAddr, 64));
  }

  verdicts(): LabVerdicts {
    const now = performance.now();
    if (this._verdicts && now - this._verdicts.at < Math.max(VERDICT_EVERY_MS, this._verdictCost * 20)) return this._verdicts.v;
    const v = this.session.verdicts();
    const after = performance.now();
    this._verdictCost = after - now;
    this._verdicts = { at: after, v };
    return v;
  }
  private _verdictCost = 0;

  history(): ClientOp[] {
    return this.session.world.clients.flatMap((c) => c.history);
  }

  /** How far the simulation trails the clock (ms of virtual time), after the last slice. */
  behindMs = 0;

  pause(): void {
    // Stop where the run is, not where the clock had got to (the simulation may trail it by a
    // slice), and at the end of an instant: a replay to this time (a share link, a recording's
    // end) runs every event due by then, so the paused state must too.
    if (this.seeking === null && !this.player) {
      this.session.runTo(this.session.now);
      this._flush();
    }
    const c = reanchor(this._clock, wallNow(), { paused: true });
    this._setClock({ ...c, anchorVirtual: Math.min(c.anchorVirtual, this.session.now) });
  }

  resume(): void {
    this._setClock(reanchor(this._clock, wallNow(), { paused: false }));
  }

  step(ms = this.config.sliceMs): void {
    const c = reanchor(this._clock, wallNow(), { paused: true });
    this._setClock({ ...c, anchorVirtual: Math.max(c.anchorVirtual, this.session.now) + ms });
  }

  setSpeed(speed: number): void {
    this._setClock(reanchor(this._clock, wallNow(), { speed }));
  }

  kill(ref: VmRef): void {
    this.act({ kind: ref === 'primary' ? 'kill-primary' : 'kill-backup' });
  }
  powerOffPrimary(): void {
    this.act({ kind: 'power-off-primary' });
  }
  cutChannel(direction: 'both' | 'to-backup' | 'to-primary' = 'both'): void {
    this.act({ kind: 'cut-channel', direction });
  }
  heal(): void {
    this.act({ kind: 'heal' });
  }
  partitionFromStorage(vm: VmRef): void {
    this.act({ kind: 'partition-storage', vm });
  }
  partitionFromClients(vm: VmRef): void {
    this.act({ kind: 'partition-clients', vm });
  }
  slowChannel(latencyMs: number, bandwidthMbps?: number): void {
    this.act({ kind: 'slow-channel', latencyMs, ...(bandwidthMbps !== undefined ? { bandwidthMbps } : {}) });
  }
  setLink(link: LinkClass, change: LinkChange): void {
    this.act({ kind: 'set-link', link, ...change });
  }
  pauseVm(vm: VmRef): void {
    this.act({ kind: 'pause', vm });
  }
  dropMessage(id: string): boolean {
    return this.act({ kind: 'drop-message', id });
  }
  restartBackup(): void {
    this.act({ kind: 'restart-backup' });
  }
  request(text: string, id = 1): boolean {
    return this.act({ kind: 'request', client: id, text });
  }
  setWorkload(count: number, thinkMs = 20): void {
    this.act({ kind: 'workload', count, perSecond: Math.round((1000 / thinkMs) * 1000) / 1000 });
  }

  dispose(): void {
    this._disposed = true;
    this._seekGen++;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    this._unsubscribe();
    this._traceListeners.clear();
    this._eventListeners.clear();
  }

  // ------------------------------------------------------------ actions, seeking

  /**
   * Take an action now. Acting while viewing the past of a recording forks: the actions that lay
   * ahead are discarded (with a notice). In a tour, the player sees it (it may be the awaited one).
   */
  act(action: LabAction): boolean {
    if (this.seeking !== null) return false;
    const ahead = this.session.pendingActions;
    let applied: boolean;
    if (this.player) {
      const kept = this.session.actions.length - ahead; // what stays once the recorded future is dropped
      this.player.act(action);
      applied = this.session.actions.length > kept; // a refused request leaves no action behind
      this._syncTourClock();
    } else applied = this.session.act(action).applied;
    if (ahead > 0 || (this.endMs !== null && this.session.now < this.endMs)) {
      this._emit({
        kind: 'notice',
        text: `Forked at ${this.session.now.toFixed(2)} ms: you ${describeAction(action)}. ${ahead > 0 ? `The recording's ${ahead} later action${ahead === 1 ? ' was' : 's were'} discarded; ` : ''}this is a new run from here.`,
      });
      this.endMs = null;
    }
    this._flush();
    this._emit({ kind: 'changed' });
    return applied;
  }

  /**
   * Show the run at virtual time `t`: forward by running on, backward by replaying the same
   * spec and actions from the start (deterministic, so it is the same run). Sliced across
   * macrotasks with progress events, so a long replay never freezes the page. Leaves the clock paused.
   */
  async seek(t: number): Promise<void> {
    if (this.player) throw new Error('seek is not available during a tour; use its steps');
    const gen = ++this._seekGen;
    this._clock = reanchor(this._clock, wallNow(), { paused: true });
    // Restore the newest snapshot the session kept at or before t, and run on from there.
    const before = this.session.now;
    const at = this.session.rewindTo(t);
    if (at !== before) {
      // The run as far as it went stays reachable: seeking back turns it into a recording to replay.
      if (t < before) this.endMs = Math.max(this.endMs ?? 0, before);
      this._pending = [...this.session.trace];
      this._checkedIndex = 0;
      this._emit({ kind: 'reset' });
    }
    this.seeking = t;
    const from = this.session.now;
    while (!this._disposed && gen === this._seekGen) {
      const deadline = performance.now() + this._sliceMs * 2;
      const reached = this.session.runTo(t, () => performance.now() > deadline);
      this._flush();
      this._emit({ kind: 'seek', progress: reached ? null : (this.session.now - from) / Math.max(1e-9, t - from) });
      if (reached) break;
      await new Promise((r) => setTimeout(r, 0));
    }
    if (gen !== this._seekGen) return;
    this.seeking = null;
    this._clock = { ...this._clock, anchorWall: wallNow(), anchorVirtual: this.session.now };
    this._emit({ kind: 'changed' });
  }

  /** The tour: after the player changed phase (answer, next), run or wait accordingly. */
  tourChanged(): void {
    this._syncTourClock();
    this._flush();
    this._emit({ kind: 'changed' });
  }

  private _syncTourClock(): void {
    const p = this.player;
    if (!p) return;
    const running = p.phase === 'run';
    this._setClock({ speed: running ? p.pace / 1000 : this._clock.speed, paused: !running, anchorWall: wallNow(), anchorVirtual: this.session.now });
  }

  // ------------------------------------------------------------ pacing

  private _setClock(c: ClockState): void {
    this._clock = c;
    this._emit({ kind: 'changed' });
    this._schedule(0);
  }

  private _schedule(delay = this._idleMs): void {
    if (this._disposed) return;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = setTimeout(() => {
      this._timer = null;
      this._slice();
      this._schedule();
    }, delay);
  }

  private _slice(): void {
    if (this.seeking !== null) return;
    const target = virtualAt(this._clock, wallNow());
    const deadline = performance.now() + this._sliceMs;
    const budget = (): boolean => performance.now() > deadline;
    const p = this.player;
    if (p && p.phase === 'run') {
      if (p.advance(target, budget)) {
        this._clock = { ...this._clock, paused: true, anchorWall: wallNow(), anchorVirtual: this.session.now };
        this._emit({ kind: 'changed' });
      }
    } else if (target > this.session.now) {
      const end = this.endMs !== null && this.session.now < this.endMs ? Math.min(target, this.endMs) : target;
      this.session.runTo(end, budget);
      if (end === this.endMs && this.session.now >= this.endMs) {
        this._clock = { ...this._clock, paused: true, anchorWall: wallNow(), anchorVirtual: this.session.now };
        this._emit({ kind: 'notice', text: 'End of the recorded run. Resume to carry on live from here, or seek back.' });
        this._emit({ kind: 'changed' });
      }
    }
    // Trailing the clock for lack of CPU: let virtual time slip rather than pile up a debt.
    this.behindMs = Math.max(0, virtualAt(this._clock, wallNow()) - this.session.now);
    if (this.behindMs > 50 * Math.max(this._clock.speed, 0.001)) this._clock = { ...this._clock, anchorWall: wallNow(), anchorVirtual: this.session.now };
    this._flush();
  }

  private _verify(): void {
    const cps = this.session.checkpoints;
    if (this._checkedIndex > cps.length) this._checkedIndex = 0; // thinned out: start over
    for (; this._checkedIndex < cps.length; this._checkedIndex++) {
      const c = cps[this._checkedIndex]!;
      const want = this._expected.get(c.at);
      if (!want || this.verification.mismatch) continue;
      const bad = checkpointMismatch([want], [c]);
      if (bad) this.verification.mismatch = bad;
      else this.verification.checked = Math.max(this.verification.checked, [...this._expected.keys()].filter((at) => at <= c.at).length);
    }
  }

  private _flush(): void {
    if (this._expected.size > 0) this._verify();
    if (this._pending.length === 0) return;
    const batch = this._pending;
    this._pending = [];
    for (const l of this._traceListeners) l(batch);
  }

  private _emit(e: SimLabEvent): void {
    for (const l of this._eventListeners) l(e);
  }
}
