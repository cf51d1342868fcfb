// The Web Workers runtime's trace on the page: the VM workers' batches merged (a message's net
// events in order: netLedger.ts), each VM's role and test-and-set generation as the trace tells
// them, the checkers' monitor (it sees every event), the trace kept (bounded), and the views' batch
// once an animation frame (in a flood, a thinned sample every FLOOD_VIEW_MS: flow.ts).

import type { FtConfig } from '../engine/ft/hypervisor';
import type { NodeId } from '../engine/ft/messages';
import type { Role, TraceEvent } from '../engine/ft/trace';
import { TraceMonitor, type LinearizabilityVerdict } from '../engine/sim/checkers/ftCheckers';
import { livenessOptions } from '../engine/sim/checkers/safety';
import { checkClients, judge, type LabVerdicts } from '../engine/sim/checkers/verdicts';
import type { ClientOp } from '../engine/sim/clients';
import { addTally, TraceFold, VIEW_FOLD_CAP, type FoldTally } from './flow';
import { NetLedger } from './netLedger';

const TRACE_KEEP = 50_000;
/** View batches in a flood come this often (ms), not every animation frame. */
const FLOOD_VIEW_MS = 100;
/** The linearizability check runs at most this often (wall ms: it grows with the history). */
const VERDICT_EVERY_MS = 500;

export class LabTrace {
  readonly trace: TraceEvent[] = [];
  /** Each VM's role, as its trace reports it. */
  readonly roles = new Map<NodeId, Role>();
  /** The logging channel's messages on the wire, as the workers' traces tell it (see netLedger.ts). */
  readonly net = new NetLedger();
  /** Trace events the views did not get, per kind. */
  readonly traceFolded: FoldTally = {};
  readonly monitor: TraceMonitor;
  private readonly _listeners = new Set<(events: readonly TraceEvent[]) => void>();
  /** The trace since the last animation frame as the views get it: a flood thinned (the checkers saw it all). */
  private readonly _pending = new TraceFold(VIEW_FOLD_CAP);
  private _frame: number | null = null;
  private _flooding = false;
  private _foldedSeen = 0;
  /** Who went live last is the service (the simulator's test-and-set generation). */
  private readonly _gen = new Map<NodeId, number>();
  private _gens = 0;

  /** `clientTimeoutMs`: how long a client waits for a reply (the liveness check's window, as in the simulator). */
  constructor(config: FtConfig, clientTimeoutMs: number) {
    this.monitor = new TraceMonitor({
      outputRule: config.outputRule,
      packetTimingLogged: !config.unlogged.includes('packet-timing'),
      liveness: livenessOptions(clientTimeoutMs, config.failureTimeoutMs),
    });
  }

  private _verdicts: LabVerdicts | null = null;
  private _clientCheck: { at: number; v: LinearizabilityVerdict | null } | null = null;

  /**
   * The checkers' verdicts at virtual time `now`. The clients' check (linearizability over every
   * operation) is the costly one: it is made at most every VERDICT_EVERY_MS; the rest read the
   * monitor, fresh on every call (a verdict must not say "not checked" for half a second after
   * the backup replayed). The same object while nothing changed: the page re-renders the
   * checkers' panel only on news.
   */
  verdicts(program: string, history: () => ClientOp[], blockDigest: (block: number) => number, now: number): LabVerdicts {
    const wall = performance.now();
    // A check made before any operation completed is not kept: it would say "not checked" for up
    // to half a second after replies came (and it cost nothing to make).
    let c = this._clientCheck;
    if (!c || c.v?.completed === 0 || wall - c.at >= VERDICT_EVERY_MS) this._clientCheck = c = { at: wall, v: checkClients(program, history()) };
    const v = judge({ program, monitor: this.monitor, clientCheck: c.v, blockDigest, now });
    if (this._verdicts && JSON.stringify(this._verdicts) === JSON.stringify(v)) return this._verdicts;
    this._verdicts = v;
    return v;
  }

  /** A worker's batch: net events in order per message (see netLedger.ts), the rest as they come. */
  ingest(incoming: readonly TraceEvent[], folded: FoldTally = {}): void {
    const events: TraceEvent[] = [];
    for (const ev of incoming) this.net.take(ev, events);
    this.accept(events);
    addTally(this.traceFolded, folded);
    this.monitor.replayed += folded['entry/replayed'] ?? 0;
  }

  /** Events past the ledger (the page's own come in order). */
  accept(events: readonly TraceEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'vm/role') {
        this.roles.set(ev.vm, ev.role);
        if (ev.role === 'live') this._gen.set(ev.vm, ++this._gens);
      }
      this.monitor.listener(ev);
      this.trace.push(ev);
    }
    if (this.trace.length > TRACE_KEEP * 1.2) this.trace.splice(0, this.trace.length - TRACE_KEEP);
    this._pending.add(events);
    if (this._frame === null && this._listeners.size > 0) {
      // In a flood (the last view batch left events out) a view batch every FLOOD_VIEW_MS: each
      // one sets the stage drawing, and a sample that often is all a flood needs.
      const raf = typeof requestAnimationFrame === 'function' && !this._flooding ? requestAnimationFrame : (f: () => void) => setTimeout(f, this._flooding ? FLOOD_VIEW_MS : 16);
      this._frame = raf(() => {
        this._frame = null;
        const { events: batch, folded } = this._pending.take();
        addTally(this.traceFolded, folded);
        let total = 0;
        for (const n of Object.values(this.traceFolded)) total += n;
        this._flooding = total > this._foldedSeen;
        this._foldedSeen = total;
        batch.sort((x, y) => x.t - y.t);
        for (const l of this._listeners) l(batch);
      }) as unknown as number;
    }
  }

  /** Trace events, at most once per animation frame. Returns an unsubscribe. */
  onTrace(l: (events: readonly TraceEvent[]) => void): () => void {
    this._listeners.add(l);
    return () => this._listeners.delete(l);
  }

  /** VM `id`'s pair's test-and-set generation (0 until it went live). */
  generation(id: NodeId): number {
    return this._gen.get(id) ?? 0;
  }

  /** A new backup joins its live VM's generation (FT VMotion). */
  joinGeneration(id: NodeId, of: NodeId): void {
    this._gen.set(id, this.generation(of));
  }

  dispose(): void {
    this._listeners.clear();
  }
}
