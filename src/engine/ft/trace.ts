// Trace events: what every node reports. The UI, recordings, checkers, tests and benchmarks all
// read this one stream (docs/protocol.md lists the events and what they mean).

import type { LogEntryKind, OutputKind } from './log';
import type { NodeId } from './messages';

/** The network's link classes (sim/network.ts): the logging channel and storage are reliable, client links are not. */
export type NetLink = 'channel' | 'storage' | 'clients';
/** Why a message never arrived: a cut or partition, a dead sender or receiver, random loss, or the learner dropped it. */
/** A message's type on the wire (`Message['t']` in messages.ts, spelled out here so the two files do not import each other). */
export type WireType = 'log' | 'ack' | 'snapshot' | 'frame' | 'advertise' | 'disk' | 'tas' | 'disk-done' | 'tas-result';
export type DropReason = 'cut' | 'dead' | 'loss' | 'learner';

export type Role = 'primary' | 'backup' | 'live' | 'halted' | 'dead';
export type StallReason = 'log-full' | 'log-empty' | 'waiting-tas' | 'paused';

export type TraceBody =
  | { readonly type: 'entry/appended'; readonly vm: NodeId; readonly seq: number; readonly icount: number; readonly kind: LogEntryKind }
  | { readonly type: 'entry/flushed'; readonly vm: NodeId; readonly fromSeq: number; readonly toSeq: number; readonly bytes: number; readonly horizon: number }
  | { readonly type: 'entry/received'; readonly vm: NodeId; readonly fromSeq: number; readonly toSeq: number; readonly buffered: number }
  | {
      readonly type: 'entry/replayed';
      readonly vm: NodeId;
      readonly seq: number;
      readonly kind: LogEntryKind;
      /** The icount the entry was logged at, and the backup's icount when it consumed it. */
      readonly icount: number;
      readonly atIcount: number;
    }
  | { readonly type: 'entry/acked'; readonly vm: NodeId; readonly ackedSeq: number; readonly backupIcount: number; readonly lagMs: number }
  | { readonly type: 'output/held'; readonly vm: NodeId; readonly seq: number; readonly output: OutputKind; readonly to: NodeId }
  | {
      readonly type: 'output/released';
      readonly vm: NodeId;
      readonly seq: number;
      readonly output: OutputKind;
      readonly to: NodeId;
      readonly role: Role;
      readonly delayMs: number;
      /** The highest acknowledged seq when it left (the Output Rule: ≥ seq, unless the rule is off or the VM is live). */
      readonly ackedSeq: number;
    }
  | { readonly type: 'output/suppressed'; readonly vm: NodeId; readonly seq: number; readonly output: OutputKind }
  | { readonly type: 'input/delivered'; readonly vm: NodeId; readonly kind: 'packet' | 'timer' | 'disk'; readonly icount: number }
  | { readonly type: 'heartbeat'; readonly vm: NodeId; readonly to: NodeId }
  | { readonly type: 'failure/suspected'; readonly vm: NodeId; readonly peer: NodeId; readonly silentMs: number }
  | { readonly type: 'tas/requested'; readonly vm: NodeId }
  /** `unarbitrated`: test-and-set is switched off, so the VM went on alone without asking anyone. */
  | { readonly type: 'tas/won'; readonly vm: NodeId; readonly unarbitrated?: true }
  | { readonly type: 'tas/lost'; readonly vm: NodeId; readonly holder: NodeId | null }
  | { readonly type: 'vm/went-live'; readonly vm: NodeId; readonly icount: number; readonly receivedSeq: number; readonly consumedSeq: number }
  | { readonly type: 'vm/role'; readonly vm: NodeId; readonly role: Role; readonly reason: string }
  | { readonly type: 'vm/stall'; readonly vm: NodeId; readonly reason: StallReason | null }
  | { readonly type: 'vm/throttle'; readonly vm: NodeId; readonly cpu: number; readonly lagMs: number }
  | { readonly type: 'mac/advertised'; readonly vm: NodeId }
  | { readonly type: 'io/reissued'; readonly vm: NodeId; readonly op: 'read' | 'write'; readonly block: number }
  | {
      readonly type: 'divergence';
      readonly vm: NodeId;
      readonly icount: number;
      readonly detail: string;
    }
  | { readonly type: 'console'; readonly vm: NodeId; readonly text: string; readonly suppressed: boolean }
  | { readonly type: 'vm/fault'; readonly vm: NodeId; readonly reason: string; readonly pc: number; readonly icount: number }
  | { readonly type: 'client/invoke'; readonly client: number; readonly reqId: number; readonly text: string }
  | {
      readonly type: 'client/reply';
      readonly client: number;
      readonly reqId: number;
      readonly text: string;
      readonly from: NodeId;
      readonly duplicate: boolean;
      /** A duplicate whose text differs from the first reply (the Output Requirement forbids it). */
      readonly contradicts: boolean;
    }
  | { readonly type: 'client/timeout'; readonly client: number; readonly reqId: number }
  | {
      readonly type: 'storage/tas';
      readonly holder: NodeId | null;
      readonly generation: number;
      readonly asker: NodeId;
      readonly won: boolean;
    }
  | {
      readonly type: 'storage/disk';
      readonly op: 'read' | 'write';
      readonly block: number;
      readonly from: NodeId;
      /** The digest of the block written (null for a read or a refused write). */
      readonly digest: number | null;
      /** Why storage refused the request, or null when it was served. */
      readonly refused: 'bad block' | 'no data' | 'stale generation' | null;
    }
  /** A disk request's completion delivered to the guest of a VM acting as the service (primary or live). */
  | { readonly type: 'io/completed'; readonly vm: NodeId; readonly op: 'read' | 'write'; readonly block: number; readonly ok: boolean; readonly digest: number | null }
  /** A clock value the guest of a primary or live VM read (traced when it changes: at most one a virtual ms). */
  | { readonly type: 'guest/clock'; readonly vm: NodeId; readonly value: number }
  | { readonly type: 'fault'; readonly kind: string; readonly detail: string }
  | { readonly type: 'snapshot/sent'; readonly vm: NodeId; readonly to: NodeId; readonly icount: number }
  /**
   * A message put on the wire, with an id unique in the session (`A#12`; a retransmission adds
   * `.r`). `to` is where it goes (after the switch: the VM owning the service MAC). Exactly one
   * `net/delivered` or `net/dropped` with the same id follows.
   */
  | {
      readonly type: 'net/sent';
      readonly id: string;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly msg: WireType;
      readonly link: NetLink;
      /** Short: the log entries it carries ("#12–14"), "ack #14", "read block 3". */
      readonly label: string;
      /** A retransmission (reliable links, after a drop): the id of the message it replaces. */
      readonly retransmit?: string;
    }
  | { readonly type: 'net/delivered'; readonly id: string }
  | { readonly type: 'net/dropped'; readonly id: string; readonly why: DropReason }
  /** A power-off control entry: appended by the primary; acknowledged by the backup (then the primary halts). */
  | { readonly type: 'power-off/requested'; readonly vm: NodeId; readonly seq: number }

export type TraceType = TraceBody['type'];

/** A trace event stamped with the virtual time (ms) it happened at. */
export type TraceEvent = TraceBody & { readonly t: number };
