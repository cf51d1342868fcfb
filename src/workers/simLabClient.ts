// The simulator lab as the page sees it: a LabController whose session runs elsewhere (in the
// simulator's Web Worker, simWorkerApi.ts). The page keeps a mirror — the newest trace, VM
// views, verdicts, the lab's state — that a view batch updates once per animation frame (the
// page's refresh asks for it through `inspect`), and every command's reply carries a batch, so
// when a command resolves the mirror already shows its effect. Synchronous reads (trace, roles,
// virtual time, verdicts, history) are served from the mirror.

import * as Comlink from 'comlink';
import { DEFAULT_FT_CONFIG, type FtConfig } from '../engine/ft/hypervisor';
import type { VmInspect } from '../engine/ft/inspect';
import type { NodeId } from '../engine/ft/messages';
import type { LinkClass } from '../engine/sim/network';
import type { TraceEvent } from '../engine/ft/trace';
import type { LabAction } from '../engine/session/actions';
import type { Checkpoint } from '../engine/session/simSession';
import type { LabVerdicts } from '../engine/sim/checkers/verdicts';
import type { ClientOp } from '../engine/sim/clients';
import type { LabController, LinkChange, LinkSettings, SimControls, SimLabEvent, SimState, VmRef } from './labController';
import { addTally, type FoldTally } from './flow';
import type { ClockState } from './realm';
import type { SimBatch, SimCommand, SimLabInit, SimWorkerApi } from './simWorkerApi';

/** Trace events the page keeps (the newest); the worker's session keeps its own. */
const PAGE_TRACE_KEEP = 100_000;

/** The worker side's calls, in a worker (comlink) or in this thread (tests, no Worker). */
export type SimHost = {
  [K in 'start' | 'frame' | 'command' | 'dispose']: (...a: Parameters<SimWorkerApi[K]>) => Promise<Awaited<ReturnType<SimWorkerApi[K]>>>;
};

let shared: { worker: Worker; host: SimHost } | null = null;

/** The one simulator worker of the page (each new lab replaces the last one's session in it). */
export function simWorkerHost(): SimHost {
  if (!shared) {
    const worker = new Worker(new URL('./sim.worker.ts', import.meta.url), { type: 'module', name: 'simulator' });
    shared = { worker, host: Comlink.wrap<SimWorkerApi>(worker) as unknown as SimHost };
  }
  return shared.host;
}

/** The worker side in this thread (tests in Node; the same code, without the thread). */
export function inThreadHost(api: SimWorkerApi): SimHost {
  return {
    start: (...a) => Promise.resolve(api.start(...a)),
    frame: (...a) => Promise.resolve(api.frame(...a)),
    command: (...a) => api.command(...a),
    dispose: (...a) => Promise.resolve(api.dispose(...a)),
  };
}

const EMPTY_VERIFICATION = { checked: 0, expected: 0, mismatch: null };

export class SimLabClient implements LabController, SimControls {
  readonly kind = 'simulator' as const;
  readonly trace: TraceEvent[] = [];
  /** Trace events the worker left out of the page's view (a flood thinned; the session has them all). */
  readonly traceFolded: FoldTally = {};
  /** Resolves once the worker has started the session. */
  readonly ready: Promise<void>;
  private _gen: Promise<number>;
  private _config: FtConfig;
  private _state: SimState;
  private _now = 0;
  private _clock: ClockState;
  private _macOwner: NodeId | null = null;
  private _tasHolder: NodeId | null = null;
  private _vms: VmInspect[] = [];
  private _touched = new Set<number>();
  private _verdicts: LabVerdicts | null = null;
  private _completedOps = 0;
  private _history: ClientOp[] = [];
  private _wantHistory = false;
  private _disposed = false;
  private _frameInFlight: Promise<(VmInspect | null)[]> | null = null;
  private readonly _traceListeners = new Set<(events: readonly TraceEvent[]) => void>();
  private readonly _eventListeners = new Set<(e: SimLabEvent) => void>();

