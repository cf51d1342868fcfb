// The FT checkers, fed by the trace as it happens (design.md, "Invariants worth a test each"):
//  - Output Requirement: direct invariants of the protocol (outputs only after the ack, go-live
//    only after replaying every acknowledged entry, no entry passed), plus (after the run)
//    linearizability of everything the clients saw, against a model of the guest program.
//  - Replay: divergence reports from the backup's comparisons.
//  - Split brain, durability, power-off, clock, replies and liveness: safety.ts.
//  - Lease safety (lease-server): never two clients holding the same lease at once.

import type { TraceEvent } from '../../ft/trace';
import type { ClientOp } from '../clients';
import { checkKvHistory, type KvInput, type KvOperation, type KvOutput } from './linearizability';
import { SafetyMonitor, type LivenessOptions } from './safety';

export interface InvariantViolation {
  readonly t: number;
  readonly invariant: 'output-before-ack' | 'go-live-before-replay' | 'passed-entry';
  readonly message: string;
}

export interface MonitorOptions {
  readonly outputRule: boolean;
  readonly packetTimingLogged: boolean;
  readonly liveness?: LivenessOptions;
}

/** Watches the trace for the protocol's direct invariants, divergences and the safety properties. */
export class TraceMonitor {
  readonly violations: InvariantViolation[] = [];
  readonly divergences: { t: number; vm: string; icount: number; detail: string }[] = [];
  readonly safety: SafetyMonitor;
  /** Entries any backup replayed (nothing replayed: the replay check had nothing to judge). */
  replayed = 0;
  wentLive: { t: number; vm: string; icount: number } | null = null;
  firstOutputAfterLive: number | null = null;
  /** The last fault before the latest go-live (the failover it answered). */
  faultBeforeLive: number | null = null;
  private _lastFault: number | null = null;

  constructor(private readonly _opts: MonitorOptions) {
    this.safety = new SafetyMonitor(_opts.liveness);
  }

  readonly listener = (ev: TraceEvent): void => {
    this.safety.listener(ev);
    switch (ev.type) {
      case 'fault':
        if (ev.kind !== 'heal' && ev.detail !== 'no effect') this._lastFault = ev.t;
        break;
      case 'output/released':
        if (ev.role === 'primary' && this._opts.outputRule && ev.seq > ev.ackedSeq) {
          this.violations.push({
            t: ev.t,
            invariant: 'output-before-ack',
            message: `${ev.vm} released output #${ev.seq} with only #${ev.ackedSeq} acknowledged`,
          });
        }
        if (this.wentLive && this.firstOutputAfterLive === null && ev.vm === this.wentLive.vm) this.firstOutputAfterLive = ev.t;
        break;
      case 'vm/went-live':
        this.wentLive = { t: ev.t, vm: ev.vm, icount: ev.icount };
        this.firstOutputAfterLive = null;
        this.faultBeforeLive = this._lastFault;
        if (ev.consumedSeq < ev.receivedSeq) {
          this.violations.push({
            t: ev.t,
            invariant: 'go-live-before-replay',
            message: `${ev.vm} went live having replayed #${ev.consumedSeq} of the #${ev.receivedSeq} it acknowledged`,
          });
        }
        break;
      case 'entry/replayed':
        this.replayed++;
        if (ev.icount !== ev.atIcount && !(ev.kind === 'packet' && !this._opts.packetTimingLogged)) {
          this.violations.push({
            t: ev.t,
            invariant: 'passed-entry',
            message: `${ev.vm} replayed entry #${ev.seq} (${ev.kind}) at icount ${ev.atIcount}, logged at ${ev.icount}`,
          });
        }
        break;
      case 'divergence':
        this.divergences.push({ t: ev.t, vm: ev.vm, icount: ev.icount, detail: ev.detail });
        break;
      default:
        break;
    }
  };
}

// ---------------------------------------------------------------- kv-server histories

export function parseKvRequest(text: string): KvInput | null {
  const p = text.trim().split(/\s+/);
  const [cmd, key, value] = p;
  if (!cmd || !key) return null;
  switch (cmd.toUpperCase()) {
    case 'PUT':
      return value !== undefined && p.length === 3 ? { kind: 'put', key, value } : null;
    case 'GET':
      return p.length === 2 ? { kind: 'get', key } : null;
    case 'INCR':
      return p.length === 2 ? { kind: 'incr', key } : null;
    case 'DEL':
      return p.length === 2 ? { kind: 'del', key } : null;
    default:
      return null;
  }
}

