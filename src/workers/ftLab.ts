// The Web Worker runtime's coordinator (main thread). Each VM's hypervisor runs in its own module
// worker; the logging channel is a MessageChannel whose ports belong to the two VM workers. Shared
// storage, the switch and the clients are engine nodes living here, in a Realm of their own; what
// they send, and what the VMs send them, travels on the engine's Network, as in the simulator.
// Killing a VM terminates its worker (fail-stop). Control is plain method calls; the UI reads the
// merged trace (labTrace.ts: batched per frame) and polls inspect().

import * as Comlink from 'comlink';
import { DEFAULT_FT_CONFIG, type FtConfig } from '../engine/ft/hypervisor';
import { isClientNode, nthVm, type NodeEnv, type NodeId } from '../engine/ft/messages';
import type { SharedStorage } from '../engine/ft/storage';
import type { Role, TraceBody, TraceEvent } from '../engine/ft/trace';
import type { LabAction } from '../engine/session/actions';
import { backupOf, primaryOf, type FaultHost, type FaultVm } from '../engine/sim/faults';
import type { Fault } from '../engine/sim/scenario';
import { cappedHistory, HISTORY_PER_CLIENT, type LabVerdicts } from '../engine/sim/checkers/verdicts';
import type { Client, ClientOp, ClientRoster } from '../engine/sim/clients';
import type { LinkConfig, LinkClass, Network } from '../engine/sim/network';
import { Services, actOn, type VmPlacement } from '../engine/sim/services';
import { Rng } from '../engine/util/rng';
import type { FoldTally } from './flow';
import type { LabController, LinkChange } from './labController';
import { LabTrace } from './labTrace';
import type { NetLedger } from './netLedger';
import type { NetPortMessage, VmInit, VmInspect } from './protocol';
import { Realm, reanchor, virtualAt, wallNow, type ClockState, type Envelope } from './realm';
import { newPairMemory, type SharedClockInit } from './sharedClock';
import type { VmWorkerApi } from './vmWorkerApi';

export type CreateVmWorker = () => Worker;

/** A VM's end of its pair's clock: the port, and the shared cell where the page may share memory. */
interface ClockEnd {
  readonly port: MessagePort;
  readonly shared: SharedClockInit | null;
}

interface VmHandle {
  readonly id: NodeId;
  readonly worker: Worker;
  readonly api: Comlink.Remote<VmWorkerApi>;
  readonly net: MessagePort;
  alive: boolean;
  crashed: string | null;
  last: VmInspect | null;
}

export interface LabOptions {
  readonly image: Uint8Array;
  readonly program: string;
  readonly config?: Partial<FtConfig>;
  readonly seed?: number;
  /** Virtual ms per wall ms at start. */
  readonly speed?: number;
  /** FT off: one VM, live from the start, no backup and no logging (the baseline). */
  readonly noBackup?: boolean;
  readonly createWorker: CreateVmWorker;
}

/** A client gives up on a reply after this long (virtual ms at 1×; see _clientEnv). */
const CLIENT_TIMEOUT_MS = 300;
/** Frames a switch port holds for one client before it drops more. */
const SWITCH_QUEUE = 1024;
/** At most this share of each window of wall time goes to taking in the workers' trace batches (see _ack). */
const INGEST_WINDOW_MS = 100;
const INGEST_SHARE = 0.5;
/** The clock governor looks at how far behind each realm stayed over this much wall time. */
const BEHIND_WINDOW_MS = 300;
/** Page frames: over this far apart a frame came late; the governor eases the clock above so many late a second, and stops ramping it up above so many. */
const LATE_FRAME_MS = 25;
const FRAME_WINDOW_MS = 1000;
const LATE_FRAMES_EASE = 3;
const LATE_FRAMES_HOLD = 1;

export type { LabVerdicts };

