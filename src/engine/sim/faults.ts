// The learner's faults, one meaning in both runtimes: which VM a fault names, what it does and
// the words the trace says it in. A world supplies the operations (FaultHost): the simulator's
// World on its own network, the Web Workers runtime's coordinator on its workers and ports.

import { SWITCH, STORAGE, type NodeId } from '../ft/messages';
import type { Role } from '../ft/trace';
import { dropDetail } from '../ft/wire';
import { describeLink, type LinkClass, type LinkConfig } from './network';
import type { Fault } from './scenario';

/** What a fault needs to know of a VM. */
export interface FaultVm {
  readonly id: NodeId;
  readonly role: Role;
  /** Its pair's test-and-set generation: a stale primary (paused while its backup took over) has an older one. */
  readonly generation: number;
  readonly paused: boolean;
}

/** The operations a world carries a fault out with. */
export interface FaultHost {
  /** Every VM of the session, in the order they were started (dead ones too). */
  vmList(): Iterable<FaultVm>;
  /** Every client's node id. */
  clientNodes(): Iterable<NodeId>;
  readonly links: Record<LinkClass, LinkConfig>;
  /** A link's settings changed (the host passes them on where they live). */
  linkChanged(link: LinkClass): void;
  /** Fail-stop, at once, mid-anything: what it had not finished putting on the wire is lost. */
  kill(vm: NodeId): void;
  powerOff(vm: NodeId): void;
  pause(vm: NodeId, forMs: number | undefined): void;
  resume(vm: NodeId): void;
  /** The backup runs at `speed` × the primary's speed (false: this world cannot). */
  setSpeedFactor(vm: NodeId, speed: number): boolean;
  /** Everything from `from` to `to` is dropped from now on (one direction). */
  block(from: NodeId, to: NodeId): void;
  healAll(): void;
  /** Whether any direction is cut (a heal with nothing to heal has no effect). */
  anyCut(): boolean;
  /** Drop message `id` if it is on the wire (see Network.drop). */
  drop(id: string): boolean;
  /** Start a new backup for `live` from a snapshot of it (FT VMotion); its id. */
  restartBackup(live: NodeId): NodeId;
}

/**
 * The VM acting as primary (or live), if any. A stale one (a paused primary whose backup took
 * over) may still think it is primary: the newest test-and-set generation is the service.
 */
export function primaryOf<V extends FaultVm>(vms: Iterable<V>): V | undefined {
  return newest(vms, (vm) => vm.role === 'primary' || vm.role === 'live');
}

export function backupOf<V extends FaultVm>(vms: Iterable<V>): V | undefined {
  return newest(vms, (vm) => vm.role === 'backup');
}

function newest<V extends FaultVm>(vms: Iterable<V>, pick: (vm: V) => boolean): V | undefined {
  let best: V | undefined;
  for (const vm of vms) if (pick(vm) && (!best || vm.generation > best.generation)) best = vm;
  return best;
}

/** The VM a fault names: 'primary', 'backup' or an id. */
export function resolveVm<V extends FaultVm>(vms: Iterable<V>, ref: string): V | undefined {
  if (ref === 'primary') return primaryOf(vms);
  if (ref === 'backup') return backupOf(vms);
  for (const vm of vms) if (vm.id === ref) return vm;
  return undefined;
}

/** Carry out fault `f` on `host` now. Returns what it did in words, or null if it did not apply. */
export function applyFault(host: FaultHost, f: Fault): string | null {
  const vms = [...host.vmList()];
  switch (f.kind) {
    case 'kill-primary':
    case 'kill-backup': {
      const vm = f.kind === 'kill-primary' ? primaryOf(vms) : backupOf(vms);
      if (!vm) return null;
      host.kill(vm.id);
      return `killed ${vm.id}`;
    }
    case 'kill': {
      const vm = resolveVm(vms, f.vm);
      if (!vm || vm.role === 'dead') return null;
      host.kill(vm.id);
      return `killed ${vm.id}`;
    }
    case 'power-off-primary': {
      // Only the service's primary: a stale one (its backup took over) powering off is not the
      // service shutting down, and the paper's power-off is the service's.
      const p = primaryOf(vms);
      if (!p || (f.vm !== undefined && resolveVm(vms, f.vm)?.id !== p.id)) return null;
      host.powerOff(p.id);
      return `powered off ${p.id}`;
    }
    case 'cut-channel': {
      const p = primaryOf(vms);
      const b = backupOf(vms);
      if (!p || !b) return null;
      if (f.direction !== 'to-primary') host.block(p.id, b.id);
      if (f.direction !== 'to-backup') host.block(b.id, p.id);
      return `cut the logging channel ${f.direction === 'both' ? 'both ways' : f.direction} between ${p.id} and ${b.id}`;
    }
    case 'heal':
      if (!host.anyCut()) return null;
      host.healAll();
      return 'healed every cut and partition';
    case 'partition-storage': {
      const vm = resolveVm(vms, f.vm);
      if (!vm) return null;
      host.block(vm.id, STORAGE);
      host.block(STORAGE, vm.id);
      return `partitioned ${vm.id} from shared storage`;
    }
    case 'partition-clients': {
      const vm = resolveVm(vms, f.vm);
      if (!vm) return null;
      for (const c of host.clientNodes()) {
        host.block(vm.id, c);
        host.block(c, vm.id);
      }
      host.block(vm.id, SWITCH);
      return `partitioned ${vm.id} from the clients`;
    }
    case 'slow-channel': {
      const l = host.links.channel;
      if (f.latencyMs !== undefined) l.latencyMs = f.latencyMs;
      if (f.bandwidthMbps !== undefined) l.bandwidthMbps = f.bandwidthMbps;
      host.linkChanged('channel');
      return `logging channel now ${l.latencyMs} ms, ${l.bandwidthMbps} Mbit/s`;
    }
    case 'set-link': {
      const l = host.links[f.link];
      if (f.latencyMs !== undefined) l.latencyMs = f.latencyMs;
      if (f.loss !== undefined) l.loss = f.loss;
      if (f.bandwidthMbps !== undefined) l.bandwidthMbps = f.bandwidthMbps;
      host.linkChanged(f.link);
      return describeLink(f.link, l);
    }
    case 'slow-backup': {
      const b = backupOf(vms);
      if (!b || !host.setSpeedFactor(b.id, f.speed)) return null;
      return `backup ${b.id} now runs at ${f.speed}× the primary's speed`;
    }
    case 'pause': {
      const vm = resolveVm(vms, f.vm);
      if (!vm) return null;
      host.pause(vm.id, f.forMs);
      return `paused ${vm.id}${f.forMs !== undefined ? ` for ${f.forMs} ms` : ''}`;
    }
    case 'resume': {
      const vm = resolveVm(vms, f.vm) ?? vms.find((v) => v.paused);
      if (!vm) return null;
      host.resume(vm.id);
      return `resumed ${vm.id}`;
    }
    case 'drop-message':
      return host.drop(f.id) ? dropDetail(f.id) : null;
    case 'restart-backup': {
      const live = vms.find((v) => v.role === 'live');
      if (!live) return null;
      const nb = host.restartBackup(live.id);
      return `started backup ${nb} from a snapshot of ${live.id}`;
    }
  }
}
