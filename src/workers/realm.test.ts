import { describe, expect, it } from 'vitest';
import type { Message, NodeId } from '../engine/ft/messages';
import { Realm } from './realm';

const LINK = { latencyMs: 0.05, jitterMs: 0, loss: 0, bandwidthMbps: 0.1 };
// A log batch of 1,000 bytes: 80 ms on the wire at 0.1 Mbit/s.
const batch = (): Message => ({ t: 'log', batch: new Uint8Array(992) }) as Message;

function realmWithReceiver(): { realm: Realm; got: string[] } {
  const realm = new Realm({ speed: 1, paused: true, anchorWall: 0, anchorVirtual: 0 });
  const got: string[] = [];
  realm.attach('B', { receive: (_m: Message, from: NodeId) => got.push(from) });
  realm.stop(); // no pumping: the test runs the scheduler itself
  return { realm, got };
}

describe('a Web Worker realm delivers with the simulator’s delay model', () => {
  it('serialises behind what went before, then arrives after the latency', () => {
    const { realm, got } = realmWithReceiver();
    realm.deliver({ from: 'A', to: 'B', stamp: 0, msg: batch() }, LINK, 0);
    realm.deliver({ from: 'A', to: 'B', stamp: 0, msg: batch() }, LINK, 0);
    realm.sched.runUntil(80);
    expect(got).toEqual([]);
    realm.sched.runUntil(80.06);
    expect(got).toEqual(['A']);
    realm.sched.runUntil(160.06);
    expect(got).toEqual(['A', 'A']);
  });

  it('what a dead sender had not finished putting on the wire never arrives; what it had, does', () => {
    const { realm, got } = realmWithReceiver();
    realm.deliver({ from: 'A', to: 'B', stamp: 0, msg: batch() }, LINK, 0); // on the wire by 80 ms
    realm.deliver({ from: 'A', to: 'B', stamp: 0, msg: batch() }, LINK, 0); // queued behind it until 160 ms
    realm.senderDied('A', 100);
    realm.sched.runUntil(1000);
    expect(got).toEqual(['A']);
  });
});