export class FtLab implements LabController {
  readonly kind = 'workers' as const;
  readonly realm: Realm;
  readonly config: FtConfig;
  /**
   * The network and switch, shared storage, the clients and the faults, on this realm's scheduler:
   * the simulator's own (services.ts), with the VMs placed in workers. (The logging channel runs
   * between the VM workers.)
   */
  readonly services: Services;
  readonly network: Network;
  readonly storage: SharedStorage;
  readonly clients: ClientRoster;
  readonly vms: VmHandle[] = [];
  /** The trace merged, the roles it tells, the checkers' monitor and the views' batches (labTrace.ts). */
  private readonly _trace: LabTrace;
  private _seed: number;
  private _disposed = false;

  constructor(readonly opts: LabOptions) {
    this._seed = opts.seed ?? 1;
    this.config = { ...DEFAULT_FT_CONFIG, ...opts.config };
    // Virtual time starts when both VM workers are up (module load takes a while), not before.
    const clock: ClockState = { speed: Math.min(1, opts.speed ?? 1), paused: true, anchorWall: wallNow(), anchorVirtual: 0 };
    this.realm = new Realm(clock);
    // (The page's own events come in order: only the workers' batches need the ledger.)
    this._trace = new LabTrace(this.config, CLIENT_TIMEOUT_MS);
    this.realm.onTrace = (events) => this._trace.accept(events);
    this.services = new Services({
      sched: this.realm.sched,
      netRng: new Rng(this._nextSeed()),
      switchQueue: SWITCH_QUEUE,
      trace: (body, at) => this._traceAt(at, body),
      env: (id) => this._env(id),
      program: opts.program,
      clientTimeoutMs: CLIENT_TIMEOUT_MS,
      maxHistoryPerClient: HISTORY_PER_CLIENT,
    });
    this.network = this.services.net;
    this.storage = this.services.storage;
    this.clients = this.services.roster;
    this.realm.sched.dispatch = (kind, data) => this.network.dispatch(kind, data);
    this._faultHost = this.services.faultHost(this._placement());
    const a = this._spawn('primary', null);
    const b = opts.noBackup ? null : this._spawn('backup', a.id);
    const inits = b ? [this._init(a, 'primary', b.id), this._init(b, 'backup', a.id)] : [this._init(a, 'live', null)];
    this.ready = Promise.all(inits).then(() => {
      if (!this._disposed && !this._userPaused) this._setClock(reanchor(this.realm.clock, wallNow(), { paused: false }));
    });
    this.network.macOwner = a.id;
    this._userSpeed = opts.speed ?? 1;
    this._governorTimer = setInterval(() => this._govern(), 100);
    this._watchFrames();
    this.realm.start();
  }

