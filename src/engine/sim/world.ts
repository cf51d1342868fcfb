// SimRuntime: the whole FT world in one thread on virtual time. A seeded scheduler drives the
// primary and backup hypervisors, shared storage, the network with its switch, and the clients.
// Same scenario and seed, same run, bit for bit.

import { DEFAULT_FT_CONFIG, Hypervisor, type FtConfig } from '../ft/hypervisor';
import { STORAGE, nthVm, type Message, type NodeEnv, type NodeId, type Timer, type TimerTarget } from '../ft/messages';
import type { MachineSnapshot } from '../machine/machine';
import type { SharedStorage } from '../ft/storage';
import type { TraceBody, TraceEvent } from '../ft/trace';
import { workloadProgram } from '../programs/catalog';
import { shippedProgram } from '../programs/index';
import { Client, type ClientRoster, type Workload } from './clients';
import { backupOf, primaryOf, type FaultHost } from './faults';
import type { Network, NetworkState } from './network';
import { Services, actOn, type VmPlacement } from './services';
import { Rng, type RngState } from '../util/rng';
import type { Fault, Scenario } from './scenario';
import { Scheduler, type SchedulerState, type TimerId } from './scheduler';
import { SnapshotError, crc32, decodeGraph, encodeGraph, seal, unseal } from './snapshotCodec';

export type TraceListener = (ev: TraceEvent) => void;

export interface WorldOptions {
  /** Keep every trace event in `world.trace` (tests, the CLI); checkers listen either way. */
  readonly recordTrace?: boolean;
  /** A program image to run instead of the scenario's shipped program. */
  readonly image?: Uint8Array;
  /** FT off: one VM, live from the start, no backup and no logging (the baseline). */
  readonly noBackup?: boolean;
  /** The most operations each client keeps in its history (bookkeeping only: the run is the same). */
  readonly maxHistoryPerClient?: number;
}


/** A timer handle in the simulator: a scheduler event id, so a snapshot can hold it. */
class SimTimer implements Timer {
  constructor(
    private readonly _sched: Scheduler,
    readonly id: TimerId,
  ) {}
  cancel(): void {
    this._sched.cancel(this.id);
  }
}

/** A timer a node set, as scheduled data. */
interface TimerEvent {
  readonly node: NodeId;
  readonly key: string;
  readonly arg: number;
}

/**
 * Everything that makes up a world at one instant, as plain data (see `World.saveState`). The
 * scenario, program image and configuration are not in it: a state is restored into a world
 * built from the same ones (the fingerprint says which).
 */
export interface WorldState {
  readonly fingerprint: number;
  readonly sched: SchedulerState;
  readonly rng: RngState;
  readonly net: NetworkState;
  readonly storage: { readonly rng: RngState; readonly fields: Record<string, unknown> };
  readonly vms: readonly { readonly id: NodeId; readonly rng: RngState; readonly machine: MachineSnapshot; readonly yieldNow: boolean; readonly fields: Record<string, unknown> }[];
  readonly clients: readonly { readonly nodeId: NodeId; readonly rng: RngState; readonly fields: Record<string, unknown> }[];
  readonly vmCount: number;
  readonly maxClientId: number;
  readonly autoClients: readonly number[];
  readonly startup: readonly TraceEvent[];
  readonly emitted: number;
}

export class World {
  readonly sched = new Scheduler();
  readonly rng: Rng;
  /** The network and switch, shared storage, the clients and the faults (services.ts, as in the Web Workers runtime). */
  readonly services: Services;
  readonly net: Network;
  readonly storage: SharedStorage;
  readonly vms = new Map<NodeId, Hypervisor>();
  private readonly _roster: ClientRoster;
  /** Every client of the session (see ClientRoster). */
  readonly clients: readonly Client[];
  readonly config: FtConfig;
  readonly trace: TraceEvent[] = [];
  readonly image: Uint8Array;
  private readonly _listeners: TraceListener[] = [];
  private readonly _startup: TraceEvent[] = [];
  private readonly _record: boolean;
  private _vmCount = 0;
  private readonly _maxHistory: number;
  /** Who a timer event is for. */
  private readonly _timerTargets = new Map<NodeId, TimerTarget>();
  /** Trace events emitted so far (a restored world continues the count). */
  private _emitted = 0;
  private _fingerprint: number | null = null;
  private readonly _opts: WorldOptions;
  private readonly _faultHost: FaultHost;

