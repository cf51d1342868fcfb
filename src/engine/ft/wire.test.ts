import { describe, expect, it } from 'vitest';
import type { Message, NodeId } from './messages';
import { dropDetail, nextMessageId, parseMessageId, sentEvent } from './wire';
import { asNodeId as nid } from './messages';

describe('message ids and labels', () => {
  it('each sender numbers its own messages; an id names its sender, number and retransmission', () => {
    const sent = new Map<NodeId, number>();
    expect([nextMessageId(sent, nid('A')), nextMessageId(sent, nid('client-3')), nextMessageId(sent, nid('A'))]).toEqual(['A#1', 'client-3#1', 'A#2']);
    expect(parseMessageId('A#2')).toEqual({ from: 'A', n: 2, retransmit: false });
    expect(parseMessageId('client-3#17.r')).toEqual({ from: 'client-3', n: 17, retransmit: true });
  });

  it('a net/sent carries the label and, for a resend, the id it replaces', () => {
    const ack: Message = { t: 'ack', ackedSeq: 14, consumedSeq: 14, icount: 900, heartbeat: false };
    expect(sentEvent('B#3', nid('B'), nid('A'), ack, 'channel')).toEqual({ type: 'net/sent', id: 'B#3', from: nid('B'), to: nid('A'), msg: 'ack', link: 'channel', label: 'ack #14' });
    expect(sentEvent('B#3.r', nid('B'), nid('A'), ack, 'channel', 'B#3').retransmit).toBe('B#3');
    expect(dropDetail('B#3')).toBe('dropped message B#3 on the wire');
  });
});
