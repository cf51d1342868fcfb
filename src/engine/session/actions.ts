// What a learner can do to a running session, as data: a fault (the scenario file's own fault
// shapes), a request typed at the client terminal, or a change of the automatic workload. Every
// action carries the virtual time it was taken at, so a session is reproduced exactly by its
// scenario, its seed and this list (recordings and share links store nothing else to re-run it).

import type { z } from 'zod';
import { actionSchema, requestActionSchema, workloadActionSchema, type Fault } from '../sim/scenario';
import type { World } from '../sim/world';

export { actionSchema, requestActionSchema, workloadActionSchema };

export type RequestAction = z.infer<typeof requestActionSchema>;
export type WorkloadAction = z.infer<typeof workloadActionSchema>;
/** One learner action at a virtual time. */
export type TimedAction = Fault | RequestAction | WorkloadAction;
/** An action before it is stamped with the time it is taken at. */
export type LabAction = TimedAction extends infer A ? (A extends TimedAction ? Omit<A, 'at'> : never) : never;

/** Carry out `a` on `world` now. False when it had no effect (a busy client, no such VM). */
export function applyAction(world: World, a: TimedAction): boolean {
  switch (a.kind) {
    case 'request':
      return world.client(a.client).request(a.text);
    case 'workload':
      world.setWorkload(a.count, 1000 / a.perSecond, 4);
      return true;
    default:
      return world.applyFault(a) !== null;
  }
}

/** A short phrase for an action, for notices and the action list of a share link. */
export function describeAction(a: LabAction): string {
  switch (a.kind) {
    case 'request':
      return `sent "${a.text}" as client ${a.client}`;
    case 'workload':
      return a.count === 0 ? 'stopped the automatic clients' : `${a.count} automatic client${a.count === 1 ? '' : 's'} at ${a.perSecond}/s`;
    case 'cut-channel':
      return `cut the logging channel${a.direction === 'both' ? '' : ` ${a.direction}`}`;
    case 'pause':
      return `paused ${a.vm}`;
    case 'resume':
      return `resumed ${a.vm}`;
    case 'partition-storage':
      return `partitioned ${a.vm} from storage`;
    case 'partition-clients':
      return `partitioned ${a.vm} from the clients`;
    case 'kill-primary':
      return 'killed the primary';
    case 'kill-backup':
      return 'killed the backup';
    case 'kill':
      return a.vm === 'primary' || a.vm === 'backup' ? `killed the ${a.vm}` : `killed VM ${a.vm}`;
    case 'power-off-primary':
      return a.vm === undefined || a.vm === 'primary' ? 'powered off the primary' : `powered off VM ${a.vm}`;
    case 'heal':
      return 'healed every cut';
    case 'slow-channel':
      return 'slowed the logging channel';
    case 'slow-backup':
      return `slowed the backup to ${a.speed}×`;
    case 'restart-backup':
      return 'restarted a backup';
    case 'set-link': {
      const name = a.link === 'channel' ? 'the logging channel' : a.link === 'storage' ? 'the storage link' : "the clients' network";
      const parts = [a.latencyMs !== undefined ? `${a.latencyMs} ms` : null, a.bandwidthMbps !== undefined ? `${a.bandwidthMbps} Mbit/s` : null, a.loss !== undefined ? `${Math.round(a.loss * 100)}% loss` : null].filter(Boolean);
      return `set ${name} to ${parts.join(', ') || 'as it was'}`;
    }
    case 'drop-message':
      return `dropped message ${a.id}`;
  }
}