  constructor(
    readonly scenario: Scenario,
    opts: WorldOptions = {},
  ) {
    this._opts = opts;
    this._record = opts.recordTrace ?? false;
    this.sched.dispatch = (kind, data) => this._dispatch(kind, data);
    this._maxHistory = opts.maxHistoryPerClient ?? Infinity;
    this.rng = new Rng(scenario.seed);
    this.config = { ...DEFAULT_FT_CONFIG, ...definedOnly(scenario.ft) };
    this.image = opts.image ?? shippedProgram(scenario.program).image;
    this.services = new Services({
      sched: this.sched,
      netRng: this._fork(),
      links: {
        channel: definedOnly(scenario.network.channel ?? {}),
        storage: definedOnly(scenario.network.storage ?? {}),
        clients: definedOnly(scenario.network.clients ?? {}),
      },
      trace: (body, at) => this._emit({ ...body, t: at }),
      env: (id) => this._env(id),
      placed: (id, node) => this._timerTargets.set(id, node),
      program: scenario.program,
      clientTimeoutMs: scenario.clients.timeoutMs,
      maxHistoryPerClient: this._maxHistory,
    });
    this.net = this.services.net;
    this.storage = this.services.storage;
    this._roster = this.services.roster;
    this.clients = this.services.clients;
    this._faultHost = this.services.faultHost(this._placement());
    if (opts.noBackup) {
      this.net.macOwner = this._spawnVm('live', null).id;
    } else {
      const a = this._spawnVm('primary', null);
      const b = this._spawnVm('backup', a.id);
      a.peer = b.id;
      this.net.macOwner = a.id;
    }
    const c = scenario.clients;
    for (let i = 1; i <= c.count; i++) {
      this._addClient(i, {
        kind: 'random',
        program: workloadProgram(scenario.program),
        thinkMs: c.thinkMs,
        keys: c.keys,
        startAt: c.startMs,
        stopAt: c.stopMs ?? scenario.durationMs - c.timeoutMs,
      });
    }
    const scripted = new Map<number, { at: number; text: string }[]>();
    for (const r of scenario.requests) {
      const list = scripted.get(r.client) ?? [];
      list.push({ at: r.at, text: r.request });
      scripted.set(r.client, list);
    }
    for (const [id, requests] of scripted) {
      if (this._roster.has(id)) continue;
      this._addClient(id, { kind: 'scripted', requests });
    }
    for (const f of scenario.faults) this.sched.post(f.at, 'fault', f);
  }

  /** Every scheduled event of the world is data; this runs one. */
  private _dispatch(kind: string, data: unknown): void {
    switch (kind) {
      case 'timer': {
        const t = data as TimerEvent;
        const target = this._timerTargets.get(t.node);
        if (!target) throw new Error(`a timer for ${t.node}, which is not in this world`);
        target.onTimer(t.key, t.arg);
        return;
      }
      case 'net/deliver':
      case 'net/mac':
        this.net.dispatch(kind, data);
        return;
      case 'fault':
        this.applyFault(data as Fault);
        return;
      case 'resume':
        this.vms.get((data as { vm: NodeId }).vm)?.resume();
        return;
      default:
        throw new Error(`unknown scheduled event ${kind}`);
    }
  }

  /** Trace events emitted since the world began (a restored world continues the count). */
  get emitted(): number {
    return this._emitted;
  }

