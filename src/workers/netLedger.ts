// The page's ledger of the logging channel's messages in the Web Worker runtime (what the page
// carries itself it traces in order). A logging-channel message is traced by two workers (net/sent by its sender, net/delivered or net/dropped by its
// receiver), whose trace batches reach the page in no fixed order between them. The ledger passes
// every message's outcome after its net/sent, each outcome once, and closes what a dead worker
// leaves open: the messages on their way to it, and those it sent that never reached its peer.

import type { NodeId } from '../engine/ft/messages';
import type { TraceEvent } from '../engine/ft/trace';
import { parseMessageId } from '../engine/ft/wire';
import { RecentMap, RecentSet } from '../engine/util/recent';

type Sent = Extract<TraceEvent, { type: 'net/sent' }>;
type Outcome = Extract<TraceEvent, { type: 'net/delivered' | 'net/dropped' }>;

/** Bounds, so a long session's bookkeeping stays small (the oldest go first). */
const OPEN_KEEP = 50_000;
const EARLY_KEEP = 5_000;
const RESOLVED_KEEP = 20_000;

export class NetLedger {
  /** Messages sent and not yet delivered or dropped, by id, oldest first. */
  readonly open = new RecentMap<string, Sent>(OPEN_KEEP);
  /** Outcomes that arrived before their net/sent (from the receiver's worker). */
  private readonly _early = new RecentMap<string, Outcome>(EARLY_KEEP);
  /** Ids recently closed: a second outcome (the page already declared it lost) is not passed on. */
  private readonly _resolved = new RecentSet<string>(RESOLVED_KEEP);
  private readonly _dead = new Set<NodeId>();

  /** Pass a trace event on to `out`, in order: a message's outcome after its net/sent, and once. */
  take(ev: TraceEvent, out: TraceEvent[]): void {
    if (ev.type === 'net/sent') {
      if (this.open.has(ev.id) || this._resolved.has(ev.id)) return;
      out.push(ev);
      const early = this._early.get(ev.id);
      if (early) {
        this._early.delete(ev.id);
        this._close(early, out);
      } else if (ev.link === 'channel' && this._dead.has(ev.to)) {
        // On the logging channel to a worker that is gone: nothing will take it. (The page's own
        // realm settles what it carries to a dead VM when it lands.)
        this._close({ type: 'net/dropped', id: ev.id, why: 'dead', t: ev.t }, out);
      } else {
        this.open.set(ev.id, ev);
      }
      return;
    }
    if (ev.type === 'net/delivered' || ev.type === 'net/dropped') {
      if (this.open.has(ev.id)) return this._close(ev, out);
      if (this._resolved.has(ev.id)) return;
      // Its net/sent died with its sender's worker: it will never come.
      if (this._dead.has(parseMessageId(ev.id).from)) return;
      this._early.set(ev.id, ev);
      return;
    }
    out.push(ev);
  }

  /** VM `vm`'s worker is gone (killed, crashed): what the logging channel was carrying to it is lost. */
  died(vm: NodeId, t: number, out: TraceEvent[]): void {
    this._dead.add(vm);
    for (const s of [...this.open.values()]) if (s.to === vm && s.link === 'channel') this._close({ type: 'net/dropped', id: s.id, why: 'dead', t: Math.max(t, s.t) }, out);
    for (const id of [...this._early.keys()]) if (parseMessageId(id).from === vm) this._early.delete(id);
  }

  /**
   * `receiver` has learnt that `from` is gone: it had received `from`'s logging-channel messages up
   * to number `lastN` (the channel is FIFO) and drops any that still arrive. The rest of them were
   * still in the dead worker when it ended: lost.
   */
  senderGone(from: NodeId, receiver: NodeId, lastN: number, t: number, out: TraceEvent[]): void {
    for (const s of [...this.open.values()]) {
      if (s.from !== from || s.to !== receiver || s.link !== 'channel') continue;
      const p = parseMessageId(s.id);
      if (!p.retransmit && p.n > lastN) this._close({ type: 'net/dropped', id: s.id, why: 'dead', t: Math.max(t, s.t) }, out);
    }
  }

  private _close(ev: Outcome, out: TraceEvent[]): void {
    this.open.delete(ev.id);
    this._resolved.add(ev.id);
    out.push(ev);
  }
}