  constructor(
    init: SimLabInit,
    private readonly host: SimHost = simWorkerHost(),
  ) {
    // Until the worker answers: the spec's settings over the defaults (the worker's config replaces it).
    const ft = Object.fromEntries(Object.entries(init.spec.scenario.ft ?? {}).filter(([, v]) => v !== undefined));
    this._config = { ...DEFAULT_FT_CONFIG, ...ft } as FtConfig;
    this._clock = { speed: init.speed ?? 1, paused: init.paused ?? false, anchorWall: 0, anchorVirtual: 0 };
    this._state = {
      spec: init.spec,
      paused: this._clock.paused,
      speed: this._clock.speed,
      endMs: init.endMs ?? null,
      seeking: null,
      actions: init.actions ?? [],
      verification: EMPTY_VERIFICATION,
      tour: null,
      links: { channel: { latencyMs: 0, loss: 0, bandwidthMbps: 0 }, storage: { latencyMs: 0, loss: 0, bandwidthMbps: 0 }, clients: { latencyMs: 0, loss: 0, bandwidthMbps: 0 } },
    };
    this._gen = host.start(init).then((r) => {
      this._config = r.config;
      this._apply(r.batch);
      return r.gen;
    });
    this.ready = this._gen.then(() => undefined);
  }

  // ------------------------------------------------------------ the mirror

  get config(): FtConfig {
    return this._config;
  }
  get storage(): { readonly touched: ReadonlySet<number>; readonly holder: NodeId | null } {
    return { touched: this._touched, holder: this._tasHolder };
  }
  get macOwner(): NodeId | null {
    return this._macOwner;
  }
  get virtualNow(): number {
    return this._now;
  }
  get clock(): ClockState {
    return this._clock;
  }
  get completedOps(): number {
    return this._completedOps;
  }
  /** Each VM's role now (tests read it). */
  get roles(): Map<string, string> {
    return new Map(this._vms.map((v) => [v.id, v.role]));
  }
  get sim(): SimControls {
    return this;
  }
  get links(): LinkSettings {
    return this._state.links;
  }
  get state(): SimState {
    return this._state;
  }
  // (tests and the page's hooks read these by their old names)
  get endMs(): number | null {
    return this._state.endMs;
  }
  get seeking(): number | null {
    return this._state.seeking;
  }
  get verification(): SimState['verification'] {
    return this._state.verification;
  }

  verdicts(): LabVerdicts {
    if (!this._verdicts) throw new Error('no verdicts yet: the simulator has not answered');
    return this._verdicts;
  }

  /** Every client's history as of the last batch that carried it (asking makes the next one carry it). */
  history(): readonly ClientOp[] {
    this._wantHistory = true;
    return this._history;
  }

  onTrace(l: (events: readonly TraceEvent[]) => void): () => void {
    this._traceListeners.add(l);
    return () => this._traceListeners.delete(l);
  }

  onEvent(l: (e: SimLabEvent) => void): () => void {
    this._eventListeners.add(l);
    return () => this._eventListeners.delete(l);
  }

  /**
   * The page's refresh, once per frame: ask the worker for the view batch (applied to the mirror)
   * and return the VM views. One request at a time: a slow answer is not asked for twice.
   */
  inspect(memAddr = 0): Promise<(VmInspect | null)[]> {
    if (this._frameInFlight) return this._frameInFlight;
    const history = this._wantHistory;
    this._wantHistory = false;
    const p = this._gen
      .then((gen) => this.host.frame(gen, { memAddr, history }))
      .then((b) => {
        if (b) this._apply(b);
        return this._vms;
      })
      .finally(() => {
        this._frameInFlight = null;
      });
    this._frameInFlight = p;
    return p;
  }

  private _apply(b: SimBatch): void {
    if (this._disposed) return;
    this._now = b.now;
    this._clock = b.clock;
    this._macOwner = b.macOwner;
    this._tasHolder = b.tasHolder;
    if (b.vms) this._vms = b.vms;
    if (b.touched) this._touched = new Set(b.touched);
    if (b.verdicts) {
      this._verdicts = b.verdicts;
      this._completedOps = b.completedOps ?? 0;
    }
    if (b.history) this._history = b.history;
    if (b.state) this._state = b.state;
    if (b.reset) {
      this.trace.length = 0;
      for (const k of Object.keys(this.traceFolded)) delete this.traceFolded[k as keyof FoldTally];
      this._emit({ kind: 'reset' });
    }
    addTally(this.traceFolded, b.folded);
    if (b.events.length > 0) {
      for (const ev of b.events) this.trace.push(ev);
      if (this.trace.length > PAGE_TRACE_KEEP * 1.25) this.trace.splice(0, this.trace.length - PAGE_TRACE_KEEP);
      for (const l of this._traceListeners) l(b.events);
    }
    for (const e of b.simEvents) if (e.kind !== 'reset' && e.kind !== 'changed') this._emit(e);
    // A new state is news, whether or not the lab said so (its first state comes before anyone listened).
    if (b.state || b.simEvents.some((e) => e.kind === 'changed')) this._emit({ kind: 'changed' });
  }