  /** When the page's recent frames came late (over LATE_FRAME_MS apart): the page is short of CPU. */
  private readonly _lateFrames: number[] = [];
  private _watchFrames(): void {
    if (typeof requestAnimationFrame !== 'function') return;
    let last = performance.now();
    const tick = (now: number): void => {
      if (this._disposed) return;
      if (now - last > LATE_FRAME_MS) this._lateFrames.push(now);
      last = now;
      while (this._lateFrames.length > 0 && this._lateFrames[0]! < now - FRAME_WINDOW_MS) this._lateFrames.shift();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  /** Resolves when both VM workers are running. */
  readonly ready: Promise<void>;
  /** The speed the user asked for; the governor may run slower so every realm keeps up. */
  private _userSpeed: number;
  /** Each VM realm's recent reports of how far behind the clock it is (wall time, ms behind). */
  private readonly _behind = new Map<NodeId, { at: number; ms: number }[]>();
  /** A VM's worker ended: what the logging channel carried to it is lost. */
  private _died(id: NodeId): void {
    const out: TraceEvent[] = [];
    this.net.died(id, this.realm.sched.now, out);
    this._trace.accept(out);
  }

  /** A VM is gone: its peer stops waiting for its clock (and says what it had received from it). */
  private _gone(id: NodeId): void {
    // The shared clock's now: the VMs' realms run on it, while this (busy) thread may lag behind.
    const at = Math.max(this.realm.sched.now, virtualAt(this.realm.clock, wallNow()));
    this.network.kill(id, at);
    for (const v of this.vms) if (v.alive && v.id !== id) v.net.postMessage({ kind: 'clock/gone', id, at } satisfies NetPortMessage);
  }
  private _governorTimer: ReturnType<typeof setInterval> | null = null;

  /**
   * VMs in different workers share one clock. A worker that cannot keep up would fall behind the
   * others and look dead to its peer, so the clock never runs faster than every realm can follow:
   * it ramps up towards the requested speed while all keep up and halves when one falls behind.
   */
  private _govern(): void {
    if (this.realm.clock.paused) return;
    // A realm's lag that lasts: the least it reported over the last BEHIND_WINDOW_MS. A moment
    // without CPU (the page drawing, the other worker) or waiting for the peer's promise is made
    // up at once and is no reason to slow the clock; a lag that does not shrink is.
    const since = performance.now() - BEHIND_WINDOW_MS;
    const lasting = (id: NodeId): number => {
      const xs = (this._behind.get(id) ?? []).filter((x) => x.at >= since);
      return xs.length === 0 ? 0 : Math.min(...xs.map((x) => x.ms));
    };
    const worst = Math.max(this.realm.behindMs, ...this.vms.filter((v) => v.alive).map((v) => lasting(v.id)));
    // Waiting for the peer realm (up to half a timeout of skew) is normal; beyond that the clock is too fast.
    const limit = this.config.failureTimeoutMs * 0.75;
    const current = this.realm.clock.speed;
    if (worst > limit) {
      // Slower, and the clock taken back to where the realm that lags has got: a backlog left in
      // place could only be made up by running slower still than the pair can go, for as long.
      // (No realm's time goes back: one ahead of the clock waits for it.)
      const c = reanchor(this.realm.clock, wallNow(), { speed: Math.max(0.001, current * 0.85) });
      this._behind.clear();
      this._setClock({ ...c, anchorVirtual: c.anchorVirtual - worst });
      return;
    }
    // The page drawing late: above real time the VM workers take the CPU it needs (on a busy or
    // small machine), and a clock a little slower gives it back; at 1× or below they idle anyway.
    // (counted here, not by the frames' own trimming: a hidden page draws no frames at all)
    const late = this._lateFrames.filter((t) => t >= performance.now() - FRAME_WINDOW_MS).length;
    if (late > LATE_FRAMES_EASE && current > 1) {
      this._setClock(reanchor(this.realm.clock, wallNow(), { speed: Math.max(1, current * 0.85) }));
      return;
    }
    if (late > LATE_FRAMES_HOLD) return;
    if (worst < limit / 4 && current < this._userSpeed) this._setClock(reanchor(this.realm.clock, wallNow(), { speed: Math.min(this._userSpeed, current * 1.1) }));
  }

  /** True when the clock runs slower than asked because the machine cannot keep up. */
  get governed(): boolean {
    return this.realm.clock.speed < this._userSpeed * 0.999;
  }

  /** The speed virtual time runs at now (virtual ms per wall ms). */
  get effectiveSpeed(): number {
    return this.realm.clock.speed;
  }
  private _userPaused = false;

  private _nextSeed(): number {
    this._seed = (Math.imul(this._seed, 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return this._seed;
  }

  // ------------------------------------------------------------ VMs

  private _pendingLogPorts = new Map<NodeId, MessagePort>();
  private _pendingClockPorts = new Map<NodeId, ClockEnd>();

  private _spawn(role: 'primary' | 'backup', peer: NodeId | null): VmHandle {
    const id = nthVm(this.vms.length);
    const worker = this.opts.createWorker();
    const api = Comlink.wrap<VmWorkerApi>(worker);
    const ch = new MessageChannel();
    const h: VmHandle = { id, worker, api, net: ch.port1, alive: true, crashed: null, last: null };
    // (timed from before `data` is read: unpacking a batch is part of what it costs this thread)
    ch.port1.onmessage = (e: MessageEvent<NetPortMessage>) => {
      const t0 = performance.now();
      this._onNet(h, e.data, t0);
    };
    worker.addEventListener('error', (e) => this._crashed(h, e.message || 'worker error'));
    this.vms.push(h);
    this._netPorts.set(id, ch.port2);
    // What the network delivers to the VM leaves for its worker, stamped with its arrival time (no
    // id: the page traced its outcome, the worker takes it in at once).
    this.network.attach(id, { receive: (msg, from) => h.net.postMessage({ kind: 'net/envelope', env: { from, to: id, stamp: this.realm.sched.now, msg } } satisfies NetPortMessage) });
    if (role === 'backup' && peer) {
      // The logging channel between the new pair: one port each.
      const log = new MessageChannel();
      this._pendingLogPorts.set(id, log.port1);
      this._pendingLogPorts.set(peer, log.port2);
      const clock = new MessageChannel();
      const cell = newPairMemory();
      this._pendingClockPorts.set(id, { port: clock.port1, shared: cell && { buffer: cell, side: 0 } });
      this._pendingClockPorts.set(peer, { port: clock.port2, shared: cell && { buffer: cell, side: 1 } });
    }
    return h;
  }
  private _netPorts = new Map<NodeId, MessagePort>();

  /** VM `id`'s ends of a new pair's logging channel and clock port (made by _spawn), handed over once. */
  private _takePorts(id: NodeId): { log: MessagePort | null; clock: ClockEnd | null } {
    const log = this._pendingLogPorts.get(id) ?? null;
    const clock = this._pendingClockPorts.get(id) ?? null;
    this._pendingLogPorts.delete(id);
    this._pendingClockPorts.delete(id);
    return { log, clock };
  }

  /** `fresh`: a new backup for FT VMotion, booted with no image (it waits for the live VM's snapshot). */
  private _init(h: VmHandle, role: 'primary' | 'backup' | 'live', peer: NodeId | null, fresh = false): Promise<void> {
    const net = this._netPorts.get(h.id)!;
    const { log, clock } = this._takePorts(h.id);
    this._trace.roles.set(h.id, role);
    const init: VmInit = {
      id: h.id,
      role,
      peer,
      image: fresh ? null : this.opts.image,
      config: this.config,
      clock: this.realm.clock,
      channel: this.links.channel,
      seed: this._nextSeed(),
      slackMs: this.config.failureTimeoutMs / 2,
    };
    return h.api.init(init, Comlink.transfer(net, [net]), log ? Comlink.transfer(log, [log]) : null, clock ? Comlink.transfer(clock.port, [clock.port]) : null, clock?.shared ?? null);
  }

  private _crashed(h: VmHandle, error: string): void {
    if (!h.alive) return;
    h.alive = false;
    h.crashed = error;
    h.worker.terminate(); // an exception is treated as fail-stop: the VM is gone
    this._gone(h.id);
    this._trace.accept([
      { type: 'vm/role', vm: h.id, role: 'dead', reason: `worker crashed: ${error}`, t: this.realm.sched.now } as TraceEvent,
    ]);
    this._died(h.id);
  }

  private _onNet(h: VmHandle, m: NetPortMessage, t0 = performance.now()): void {
    if (!h.alive) return;
    switch (m.kind) {
      case 'trace/batch': {
        this._trace.ingest(m.events, m.folded);
        this._ack(h, 'trace', performance.now() - t0);
        break;
      }
      case 'net/envelopes': {
        // (acknowledged at once: replies and test-and-set ride here, and a client must not time out for the trace's sake)
        // Their net/sent (and drops) go into the trace as one batch.
        const batch: TraceEvent[] = (this._netBatch = []);
        for (const env of m.envs) this._route(env);
        this._netBatch = null;
        this._trace.accept(batch);
        this.realm.kick();
        h.net.postMessage({ kind: 'ack', what: 'net' } satisfies NetPortMessage);
        break;
      }
      case 'vm/crashed':
        this._crashed(h, m.error);
        break;
      case 'realm/progress':
        {
          // (only the window's reports are kept, paused or not)
          const now = performance.now();
          const xs = (this._behind.get(m.id) ?? []).filter((x) => x.at >= now - BEHIND_WINDOW_MS);
          xs.push({ at: now, ms: m.behindMs });
          this._behind.set(m.id, xs);
        }
        this._portDropped.set(m.id, m.framesDropped);
        break;
      case 'net/envelope':
        this._route(m.env);
        this.realm.kick();
        break;
      case 'log/gone': {
        const out: TraceEvent[] = [];
        this.net.senderGone(m.from, h.id, m.lastN, this.realm.sched.now, out);
        this._trace.accept(out);
        break;
      }
    }
  }

  /**
   * Acknowledge a trace batch, so the worker may post another. Taking batches in costs the page's
   * main thread; past INGEST_SHARE of each window of wall time, acknowledgements wait for the next
   * window, and the VMs (held by their outboxes) run no faster than the page can follow.
   */
  private _ack(h: VmHandle, what: 'trace', costMs: number): void {
    const now = performance.now();
    if (now >= this._ingestWindow.end) this._ingestWindow = { end: now + INGEST_WINDOW_MS, spent: 0 };
    this._ingestWindow.spent += costMs;
    const send = (): void => {
      if (h.alive) h.net.postMessage({ kind: 'ack', what } satisfies NetPortMessage);
    };
    if (this._ingestWindow.spent <= INGEST_WINDOW_MS * INGEST_SHARE) send();
    else setTimeout(send, Math.max(0, this._ingestWindow.end - now));
  }
  private _ingestWindow = { end: 0, spent: 0 };

  /** A message from a VM to the switch, storage or a client, sent at its own virtual time under its own id. */
  private _route(env: Envelope): void {
    this.network.send(env.from, env.to, env.msg, { stamp: env.stamp, id: env.id });
  }

  /** A net event at virtual time `t` (a VM's send is stamped in its own realm). */
  private _traceAt(t: number, body: TraceBody): void {
    const ev = { ...body, t } as TraceEvent;
    if (this._netBatch) this._netBatch.push(ev);
    else this._trace.accept([ev]);
  }
  /** Set while a VM's batch of envelopes is routed. */
  private _netBatch: TraceEvent[] | null = null;

  /** Frames dropped on their way to clients: by the switch (no such client, a full port queue), or by a VM's port. */
  get framesDropped(): number {
    let n = this.network.framesDropped;
    for (const d of this._portDropped.values()) n += d;
    return n;
  }
  /** Frames each VM's port to the switch dropped before they reached this thread (vmWorkerApi.ts). */
  private readonly _portDropped = new Map<NodeId, number>();

  get macOwner(): NodeId | null {
    return this.network.macOwner;
  }

  get links(): Record<LinkClass, LinkConfig> {
    return this.network.links;
  }

  /**
   * The learner drops message `id` if it is still on the wire: one the page carries (client
   * links, storage, the switch) here; one on the logging channel in its receiver's worker. A
   * reliable link resends it (`id.r`) after the retransmission timeout; a client link loses it.
   */
  async dropMessage(id: string): Promise<boolean> {
    const m = this.network.inFlight().includes(id) ? undefined : this.net.open.get(id);
    if (m) {
      const v = this._handle(m.to);
      // (a worker terminated mid-call never answers: don't wait for it)
      if (v && (await Promise.race([v.api.dropMessage(id), new Promise<false>((r) => setTimeout(() => r(false), 1000))]).catch(() => false)) === true) this._droppedInWorker.add(id);
    }
    return this.act({ kind: 'drop-message', id });
  }

  // ------------------------------------------------------------ trace

  /** Trace events, at most once per animation frame. Returns an unsubscribe. */
  onTrace(l: (events: readonly TraceEvent[]) => void): () => void {
    return this._trace.onTrace(l);
  }

  get trace(): TraceEvent[] {
    return this._trace.trace;
  }

  /** Each VM's role, as its trace reports it. */
  get roles(): ReadonlyMap<NodeId, Role> {
    return this._trace.roles;
  }

  /** The logging channel's messages on the wire, as the workers' traces tell it (see netLedger.ts). */
  get net(): NetLedger {
    return this._trace.net;
  }

  /** Trace events the views did not get, per kind. */
  get traceFolded(): FoldTally {
    return this._trace.traceFolded;
  }

  private _note(body: TraceBody): void {
    this._trace.accept([{ ...body, t: this.realm.sched.now } as TraceEvent]);
  }

  // ------------------------------------------------------------ time

  get virtualNow(): number {
    return this.realm.sched.now;
  }

  get clock(): ClockState {
    return this.realm.clock;
  }

  private _setClock(c: ClockState): void {
    this.realm.clock = c;
    this.realm.kick();
    for (const v of this.vms) if (v.alive) void v.api.setClock(c);
  }

  setSpeed(speed: number): void {
    this._userSpeed = speed;
    // Slowing down is immediate; speeding up ramps (see _govern), so no realm is left behind.
    const now = Math.min(speed, Math.max(this.realm.clock.speed, Math.min(speed, 1)));
    this._setClock(reanchor(this.realm.clock, wallNow(), { speed: now }));
  }

  pause(): void {
    this._userPaused = true;
    this._setClock(reanchor(this.realm.clock, wallNow(), { paused: true }));
  }

  resume(): void {
    this._userPaused = false;
    this._setClock(reanchor(this.realm.clock, wallNow(), { paused: false }));
  }

  /** While paused: move every realm forward by `ms` of virtual time (one slice by default). */
  step(ms = this.config.sliceMs): void {
    this._userPaused = true;
    const c = reanchor(this.realm.clock, wallNow(), { paused: true });
    this._setClock({ ...c, anchorVirtual: c.anchorVirtual + ms });
  }

  // ------------------------------------------------------------ faults

  /**
   * A learner's action, with the simulator's meaning (faults.ts: which VM it names, what it does,
   * the words the trace says it in), carried out on workers and ports by `_faultHost`.
   */
  act(a: LabAction): boolean {
    switch (a.kind) {
      case 'request':
        return this.request(a.text, a.client);
      case 'workload':
        this.setWorkload(a.count, 1000 / a.perSecond);
        return true;
      default: {
        const now = this.realm.sched.now;
        const detail = actOn(this._faultHost, { ...a, at: now } as Fault, now, (body, t) => this._traceAt(t, body));
        this.realm.kick();
        return detail !== null;
      }
    }
  }

  private _vmView(): FaultVm[] {
    return this.vms.map((v) => ({ id: v.id, role: v.alive ? (this.roles.get(v.id) ?? 'dead') : 'dead', generation: this._trace.generation(v.id), paused: this._paused.has(v.id) }));
  }
  private readonly _paused = new Set<NodeId>();
  /** Logging-channel directions cut (`from>to`): each VM's worker drops what crosses one. */
  private readonly _channelCut = new Set<string>();
  /** Logging-channel messages a receiving worker dropped (dropMessage): the fault then says so. */
  private readonly _droppedInWorker = new Set<string>();
  private _restarting: Promise<NodeId | null> = Promise.resolve(null);

  private _handle(id: NodeId): VmHandle | undefined {
    return this.vms.find((v) => v.id === id && v.alive);
  }

  /** What the learner's faults (faults.ts) do here: on the VMs' workers and the page's links. */
  private readonly _faultHost: FaultHost;

  /** The VMs are workers: what a fault does to them, their ports and the logging channel between them. */
  private _placement(): VmPlacement {
    return {
      vmList: () => this._vmView(),
      channelChanged: () => {
        for (const v of this.vms) if (v.alive) void v.api.setChannel({ ...this.links.channel });
      },
      kill: (id) => {
        const v = this._handle(id);
        if (!v) return;
        v.worker.terminate();
        v.api[Comlink.releaseProxy]();
        v.alive = false;
        this._gone(v.id);
        this._note({ type: 'vm/role', vm: v.id, role: 'dead', reason: 'killed (worker terminated)' });
        this._died(v.id);
      },
      powerOff: (id) => void this._handle(id)?.api.powerOff(),
      pause: (id, forMs) => {
        const v = this._handle(id);
        if (!v) return;
        this._paused.add(id);
        void v.api.pause();
        if (forMs !== undefined) this.realm.sched.after(Math.max(0, forMs), () => this._faultHost.resume(id));
      },
      resume: (id) => {
        this._paused.delete(id);
        void this._handle(id)?.api.resume();
      },
      setSpeedFactor: (id, speed) => {
        const v = this._handle(id);
        void v?.api.setSpeedFactor(speed);
        return v !== undefined;
      },
      // The logging channel between two VM workers: each drops what crosses a cut direction.
      blockChannel: (from, to) => {
        const a = this._handle(from);
        const b = this._handle(to);
        if (!a || !b) return false;
        this._channelCut.add(`${from}>${to}`);
        const back = this._channelCut.has(`${to}>${from}`);
        void a.api.setChannelBlocked(true, back);
        void b.api.setChannelBlocked(back, true);
        return true;
      },
      channelCut: () => this._channelCut.size > 0,
      healChannel: () => {
        this._channelCut.clear();
        for (const v of this.vms) if (v.alive) void v.api.setChannelBlocked(false, false);
      },
      dropOnChannel: (id) => this._droppedInWorker.delete(id),
      restartBackup: (liveId) => {
        const live = this._handle(liveId)!;
        const nb = this._spawn('backup', live.id);
        this._trace.joinGeneration(nb.id, live.id);
        const { log, clock } = this._takePorts(live.id);
        // The new worker boots first; only then does the live VM start logging to it. Virtual
        // time waits for the boot (Lockstep's FT VMotion is instant, as in the simulator: a boot
        // taking wall time must not read as the new backup's silence), then starts again no
        // faster than 1× and ramps up (see _govern): a cold worker keeps up at once.
        this._setClock(reanchor(this.realm.clock, wallNow(), { paused: true }));
        const booted = this._init(nb, 'backup', live.id, true).then(async () => {
          if (!live.alive) return null;
          await live.api.startBackup(nb.id, Comlink.transfer(log!, [log!]), Comlink.transfer(clock!.port, [clock!.port]), clock!.shared);
          return nb.id;
        });
        this._restarting = booted.finally(() => {
          if (!this._disposed) this._setClock(reanchor(this.realm.clock, wallNow(), { paused: this._userPaused, speed: Math.min(this.realm.clock.speed, 1) }));
        });
        return nb.id;
      },
    };
  }

  private _ref(ref: 'primary' | 'backup'): NodeId | null {
    return (ref === 'primary' ? primaryOf(this._vmView()) : backupOf(this._vmView()))?.id ?? null;
  }

  /** Fail-stop: terminate the VM's worker, mid-anything. */
  kill(ref: 'primary' | 'backup'): NodeId | null {
    const id = this._ref(ref);
    return this.act({ kind: ref === 'primary' ? 'kill-primary' : 'kill-backup' }) ? id : null;
  }

  powerOffPrimary(): void {
    this.act({ kind: 'power-off-primary' });
  }

  /** Cut the logging channel (both ways, or one direction). */
  cutChannel(direction: 'both' | 'to-backup' | 'to-primary' = 'both'): void {
    this.act({ kind: 'cut-channel', direction });
  }

  heal(): void {
    this.act({ kind: 'heal' });
  }

  partitionFromStorage(ref: 'primary' | 'backup'): void {
    this.act({ kind: 'partition-storage', vm: ref });
  }

  partitionFromClients(ref: 'primary' | 'backup'): void {
    this.act({ kind: 'partition-clients', vm: ref });
  }

  slowChannel(latencyMs: number, bandwidthMbps?: number): void {
    this.act({ kind: 'slow-channel', latencyMs, ...(bandwidthMbps !== undefined ? { bandwidthMbps } : {}) });
  }

  /** The stage's link sliders: a link's latency and bandwidth, and loss on the clients' network. */
  setLink(link: LinkClass, change: LinkChange): void {
    this.act({ kind: 'set-link', link, ...change });
  }

  pauseVm(ref: 'primary' | 'backup'): void {
    this.act({ kind: 'pause', vm: ref });
  }

  /** Restore redundancy: a new backup worker, started from a snapshot of the live VM (FT VMotion). */
  async restartBackup(): Promise<NodeId | null> {
    if (!this.act({ kind: 'restart-backup' })) return null;
    return this._restarting;
  }

  // ------------------------------------------------------------ clients

  /**
   * A node the page carries (storage, a client). The clients live on the page's thread, and every
   * request crosses to a VM worker and back: hops that cost wall time, which at speed s is s times
   * as much virtual time. So above 1× the clients think and wait s times longer in virtual time
   * (the same in wall time): the workload stays one the page can carry, and replies are not given
   * up on for the page's own latency.
   */
  private _env(id: NodeId): NodeEnv {
    const env = this.realm.env(id, this._nextSeed(), (to, msg) => this.network.send(id, to, msg));
    if (!isClientNode(id)) return env;
    return { ...env, after: (ms, fn) => env.after(ms * Math.max(1, this.realm.clock.speed), fn) };
  }

  client(id: number): Client {
    return this.services.client(id);
  }

  /** Send a request as client `id` (the terminal). False if that client is still waiting. */
  request(text: string, id = 1): boolean {
    const ok = this.client(id).request(text);
    this.realm.kick();
    return ok;
  }

  /** An automatic workload: `count` clients, each thinking `thinkMs` on average between requests (ids as in the simulator). */
  setWorkload(count: number, thinkMs = 20, keys = 4): void {
    this.services.setWorkload(count, thinkMs, keys);
    this.realm.kick();
  }

  /** Every client operation, for the checkers (histories capped per client: see cappedHistory). */
  history(): ClientOp[] {
    return cappedHistory(this.clients.all);
  }

  // ------------------------------------------------------------ views

  async inspect(memAddr = 0): Promise<(VmInspect | null)[]> {
    return Promise.all(
      this.vms.map(async (v) => {
        if (!v.alive) return v.last ? { ...v.last, role: 'dead' as const, haltReason: v.crashed ?? 'killed' } : null;
        // A call to a worker terminated mid-call never answers: don't wait for it.
        const answer = await Promise.race([v.api.inspect(memAddr, 64), new Promise<null>((r) => setTimeout(() => r(null), 1000))]).catch(() => null);
        if (answer && v.alive) v.last = answer;
        return v.alive || !v.last ? v.last : { ...v.last, role: 'dead' as const, haltReason: v.crashed ?? 'killed' };
      }),
    );
  }

  /** The checkers' verdicts now (labTrace.ts: the clients' check at most every VERDICT_EVERY_MS). */
  verdicts(): LabVerdicts {
    return this._trace.verdicts(this.opts.program, () => this.history(), (b) => this.storage.blockDigest(b), this.realm.sched.now);
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this.realm.stop();
    if (this._governorTimer !== null) clearInterval(this._governorTimer);
    for (const v of this.vms) {
      v.worker.terminate();
      v.alive = false;
    }
    this._trace.dispose();
  }
}
