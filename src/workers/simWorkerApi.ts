// The simulator's worker side: one SimLab (the deterministic session, paced by the wall clock)
// and what the page asks of it. The page pulls a view batch once per animation frame (`frame`):
// the trace since the last batch, VM views, verdicts when recomputed, the lab's state when it
// changed. Every command's reply carries a batch too, flushed after the command took effect, so
// the page's mirror is up to date when a command resolves. A thin adapter: the session, the
// tour player and recordings are the engine's; pacing is SimLab's.

import { encodeRecording } from '../engine/session/recording';
import type { LabAction } from '../engine/session/actions';
import type { NodeId } from '../engine/ft/messages';
import type { TraceEvent } from '../engine/ft/trace';
import type { LabVerdicts } from '../engine/sim/checkers/verdicts';
import type { ClientOp } from '../engine/sim/clients';
import type { FtConfig } from '../engine/ft/hypervisor';
import type { SimLabEvent, SimState } from './labController';
import type { VmInspect } from './protocol';
import type { ClockState } from './realm';
import { ConsoleChunk, TraceFold, VIEW_FOLD_CAP, WORKER_OUTBOX, type FoldTally } from './flow';
import { SimLab, type SimLabOptions } from './simLab';

/** What starts a simulator lab: plain data (a tour chapter by name, not a player). */
export type SimLabInit = Omit<SimLabOptions, 'player'>;

/** One view update for the page's mirror. */
export interface SimBatch {
  /** The session was replaced (a seek backwards replays from the start): drop the old trace first. */
  readonly reset: boolean;
  /** The trace since the last batch as the page's views get it: a flood thinned (flow.ts, TraceFold). */
  readonly events: TraceEvent[];
  /** Events left out of `events`, per kind (the session, its checkers and recordings keep them all). */
  readonly folded: FoldTally;
  readonly simEvents: SimLabEvent[];
  readonly now: number;
  readonly clock: ClockState;
  readonly macOwner: NodeId | null;
  /** Who holds the test-and-set word now. */
  readonly tasHolder: NodeId | null;
  readonly vms?: VmInspect[];
  /** Blocks written on shared storage, when their number changed. */
  readonly touched?: number[];
  readonly verdicts?: LabVerdicts;
  readonly completedOps?: number;
  readonly history?: ClientOp[];
  readonly state?: SimState;
}

export type SimCommand =
  | { readonly kind: 'pause' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'step'; readonly ms?: number }
  | { readonly kind: 'speed'; readonly speed: number }
  | { readonly kind: 'act'; readonly action: LabAction }
  | { readonly kind: 'seek'; readonly t: number }
  | { readonly kind: 'answer'; readonly choice: number }
  | { readonly kind: 'next-step' }
  | { readonly kind: 'skip-step' }
  | { readonly kind: 'share-link' }
  | { readonly kind: 'export'; readonly title: string }
  | { readonly kind: 'state-hashes' }
  | { readonly kind: 'checkpoints' };

export interface FrameRequest {
  readonly memAddr: number;
  /** Include every client's history (the page asked for it since the last batch). */
  readonly history: boolean;
}

export class SimWorkerApi {
  private _lab: SimLab | null = null;
  private _gen = 0;
  /** The trace since the last batch: a guest sending frames in a loop makes ~8 events a frame, 100 000s a batch. */
  private readonly _fold = new TraceFold(VIEW_FOLD_CAP);
  private _simEvents: SimLabEvent[] = [];
  private _reset = false;
  private _dirty = true;
  private _sentLinks = '';
  private _sentVerdicts: LabVerdicts | null = null;
  private _sentTouched = -1;
  private _memAddr = 0;
  private readonly _slice: { sliceMs?: number; idleMs?: number };

  /** In a worker the slices can be longer and closer together: the page's thread is not the one waiting. */
  constructor(slice: { sliceMs?: number; idleMs?: number } = {}) {
    this._slice = slice;
  }

  /** Start a lab (replacing any): returns its generation (every later call names it) and the config. */
  start(init: SimLabInit): { gen: number; config: FtConfig; batch: SimBatch } {
    this._lab?.dispose();
    this._lab = null;
    const gen = ++this._gen;
    this._fold.clear(true);
    this._console.clear();
    this._simEvents = [];
    this._reset = false;
    this._dirty = true;
    this._sentVerdicts = null;
    this._sentTouched = -1;
    const lab = new SimLab({ ...this._slice, ...init });
    this._lab = lab;
    lab.onTrace((events) => this._take(events));
    lab.onEvent((e) => {
      if (e.kind === 'reset') {
        this._reset = true;
        this._fold.clear(true);
        this._console.clear();
        this._simEvents = this._simEvents.filter((x) => x.kind === 'notice');
      }
      this._simEvents.push(e);
      this._dirty = true;
    });
    return { gen, config: lab.config, batch: this._batch(lab, false) };
  }

