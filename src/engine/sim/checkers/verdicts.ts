// The three verdicts the page shows (Output Requirement, split brain, replay), from a trace
// monitor and the clients' histories. One function for every runtime: workers and the simulator.

import type { Client, ClientOp } from '../clients';
import { checkKvClients, checkLeaseClients, type LinearizabilityVerdict, type TraceMonitor } from './ftCheckers';

/** How long a lease-server client trusts a grant, from its request: under the server's 40-50 ms. */
export const LEASE_VALID_MS = 35;

/** The most operations a lab keeps per client for its checkers (a long session stays bounded). */
export const HISTORY_PER_CLIENT = 4_000;

/**
 * Every client operation, for the checkers. Histories are capped per client; past the first cap
 * the check covers operations invoked before that moment, and any that completed after it count
 * as unknown (info), so the cut can never invent a violation.
 */
export function cappedHistory(clients: readonly Client[]): ClientOp[] {
  const cut = Math.min(...clients.map((c) => c.truncatedAt ?? Infinity));
  const ops = clients.flatMap((c) => c.history);
  if (cut === Infinity) return ops;
  return ops
    .filter((o) => o.invoke < cut)
    .map((o) => (o.status === 'ok' && o.complete !== null && o.complete > cut ? { ...o, status: 'info' as const, reply: null, complete: null } : o));
}

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
