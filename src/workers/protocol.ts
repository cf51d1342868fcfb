// The Web Worker runtime's wire types. Control goes over comlink (plain, cloneable data); the
// logging channel and the network go over MessagePorts as stamped envelopes; trace events come
// back in batches. One module for all of it, so each kind is declared once.

import type { FtConfig } from '../engine/ft/hypervisor';
import type { NodeId } from '../engine/ft/messages';
import type { TraceEvent } from '../engine/ft/trace';
import type { LinkConfig } from '../engine/sim/network';
import type { ClockState, Envelope } from './realm';

/** Messages on a VM worker's network port (to and from the coordinator). */
export type NetPortMessage =
  | { readonly kind: 'net/envelope'; readonly env: Envelope }
  /** VM → coordinator: what the VM sent to the switch, storage and clients since the last batch. */
  | { readonly kind: 'net/envelopes'; readonly envs: readonly Envelope[] }
  /** VM → coordinator: trace events, the checker-neutral ones thinned in a flood (flow.ts), and how many of those were left out, per kind. */
  | { readonly kind: 'trace/batch'; readonly events: TraceEvent[]; readonly folded: Partial<Record<TraceEvent['type'], number>> }
  /** Coordinator → VM: a batch was taken in (flow control: a worker has only a few unacknowledged). */
  | { readonly kind: 'ack'; readonly what: 'trace' | 'net' }
  /**
   * VM → coordinator: this realm's virtual time and how far behind the shared clock it is, and
   * the frames its port to the switch has dropped so far (a flood beyond the port's rate).
   */
  | { readonly kind: 'realm/progress'; readonly id: NodeId; readonly now: number; readonly behindMs: number; readonly framesDropped: number }
  /** Coordinator → VM: the peer died (killed or crashed) at virtual time `at`: stop waiting for its clock; what it had not finished putting on the wire is lost. */
  | { readonly kind: 'clock/gone'; readonly id: NodeId; readonly at: number }
  /**
   * VM → coordinator, in answer: the number of the last logging-channel message it had received
   * from the gone VM (`A#n`; it drops any later one), so the page can close those that never left.
   */
  | { readonly kind: 'log/gone'; readonly from: NodeId; readonly lastN: number }

  | { readonly kind: 'vm/crashed'; readonly id: NodeId; readonly error: string };

/** Messages on the logging channel port between the two VM workers: everything one pump sent, in order. */
export type LogPortMessage = {
  readonly kind: 'log/envelopes';
  readonly envs: readonly Envelope[];
  /** Where the pair shares memory: this message's number, marked in the ring where it comes in order (sharedClock.ts). */
  readonly portSeq?: number;
};

export interface VmInit {
  readonly id: NodeId;
  readonly role: 'primary' | 'backup' | 'live';
  readonly peer: NodeId | null;
  /** null: a new backup that waits for FT VMotion's snapshot. */
  readonly image: Uint8Array | null;
  readonly config: FtConfig;
  readonly clock: ClockState;
  readonly channel: LinkConfig;
  readonly seed: number;
  /** No realm runs more than this far (virtual ms) past its peer VM's realm. */
  readonly slackMs: number;
}

/** On the clock port between a primary and its backup: how far this VM's realm has safely got. */
export type ClockPortMessage = { readonly kind: 'progress'; readonly id: NodeId; readonly safe: number };

export type { EntryView, VmInspect } from '../engine/ft/inspect';