  /** The view update for one frame of the page. Null for a lab since replaced. */
  frame(gen: number, req: FrameRequest): SimBatch | null {
    const lab = this._live(gen);
    if (!lab) return null;
    this._memAddr = req.memAddr;
    return this._batch(lab, req.history);
  }

  async command(gen: number, c: SimCommand): Promise<{ result: unknown; batch: SimBatch } | null> {
    const lab = this._live(gen);
    if (!lab) return null;
    const result = await this._run(lab, c);
    if (this._lab !== lab) return null;
    this._dirty = true;
    return { result, batch: this._batch(lab, false) };
  }

  dispose(gen: number): void {
    if (!this._live(gen)) return;
    this._lab?.dispose();
    this._lab = null;
  }

  private async _run(lab: SimLab, c: SimCommand): Promise<unknown> {
    switch (c.kind) {
      case 'pause':
        return lab.pause();
      case 'resume':
        return lab.resume();
      case 'step':
        return lab.step(c.ms);
      case 'speed':
        return lab.setSpeed(c.speed);
      case 'act':
        return lab.act(c.action);
      case 'seek':
        return lab.seek(c.t);
      case 'answer':
        return lab.answer(c.choice);
      case 'next-step':
        return lab.nextStep();
      case 'skip-step':
        return lab.skipStep();
      case 'share-link':
        return lab.shareLink();
      case 'export': {
        const r = await lab.recording(c.title);
        return { bytes: encodeRecording(r), endMs: r.endMs, program: r.spec.scenario.program };
      }
      case 'state-hashes':
        return lab.session.stateHashes();
      case 'checkpoints':
        return [...lab.session.checkpoints];
    }
  }

  private _live(gen: number): SimLab | null {
    return gen === this._gen ? this._lab : null;
  }

  /** Console output since the last batch, per VM and kind, coalesced and bounded as a VM worker's is (flow.ts). */
  private _console = new Map<string, { vm: NodeId; suppressed: boolean; t: number; chunk: ConsoleChunk }>();

  private _take(events: readonly TraceEvent[]): void {
    for (const ev of events) {
      if (ev.type !== 'console') {
        this._fold.addOne(ev);
        continue;
      }
      // A guest printing as fast as it can would otherwise send the page thousands of events a frame.
      const key = `${ev.vm}|${ev.suppressed}`;
      let c = this._console.get(key);
      if (!c) this._console.set(key, (c = { vm: ev.vm, suppressed: ev.suppressed, t: ev.t, chunk: new ConsoleChunk(WORKER_OUTBOX.consoleChars, WORKER_OUTBOX.consoleLines) }));
      if (c.chunk.empty) c.t = ev.t;
      c.chunk.add(ev.text);
    }
  }

  private _batch(lab: SimLab, history: boolean): SimBatch {
    const verdicts = lab.verdicts();
    const fresh = verdicts !== this._sentVerdicts;
    this._sentVerdicts = verdicts;
    const ops = fresh || history ? lab.history() : null;
    const touched = lab.storage.touched;
    // A replayed or recorded link change updates the sliders too.
    const links = JSON.stringify(lab.links);
    if (links !== this._sentLinks) this._dirty = true;
    this._sentLinks = links;
    for (const c of this._console.values()) if (!c.chunk.empty) this._fold.add([{ type: 'console', vm: c.vm, text: c.chunk.take(), suppressed: c.suppressed, t: c.t }]);
    const { events, folded } = this._fold.take();
    const b: SimBatch = {
      reset: this._reset,
      events,
      folded,
      simEvents: this._simEvents,
      now: lab.virtualNow,
      clock: lab.clock,
      macOwner: lab.macOwner,
      tasHolder: lab.storage.holder,
      vms: lab.views(this._memAddr),
      ...(touched.size !== this._sentTouched ? { touched: [...touched] } : {}),
      ...(fresh ? { verdicts, completedOps: ops!.reduce((n, o) => n + (o.status === 'ok' ? 1 : 0), 0) } : {}),
      ...(history ? { history: ops! } : {}),
      ...(this._dirty ? { state: lab.state() } : {}),
    };
    this._sentTouched = touched.size;
    this._simEvents = [];
    this._reset = false;
    this._dirty = false;
    return b;
  }

}
