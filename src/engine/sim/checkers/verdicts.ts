// The three verdicts the page shows (Output Requirement, split brain, replay), from a trace
// monitor and the clients' histories. One function for every runtime: workers and the simulator.

import type { ClientOp } from '../clients';
import { checkKvClients, checkLeaseClients, type LinearizabilityVerdict, type TraceMonitor } from './ftCheckers';

/** How long a lease-server client trusts a grant, from its request: under the server's 40-50 ms. */
export const LEASE_VALID_MS = 35;

export interface LabVerdicts {
  readonly outputRequirement: LinearizabilityVerdict & { readonly invariants: number };
  readonly splitBrain: { readonly ok: boolean; readonly message: string };
  readonly replay: { readonly ok: boolean; readonly message: string };
}

export function labVerdicts(program: string, monitor: TraceMonitor, ops: readonly ClientOp[]): LabVerdicts {
  const lin =
    program === 'kv-server'
      ? checkKvClients(ops)
      : program === 'lease-server'
        ? checkLeaseClients(ops, LEASE_VALID_MS)
        : { ok: true as const, message: 'no client protocol to check', culprits: [] };
  const invariants = monitor.violations.filter((v) => v.invariant !== 'split-brain');
  const split = monitor.violations.find((v) => v.invariant === 'split-brain');
  return {
    outputRequirement: {
      ...lin,
      ok: lin.ok === true && invariants.length === 0 ? true : lin.ok === 'unknown' ? 'unknown' : false,
      message: invariants.length > 0 && lin.ok === true ? `VIOLATED: ${invariants[0]!.message}` : lin.message,
      invariants: invariants.length,
    },
    splitBrain: { ok: !split, message: split ? split.message : 'No split brain: one VM at a time has released outputs as primary' },
    replay: {
      ok: monitor.divergences.length === 0,
      message:
        monitor.divergences.length === 0
          ? 'Backup in lockstep: every logged state hash matched'
          : `DIVERGED at icount ${monitor.divergences[0]!.icount}: ${monitor.divergences[0]!.detail}`,
    },
  };
}
