// The world around the VMs, one copy for both runtimes: the network with its switch, shared
// storage, the clients and the learner's faults. Where the VMs run is the host's business: the
// simulator's World places them as hypervisors on the same scheduler, the Web Workers runtime as
// proxies for hypervisors in workers (VmPlacement says what a fault does to them there).

import { STORAGE, clientNode, type NodeEnv, type NodeId, type TimerTarget } from '../ft/messages';
import { SharedStorage } from '../ft/storage';
import type { TraceBody } from '../ft/trace';
import { workloadProgram } from '../programs/catalog';
import type { Rng } from '../util/rng';
import { Client, ClientRoster, type Workload } from './clients';
import { applyFault, type FaultHost, type FaultVm } from './faults';
import { Network, type LinkClass, type LinkConfig } from './network';
import type { Fault } from './scenario';
import type { Scheduler } from './scheduler';

/** What the learner's faults do to the VMs, where they run. */
export interface VmPlacement {
  /** Every VM of the session, in the order they were started (dead ones too). */
  vmList(): Iterable<FaultVm>;
  kill(vm: NodeId): void;
  powerOff(vm: NodeId): void;
  pause(vm: NodeId, forMs: number | undefined): void;
  resume(vm: NodeId): void;
  setSpeedFactor(vm: NodeId, speed: number): boolean;
  restartBackup(live: NodeId): NodeId;
  /**
   * A logging channel the placement carries itself (between two workers), not the network: cut
   * `from>to` there and say true, or say false and the network cuts it.
   */
  blockChannel?(from: NodeId, to: NodeId): boolean;
  /** Whether a direction of such a channel is cut. */
  channelCut?(): boolean;
  healChannel?(): void;
  /** Drop message `id` on such a channel (true if it was there). */
  dropOnChannel?(id: string): boolean;
  /** The logging channel's settings changed (the placement passes them on where they live). */
  channelChanged?(): void;
}

export interface ServicesOptions {
  readonly sched: Scheduler;
  /** The network's randomness (loss, jitter). */
  readonly netRng: Rng;
  readonly links?: Partial<Record<LinkClass, Partial<LinkConfig>>>;
  /** Frames a switch port holds for one client (default: no limit). */
  readonly switchQueue?: number;
  /** Where the network reports what it carries, at virtual time `at`. */
  readonly trace: (body: TraceBody, at: number) => void;
  /** A node's environment (called once per node, in the order nodes are made: storage, then clients). */
  readonly env: (id: NodeId) => NodeEnv;
  /** Every node made here, to route its timers (the simulator's timers are data). */
  readonly placed?: (id: NodeId, node: TimerTarget) => void;
  /** The guest program: the automatic clients' workload. */
  readonly program: string;
  /** A client gives up on a reply after this long. */
  readonly clientTimeoutMs: number;
  /** The most operations each client keeps in its history. */
  readonly maxHistoryPerClient: number;
}

export class Services {
  readonly net: Network;
  readonly storage: SharedStorage;
  /** The session's clients; `clients` is every one of them. */
  readonly roster = new ClientRoster();
  readonly clients: readonly Client[] = this.roster.all;

  constructor(private readonly _o: ServicesOptions) {
    this.net = new Network(_o.sched, _o.netRng, _o.links ?? {}, _o.trace, _o.switchQueue !== undefined ? { switchQueue: _o.switchQueue } : {});
    this.storage = new SharedStorage(_o.env(STORAGE));
    this.net.attach(STORAGE, this.storage);
    _o.placed?.(STORAGE, this.storage);
  }

  /** A client node on the network (not yet in the roster: see `add`). */
  makeClient(id: number, workload: Workload): Client {
    const nodeId = clientNode(id);
    const c = new Client(this._o.env(nodeId), id, workload, this._o.clientTimeoutMs);
    c.maxHistory = this._o.maxHistoryPerClient;
    this.net.attach(nodeId, c);
    this._o.placed?.(nodeId, c);
    return c;
  }

  addClient(id: number, workload: Workload): Client {
    return this.roster.add(this.makeClient(id, workload));
  }

  /** A client by id, created on first use (the interactive terminal's client). */
  client(id: number): Client {
    return this.roster.get(id) ?? this.addClient(id, { kind: 'scripted', requests: [] });
  }

  /** An automatic workload from now on: `count` random clients (ids from 100), replacing the previous ones. */
  setWorkload(count: number, thinkMs = 20, keys = 4): void {
    const program = workloadProgram(this._o.program);
    const now = this._o.sched.now;
    this.roster.replaceAutomatic(count, (id) => this.makeClient(id, { kind: 'random', program, thinkMs, keys, startAt: now, stopAt: Infinity }));
  }

  /** The operations faults.ts carries a fault out with: the network's here, the VMs' by `vms`. */
  faultHost(vms: VmPlacement): FaultHost {
    const net = this.net;
    return {
      vmList: () => vms.vmList(),
      clientNodes: () => this.clients.map((c) => c.nodeId),
      links: net.links,
      linkChanged: (link) => {
        // (the network reads its own links as it sends)
        if (link === 'channel') vms.channelChanged?.();
      },
      kill: (id) => vms.kill(id),
      powerOff: (id) => vms.powerOff(id),
      pause: (id, forMs) => vms.pause(id, forMs),
      resume: (id) => vms.resume(id),
      setSpeedFactor: (id, speed) => vms.setSpeedFactor(id, speed),
      block: (from, to) => {
        if (!vms.blockChannel?.(from, to)) net.block(from, to, false);
      },
      anyCut: () => net.blocked.size > 0 || (vms.channelCut?.() ?? false),
      healAll: () => {
        net.healAll();
        vms.healChannel?.();
      },
      drop: (id) => net.drop(id) || (vms.dropOnChannel?.(id) ?? false),
      restartBackup: (live) => vms.restartBackup(live),
    };
  }
}

/** Carry out fault `f` on `host` now and say so in the trace; what it did, or null for no effect. */
export function actOn(host: FaultHost, f: Fault, now: number, trace: (body: TraceBody, at: number) => void): string | null {
  const detail = applyFault(host, f);
  trace({ type: 'fault', kind: f.kind, detail: detail ?? 'no effect' }, now);
  return detail;
}
