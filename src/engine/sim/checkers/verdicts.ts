// The verdicts the page and the CLI show, from a trace monitor, the clients' histories, the shared
// disk and the VMs. One function for every runtime: workers, the simulator and the CLI.

import type { Client, ClientOp } from '../clients';
import { clientProtocol } from '../../programs/catalog';
import type { LinearizabilityVerdict, TraceMonitor } from './ftCheckers';
import { verdict, type CheckVerdict, type VerdictStatus } from './safety';

export { LEASE_VALID_MS } from '../../programs/catalog';

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
  readonly outputRequirement: CheckVerdict & { readonly invariants: number; readonly culprits: readonly string[] };
  readonly splitBrain: CheckVerdict;
  readonly replay: CheckVerdict;
  readonly durability: CheckVerdict;
  readonly powerOff: CheckVerdict;
  readonly clock: CheckVerdict;
  readonly replies: CheckVerdict;
  readonly liveness: CheckVerdict;
}

/** Every verdict, in the order the page and the CLI list them. */
export const VERDICT_NAMES: readonly { readonly key: keyof LabVerdicts; readonly label: string }[] = [
  { key: 'outputRequirement', label: 'Output Requirement' },
  { key: 'splitBrain', label: 'Split brain' },
  { key: 'replay', label: 'Replay' },
  { key: 'durability', label: 'Durability' },
  { key: 'powerOff', label: 'Power-off' },
  { key: 'clock', label: 'Guest clock' },
  { key: 'replies', label: 'Replies' },
  { key: 'liveness', label: 'Liveness' },
];

export type JudgeInput = JudgeCommon &
  (
    | { readonly ops: readonly ClientOp[]; readonly clientCheck?: undefined }
    /**
     * The clients' check already made (`checkClients`), by a runtime that makes it less often than
     * the rest, which is cheap and must not lag: see FtLab.verdicts.
     */
    | { readonly clientCheck: LinearizabilityVerdict | null; readonly ops?: undefined }
  );

interface JudgeCommon {
  readonly program: string;
  readonly monitor: TraceMonitor;
  /** The shared disk as it is now (durability); absent: not checked. */
  readonly blockDigest?: (block: number) => number;
  /** The linearizability checker's state budget (over it: unknown). */
  readonly maxStates?: number;
  /** The virtual time now (liveness); absent: not checked. */
  readonly now?: number;
}

/** The clients' check of a program's client protocol (linearizability), or null when it has none. */
export function checkClients(program: string, ops: readonly ClientOp[], maxStates?: number): LinearizabilityVerdict | null {
  return clientProtocol(program)?.check(ops, maxStates) ?? null;
}

/** The verdicts of one run or session: one function for the simulator, the CLI and the workers. */
export function judge(input: JudgeInput): LabVerdicts {
  const { program, monitor } = input;
  const lin: LinearizabilityVerdict | null = input.clientCheck !== undefined ? input.clientCheck : checkClients(program, input.ops, input.maxStates);
  const inv = monitor.violations[0];
  let outputRequirement: CheckVerdict;
  // What the clients saw comes first; a broken protocol invariant explains a violation too.
  if (lin?.ok === false) outputRequirement = verdict('fail', lin.message);
  else if (inv) outputRequirement = verdict('fail', `VIOLATED: ${inv.message}`);
  else if (!lin) outputRequirement = verdict('not-checked', `not checked: ${program} has no client protocol to check`);
  else if (lin.ok === 'unknown') outputRequirement = verdict('unknown', lin.message);
  else if (lin.completed === 0) outputRequirement = verdict('not-checked', 'not checked: no client operation completed');
  else outputRequirement = verdict('pass', `Output Requirement holds: ${lin.message}`);
  const div = monitor.divergences[0];
  const s = monitor.safety;
  return {
    outputRequirement: { ...outputRequirement, invariants: monitor.violations.length, culprits: lin?.culprits ?? [] },
    splitBrain: s.splitBrain(),
    replay: div
      ? verdict('fail', `DIVERGED at icount ${div.icount}: ${div.detail}`)
      : monitor.replayed === 0
        ? verdict('not-checked', 'not checked: no backup has replayed an entry')
        : verdict('pass', `Backup in lockstep: ${monitor.replayed} entries replayed, every logged state hash matched`),
    durability: input.blockDigest ? s.durability(input.blockDigest) : verdict('not-checked', 'not checked: the shared disk is not visible here'),
    powerOff: s.powerOff(),
    clock: s.clock(),
    replies: s.replies(),
    // (a program that takes no client requests owes them no replies: its silence is not an outage)
    liveness: !clientProtocol(program)
      ? verdict('not-checked', `not checked: ${program} answers no client requests`)
      : input.now !== undefined
        ? s.liveness(input.now)
        : verdict('not-checked', 'not checked: no clock to judge it by'),
  };
}

/** The verdicts that failed (or could not be decided), by label. */
export function failedVerdicts(v: LabVerdicts): { label: string; status: VerdictStatus; message: string }[] {
  return VERDICT_NAMES.filter((n) => v[n.key].status === 'fail' || v[n.key].status === 'unknown').map((n) => ({ label: n.label, status: v[n.key].status, message: v[n.key].message }));
}