  /** Which scenario, program and options this world was built from (a state restores only into the same). */
  get fingerprint(): number {
    if (this._fingerprint === null) {
      const opts = { noBackup: this._opts.noBackup ?? false, maxHistory: this._opts.maxHistoryPerClient ?? null };
      const text = JSON.stringify([this.scenario, opts, crc32(this.image)]);
      this._fingerprint = crc32(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)) ^ text.length;
    }
    return this._fingerprint;
  }

  /**
   * The whole world now, as plain data: the scheduler's queue (timers, messages in flight, faults
   * to come), every VM (machine, hypervisor state: log buffers, held outputs, pending disk I/O),
   * storage, the network and switch, clients with their histories, and every random source.
   * Call it between events (not from inside one).
   */
  saveState(): WorldState {
    const rngOf = (n: { env: NodeEnv }): RngState => n.env.rng.save();
    return {
      fingerprint: this.fingerprint,
      sched: this.sched.save(),
      rng: this.rng.save(),
      net: this.net.saveState(),
      storage: { rng: rngOf(this.storage), fields: fieldsOf(this.storage, ['env']) },
      vms: [...this.vms.values()].map((vm) => ({
        id: vm.id,
        rng: rngOf(vm),
        machine: vm.machine.snapshot(),
        yieldNow: (vm.machine as unknown as { _yieldNow: boolean })._yieldNow,
        fields: fieldsOf(vm, ['env', 'config', 'machine']),
      })),
      clients: this.clients.map((c) => ({ nodeId: c.nodeId, rng: rngOf(c), fields: fieldsOf(c, ['env']) })),
      vmCount: this._vmCount,
      ...this._roster.save(),
      startup: this._startup,
      emitted: this._emitted,
    };
  }

  /**
   * Put the world back to a saved state (in place: whoever holds this World keeps it). With
   * `recordTrace`, `trace` keeps the events up to the state when it has them (a rewind), else it
   * restarts empty.
   */
  loadState(s: WorldState): void {
    if (s.fingerprint !== this.fingerprint) throw new SnapshotError('the snapshot is of another scenario, program or set of options');
    this.sched.load(s.sched);
    this.rng.restore(s.rng);
    this.net.loadState(s.net);
    Object.assign(this.storage, s.storage.fields);
    this.storage.env.rng.restore(s.storage.rng);
    this.vms.clear();
    this._timerTargets.clear();
    this._timerTargets.set(STORAGE, this.storage);
    this.net.detachAll();
    this.net.attach(STORAGE, this.storage);
    for (const v of s.vms) {
      // Built by its constructor (in a world of its own), then given the saved fields: an object
      // of the class's own shape keeps the engine's code fast.
      const vm = new Hypervisor(inertEnv(v.id), this.config, 'live', null, null);
      Object.assign(vm, v.fields, { env: this._env(v.id, restoredRng(v.rng)), config: this.config });
      vm.machine.restore(v.machine);
      (vm.machine as unknown as { _yieldNow: boolean })._yieldNow = v.yieldNow;
      this.vms.set(v.id, vm);
      this.net.attach(v.id, vm);
      this._timerTargets.set(v.id, vm);
    }
    const clients = s.clients.map((c) => {
      const f = c.fields as { id: number; timeoutMs: number };
      const client = new Client(inertEnv(c.nodeId), f.id, { kind: 'scripted', requests: [] }, f.timeoutMs);
      Object.assign(client, c.fields, { env: this._env(c.nodeId, restoredRng(c.rng)) });
      this.net.attach(c.nodeId, client);
      this._timerTargets.set(c.nodeId, client);
      return client;
    });
    this._roster.load(clients, s);
    this._vmCount = s.vmCount;
    this._startup.length = 0;
    this._startup.push(...s.startup);
    this.trace.length = this.trace.length >= s.emitted && this._emitted >= s.emitted ? s.emitted - (this._emitted - this.trace.length) : 0;
    this._emitted = s.emitted;
  }

  /** The hooks that turn timer handles into scheduler ids and back. */
  get codecHooks(): { toId(v: object): number | undefined; fromId(id: number): unknown } {
    return {
      toId: (v) => (v instanceof SimTimer ? v.id : undefined),
      fromId: (id) => new SimTimer(this.sched, id),
    };
  }

  /** The world as sealed bytes (format version, deflate, CRC-32). */
  snapshot(): Uint8Array {
    return seal(encodeGraph(this.saveState(), this.codecHooks));
  }

  /** Restore from `snapshot()` bytes. A damaged, cut-short or foreign snapshot throws SnapshotError and changes nothing. */
  restore(bytes: Uint8Array): void {
    const state = decodeGraph(unseal(bytes), this.codecHooks) as WorldState;
    this.loadState(state);
  }

  /**
   * Listen to the trace. A listener added before the world has run anything first hears what
   * happened while it was built (the VMs' starting roles), so checkers miss nothing.
   */
  onTrace(l: TraceListener): () => void {
    if (this.sched.executed === 0) for (const ev of this._startup) l(ev);
    this._listeners.push(l);
    return () => {
      const i = this._listeners.indexOf(l);
      if (i >= 0) this._listeners.splice(i, 1);
    };
  }

  get now(): number {
    return this.sched.now;
  }

  /** Run the scenario to its end (or to `untilMs`). */
  run(untilMs = this.scenario.durationMs): void {
    this.sched.runUntil(untilMs);
  }

  /**
   * The VM acting as primary (or live), if any. A stale one (say a paused primary whose backup
   * took over) may still think it is primary: the newest test-and-set generation is the service.
   */
  get primary(): Hypervisor | undefined {
    return primaryOf(this.vms.values());
  }

  get backup(): Hypervisor | undefined {
    return backupOf(this.vms.values());
  }

  private _fork(): Rng {
    return new Rng(this.rng.nextU32());
  }

  private _emit(ev: TraceEvent): void {
    this._emitted++;
    if (this.sched.executed === 0) this._startup.push(ev);
    if (this._record) this.trace.push(ev);
    for (const l of this._listeners) l(ev);
  }

  private _env(id: NodeId, rng = this._fork()): NodeEnv {
    const sched = this.sched;
    return {
      id,
      rng,
      now: () => sched.now,
      // Timers are data (node, key, arg), never the closure: a snapshot holds the whole queue.
      after: (ms: number, _fn: () => void, key?: string, arg = 0): Timer => {
        if (key === undefined) throw new Error(`${id} set a timer with no name: the simulator schedules only data`);
        const ev: TimerEvent = { node: id, key, arg };
        return new SimTimer(sched, sched.post(sched.now + Math.max(0, ms), 'timer', ev));
      },
      send: (to: NodeId, msg: Message) => this.net.send(id, to, msg),
      trace: (body: TraceBody) => this._emit({ ...body, t: sched.now }),
    };
  }

  /** A VM booted from the program image, or (image null) a new backup waiting for FT VMotion. */
  private _spawnVm(role: 'primary' | 'backup' | 'live', peer: NodeId | null, image: Uint8Array | null = this.image): Hypervisor {
    const id = nthVm(this._vmCount++);
    const vm = new Hypervisor(this._env(id), this.config, role, peer, image);
    this.vms.set(id, vm);
    this.net.attach(id, vm);
    this._timerTargets.set(id, vm);
    return vm;
  }

  private _addClient(id: number, workload: Workload): Client {
    return this.services.addClient(id, workload);
  }

  /** An automatic workload from now on: `count` random clients (ids from 100), replacing the previous ones. */
  setWorkload(count: number, thinkMs = 20, keys = 4): void {
    this.services.setWorkload(count, thinkMs, keys);
  }

  /** A client by id, created on first use (the interactive terminal's client). */
  client(id: number): Client {
    return this.services.client(id);
  }

  /** Inject a fault now. Returns a description, or null if it did not apply. */
  applyFault(f: Fault): string | null {
    return actOn(this._faultHost, f, this.now, (body, at) => this._emit({ ...body, t: at }));
  }

  /** The VMs are hypervisors on this world's scheduler: what a fault does to them here. */
  private _placement(): VmPlacement {
    return {
      vmList: () => this.vms.values(),
      kill: (id) => {
        this.vms.get(id)?.kill();
        this.net.kill(id);
      },
      powerOff: (id) => this.vms.get(id)?.powerOff(),
      pause: (id, forMs) => {
        this.vms.get(id)?.pause();
        if (forMs !== undefined) this.sched.post(this.now + Math.max(0, forMs), 'resume', { vm: id });
      },
      resume: (id) => this.vms.get(id)?.resume(),
      setSpeedFactor: (id, speed) => {
        const vm = this.vms.get(id);
        if (vm) vm.speedFactor = speed;
        return vm !== undefined;
      },
      restartBackup: (live) => {
        const nb = this._spawnVm('backup', live, null);
        this.vms.get(live)?.startBackup(nb.id);
        return nb.id;
      },
    };
  }
}

/** Drop keys whose value is undefined (optional scenario fields that were left out). */
function definedOnly<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]-?: Exclude<T[K], undefined> };
}

/** A node's own fields as plain data, leaving out `skip` (its links to the world) and methods. */
function fieldsOf(o: object, skip: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!skip.includes(k) && typeof v !== 'function') out[k] = v;
  return out;
}

/** An environment that goes nowhere: nodes are built in it before their saved state is put in. */
function inertEnv(id: NodeId): NodeEnv {
  return { id, rng: new Rng(0), now: () => 0, after: () => ({ cancel: () => undefined }), send: () => undefined, trace: () => undefined };
}

function restoredRng(s: RngState): Rng {
  const r = new Rng(0);
  r.restore(s);
  return r;
}
