// What the network's trace says about a message: its id, a short label (the log entries a batch
// carries, the seq an ack acknowledges, the disk block), the same in both runtimes.

import { batchSeqRange } from './log';
import { asNodeId, isClientNode, type Message, type NodeId } from './messages';
import type { NetLink, TraceBody, WireType } from './trace';

// Every message type is one the trace can name, and no more.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameTypes: Same<Message['t'], WireType> = true;
void _sameTypes;

export const seqRange = (a: number, b: number): string => (a === b ? `#${a}` : `#${a}–${b}`);

/** A short label for a message on the wire ("#12–14", "ack #14", "read block 3"). */
export function messageLabel(msg: Message, from: NodeId): string {
  switch (msg.t) {
    case 'log': {
      const r = batchSeqRange(msg.batch);
      return r ? seqRange(r.from, r.to) : 'heartbeat';
    }
    case 'ack':
      return msg.heartbeat ? `heartbeat ack #${msg.ackedSeq}` : `ack #${msg.ackedSeq}`;
    case 'snapshot':
      return 'snapshot';
    case 'frame':
      return isClientNode(from) ? 'request' : 'reply';
    case 'advertise':
      return 'MAC advertisement';
    case 'disk':
      return `${msg.op} block ${msg.block}`;
    case 'disk-done':
      return msg.ok ? 'disk done' : 'disk failed';
    case 'tas':
      return 'test-and-set';
    case 'tas-result':
      return msg.won ? 'won' : 'lost';
  }
}

/**
 * The next message id of sender `from` (`A#12`): each sender numbers what it puts on the wire,
 * so ids are unique in a session whichever runtime (or worker) stamps them. `sent` holds the
 * counts (saved with the network in snapshots).
 */
export function nextMessageId(sent: Map<NodeId, number>, from: NodeId): string {
  const n = (sent.get(from) ?? 0) + 1;
  sent.set(from, n);
  return `${from}#${n}`;
}

/** A message id's sender, its number, and whether it is a retransmission (`A#12.r`). */
export function parseMessageId(id: string): { readonly from: NodeId; readonly n: number; readonly retransmit: boolean } {
  const hash = id.lastIndexOf('#');
  const rest = id.slice(hash + 1);
  return { from: asNodeId(id.slice(0, hash)), n: parseInt(rest, 10), retransmit: rest.includes('.') };
}

/** The trace's record of a message put on the wire (the same fields in both runtimes). */
export function sentEvent(id: string, from: NodeId, to: NodeId, msg: Message, link: NetLink, retransmit?: string): Extract<TraceBody, { type: 'net/sent' }> {
  return { type: 'net/sent', id, from, to, msg: msg.t, link, label: messageLabel(msg, from), ...(retransmit !== undefined ? { retransmit } : {}) };
}

/** The fault event's detail when the learner drops a message (both runtimes). */
export const dropDetail = (id: string): string => `dropped message ${id} on the wire`;
