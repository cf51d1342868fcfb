// What the network's trace says about a message: a short label (the log entries a batch carries,
// the seq an ack acknowledges, the disk block), the same in both runtimes.

import { batchSeqRange } from './log';
import type { Message, NodeId } from './messages';
import type { WireType } from './trace';

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
      return from.startsWith('client-') ? 'request' : 'reply';
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