export function parseKvReply(text: string): KvOutput {
  if (text === 'OK') return { kind: 'ok' };
  if (text === 'NOTFOUND') return { kind: 'notfound' };
  if (text === 'DELETED') return { kind: 'deleted' };
  if (text.startsWith('VALUE ')) return { kind: 'value', value: text.slice(6) };
  if (text.startsWith('ERR ')) return { kind: 'err', message: text.slice(4) };
  return { kind: 'err', message: `unparseable reply '${text}'` };
}

export function kvOperations(ops: readonly ClientOp[]): KvOperation[] {
  const out: KvOperation[] = [];
  for (const op of ops) {
    const input = parseKvRequest(op.text);
    // A request still unanswered when the run ends may or may not have taken effect: info.
    if (!input) continue;
    out.push({
      id: `${op.client}#${op.reqId}@${op.invoke}`,
      client: op.client,
      invoke: op.invoke,
      complete: op.status === 'ok' ? op.complete : null,
      input,
      output: op.status === 'ok' && op.reply !== null ? parseKvReply(op.reply) : null,
      status: op.status === 'ok' ? 'ok' : 'info',
    });
  }
  return out;
}

export interface LinearizabilityVerdict {
  readonly ok: boolean | 'unknown';
  readonly message: string;
  readonly culprits: readonly string[];
  /** Client operations that completed (what the check had to judge). */
  readonly completed: number;
}

export function checkKvClients(ops: readonly ClientOp[], maxStates = 200_000): LinearizabilityVerdict {
  const history = kvOperations(ops);
  const completed = history.filter((o) => o.status === 'ok').length;
  const r = checkKvHistory(history, { maxStates });
  if (r.ok === true) return { ok: true, message: `${completed} completed client operation${completed === 1 ? '' : 's'} fit${completed === 1 ? 's' : ''} one sequential execution`, culprits: [], completed };
  if (r.ok === 'unknown') return { ok: 'unknown', message: `UNKNOWN: ${r.reason}`, culprits: [], completed };
  return { ok: false, message: `VIOLATED: ${r.message}`, culprits: r.culprits.map((c) => String(c.id)), completed };
}

// ---------------------------------------------------------------- lease-server histories

/**
 * Lease safety, from the clients' side: a client whose LEASE request, sent at time s, was answered
 * GRANTED believes it holds the lease until s + `validMs`. Counting from the send (as GFS
 * chunkservers do) keeps this safe however late the reply was: the server granted it after s and
 * keeps it for longer than `validMs`. Another client granted the same lease inside that window
 * means two holders at once.
 */
export function checkLeaseClients(ops: readonly ClientOp[], validMs: number): LinearizabilityVerdict {
  const grants = ops
    .filter((o) => o.status === 'ok' && o.reply?.startsWith('GRANTED ') && o.complete !== null)
    .map((o) => ({ client: o.client, name: o.reply!.slice(8).trim(), sent: o.invoke, at: o.complete!, id: `${o.client}#${o.reqId}` }))
    .sort((a, b) => a.at - b.at);
  const released = ops.filter((o) => o.text.startsWith('RELEASE '));
  const holder = new Map<string, { client: number; sent: number; until: number; id: string }>();
  for (const g of grants) {
    // A grant that arrives after its client's window (sent + validMs) has closed is never relied on.
    if (g.sent + validMs <= g.at) continue;
    const h = holder.get(g.name);
    // A holder stops relying on its lease when it sends RELEASE, whatever the reply's timing.
    const releasedSince =
      h !== undefined &&
      released.some((r) => r.client === h.client && r.text.endsWith(` ${g.name}`) && r.invoke >= h.sent && r.invoke <= g.at);
    if (h && h.client !== g.client && g.at < h.until && !releasedSince) {
      return {
        ok: false,
        message: `VIOLATED: lease ${g.name} granted to client ${g.client} at ${g.at.toFixed(1)} ms while client ${h.client} held it until ${h.until.toFixed(1)} ms`,
        culprits: [h.id, g.id],
        completed: grants.length,
      };
    }
    holder.set(g.name, { client: g.client, sent: g.sent, until: g.sent + validMs, id: g.id });
  }
  const completed = ops.filter((o) => o.status === 'ok').length;
  return { ok: true, message: `lease safety holds: ${grants.length} grants, never two holders at once`, culprits: [], completed };
}