  private _emit(e: SimLabEvent): void {
    for (const l of this._eventListeners) l(e);
  }

  // ------------------------------------------------------------ commands

  private async _command(c: SimCommand): Promise<unknown> {
    const gen = await this._gen;
    if (this._disposed) return undefined;
    const r = await this.host.command(gen, c);
    if (!r) return undefined;
    this._apply(r.batch);
    return r.result;
  }

  pause(): Promise<void> {
    return this._command({ kind: 'pause' }).then(() => undefined);
  }
  resume(): Promise<void> {
    return this._command({ kind: 'resume' }).then(() => undefined);
  }
  step(ms?: number): Promise<void> {
    return this._command({ kind: 'step', ...(ms !== undefined ? { ms } : {}) }).then(() => undefined);
  }
  setSpeed(speed: number): Promise<void> {
    return this._command({ kind: 'speed', speed }).then(() => undefined);
  }
  act(action: LabAction): Promise<boolean> {
    return this._command({ kind: 'act', action }).then((r) => r === true);
  }
  kill(ref: VmRef): Promise<boolean> {
    return this.act({ kind: ref === 'primary' ? 'kill-primary' : 'kill-backup' });
  }
  powerOffPrimary(): Promise<boolean> {
    return this.act({ kind: 'power-off-primary' });
  }
  cutChannel(direction: 'both' | 'to-backup' | 'to-primary' = 'both'): Promise<boolean> {
    return this.act({ kind: 'cut-channel', direction });
  }
  heal(): Promise<boolean> {
    return this.act({ kind: 'heal' });
  }
  partitionFromStorage(vm: VmRef): Promise<boolean> {
    return this.act({ kind: 'partition-storage', vm });
  }
  partitionFromClients(vm: VmRef): Promise<boolean> {
    return this.act({ kind: 'partition-clients', vm });
  }
  slowChannel(latencyMs: number, bandwidthMbps?: number): Promise<boolean> {
    return this.act({ kind: 'slow-channel', latencyMs, ...(bandwidthMbps !== undefined ? { bandwidthMbps } : {}) });
  }
  setLink(link: LinkClass, change: LinkChange): Promise<boolean> {
    return this.act({ kind: 'set-link', link, ...change });
  }
  pauseVm(vm: VmRef): Promise<boolean> {
    return this.act({ kind: 'pause', vm });
  }
  dropMessage(id: string): Promise<boolean> {
    return this.act({ kind: 'drop-message', id });
  }
  resumeVm(vm: VmRef): Promise<boolean> {
    return this.act({ kind: 'resume', vm });
  }
  restartBackup(): Promise<boolean> {
    return this.act({ kind: 'restart-backup' });
  }
  request(text: string, id = 1): Promise<boolean> {
    return this.act({ kind: 'request', client: id, text });
  }
  setWorkload(count: number, thinkMs = 20): Promise<boolean> {
    return this.act({ kind: 'workload', count, perSecond: Math.round((1000 / thinkMs) * 1000) / 1000 });
  }

  seek(t: number): Promise<void> {
    return this._command({ kind: 'seek', t }).then(() => undefined);
  }
  answer(choice: number): Promise<void> {
    return this._command({ kind: 'answer', choice }).then(() => undefined);
  }
  nextStep(): Promise<boolean> {
    return this._command({ kind: 'next-step' }).then((r) => r === true);
  }
  skipStep(): Promise<void> {
    return this._command({ kind: 'skip-step' }).then(() => undefined);
  }
  async exportRecording(title: string): Promise<{ bytes: Uint8Array; endMs: number; program: string }> {
    const r = await this._command({ kind: 'export', title });
    if (!r) throw new Error('the session was replaced before its recording was made');
    return r as { bytes: Uint8Array; endMs: number; program: string };
  }
  async shareLink(): Promise<string> {
    return String(await this._command({ kind: 'share-link' }));
  }
  async stateHashes(): Promise<Checkpoint['vms']> {
    return ((await this._command({ kind: 'state-hashes' })) ?? []) as Checkpoint['vms'];
  }
  async checkpoints(): Promise<readonly Checkpoint[]> {
    return ((await this._command({ kind: 'checkpoints' })) ?? []) as Checkpoint[];
  }

  dispose(): void {
    this._disposed = true;
    this._traceListeners.clear();
    this._eventListeners.clear();
    void this._gen.then((gen) => this.host.dispose(gen));
  }
}
