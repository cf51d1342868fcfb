import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asNodeId as nid, type Message } from '../engine/ft/messages';
import type { Envelope } from './realm';
import { ByteRing, SharedClock, canShareClock, pairMemory } from './sharedClock';

const A = nid('A');
const B = nid('B');
const log = (n: number, bytes: number[], heartbeat = false): Envelope => ({ from: A, to: B, stamp: n + 0.25, id: `A#${n}`, msg: { t: 'log', batch: Uint8Array.from(bytes), heartbeat } });
const ack = (n: number): Envelope => ({ from: B, to: A, stamp: n * 1.5, id: `B#${n}`, msg: { t: 'ack', ackedSeq: n, consumedSeq: n - 1, icount: n * 1000, heartbeat: n % 2 === 0 } });
const snapshot = (n: number): Envelope => ({ from: A, to: B, stamp: n, id: `A#${n}`, msg: { t: 'snapshot', nextSeq: 7, gen: 1, lastClock: null, snapshot: { version: 1 } } as unknown as Message });

function pair(ringBytes = 4096): [SharedClock, SharedClock] {
  const buffer = pairMemory(ringBytes);
  return [new SharedClock({ buffer, side: 0 }), new SharedClock({ buffer, side: 1 })];
}

function received(c: SharedClock): { envs: Envelope[]; complete: boolean } {
  const envs: Envelope[] = [];
  const complete = c.receive((e) => envs.push(e));
  return { envs, complete };
}

describe('the ring of one logging-channel direction', () => {
  it('gives back every record in order across many wraps, and refuses a record it has no room for', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 90 }), fc.boolean()), { minLength: 1, maxLength: 300 }), (ops) => {
        const buffer = new SharedArrayBuffer(8 + 256);
        const ring = new ByteRing(buffer, 0, 256);
        const queue: number[][] = [];
        let next = 0;
        for (const [len, readNow] of ops) {
          const rec = Array.from({ length: len }, (_, i) => (next + i) & 0xff);
          const ok = ring.write(len, (_v, data, at) => data.set(rec, at));
          if (ok) {
            queue.push(rec);
            next++;
          } else expect(queue.length).toBeGreaterThan(0); // only a ring holding something is full
          if (readNow || !ok) {
            ring.read((_v, data, at, l) => {
              expect([...data.slice(at, at + l)]).toEqual(queue.shift());
              return true;
            });
            expect(queue).toEqual([]);
            expect(ring.pending).toBe(false);
          }
        }
      }),
    );
  });

  it('leaves a record the reader does not take, and everything after it, for later', () => {
    const ring = new ByteRing(new SharedArrayBuffer(8 + 64), 0, 64);
    for (const b of [1, 2, 3]) ring.write(1, (_v, data, at) => (data[at] = b));
    const seen: number[] = [];
    expect(ring.read((_v, data, at) => (data[at] === 2 ? false : (seen.push(data[at]!), true)))).toBe(false);
    expect(seen).toEqual([1]);
    expect(ring.read((_v, data, at) => (seen.push(data[at]!), true))).toBe(true);
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('a pair sharing memory: safe times and the logging channel', () => {
  it('is used only where the page may share memory (not in Node, which is not cross-origin isolated)', () => {
    expect(canShareClock()).toBe(false);
  });

  it('a safe time is read by the peer at once, never rounded up, and never goes back', () => {
    const [a, b] = pair();
    expect(b.peerSafe()).toBeNull();
    a.publish(12.3456789);
    expect(b.peerSafe()).toBe(12.345);
    a.publish(5);
    a.publish(Infinity);
    expect(b.peerSafe()).toBe(12.345);
    expect(a.peerSafe()).toBeNull();
  });

  it('log entries and acknowledgements cross intact, each way, in order', () => {
    const [a, b] = pair();
    const out = [log(1, [1, 2, 3]), log(2, [], true), log(3, Array.from({ length: 300 }, (_, i) => i & 0xff))];
    for (const e of out) expect(a.send(e).how).toBe('ring');
    const got = received(b);
    expect(got.complete).toBe(true);
    expect(got.envs).toEqual(out);
    expect(received(b).envs).toEqual([]); // taken once
    const back = [ack(1), ack(2)];
    for (const e of back) expect(b.send(e).how).toBe('ring');
    expect(received(a).envs).toEqual(back);
  });

  it('the safe time taken in with the ring is the one published before what was read, not one published meanwhile', () => {
    const [a, b] = pair();
    a.send(log(1, [1]));
    a.publish(5);
    const seen: string[] = [];
    // While the reader takes in entry 1, the writer puts entry 2 in and publishes 10.
    const r = b.takeIn((e) => {
      seen.push(e.id!);
      if (e.id === 'A#1') {
        a.send(log(2, [2]));
        a.publish(10);
      }
    });
    expect(r).toEqual({ safe: 5, complete: true });
    expect(seen).toEqual(['A#1']);
    expect(b.takeIn((e) => seen.push(e.id!))).toEqual({ safe: 10, complete: true });
    expect(seen).toEqual(['A#1', 'A#2']);
  });

  it('no safe time counts while a message that came by the port is missing', () => {
    const [a, b] = pair();
    a.send(snapshot(1));
    a.publish(3);
    expect(b.takeIn(() => undefined)).toEqual({ safe: null, complete: false });
    b.portArrived(1, snapshot(1));
    expect(b.takeIn(() => undefined)).toEqual({ safe: 3, complete: true });
  });

  it('a message the ring does not carry goes by the port and keeps its place in the order', () => {
    const [a, b] = pair();
    expect(a.send(log(1, [9])).how).toBe('ring');
    const s = a.send(snapshot(2));
    expect(s).toEqual({ how: 'port', portSeq: 1 });
    expect(a.send(log(3, [8])).how).toBe('ring');
    // The ring is read up to the marker; the rest waits for the port's message.
    const first = received(b);
    expect(first.complete).toBe(false);
    expect(first.envs.map((e) => e.id)).toEqual(['A#1']);
    b.portArrived(1, snapshot(2));
    const rest = received(b);
    expect(rest.complete).toBe(true);
    expect(rest.envs.map((e) => e.id)).toEqual(['A#2', 'A#3']);
  });

  it('a log batch too big for the ring goes by the port, in its place', () => {
    const [a, b] = pair(256);
    const big = log(2, Array.from({ length: 100 }, () => 1));
    a.send(log(1, [1]));
    expect(a.send(big)).toEqual({ how: 'port', portSeq: 1 });
    b.portArrived(1, big);
    expect(received(b).envs).toEqual([log(1, [1]), big]);
  });

  it('a full ring says so, and takes more once the peer has read', () => {
    const [a, b] = pair(256);
    let sent = 0;
    while (a.send(log(sent + 1, Array.from({ length: 40 }, () => 7))).how === 'ring') sent++;
    expect(sent).toBeGreaterThan(0);
    expect(received(b).envs).toHaveLength(sent);
    expect(a.send(log(sent + 1, [1])).how).toBe('ring');
  });

  it('waiting for the peer returns at once when something is in the ring, and gives up after its time otherwise', () => {
    const [a, b] = pair();
    expect(b.waitForPeer(1)).toBe(false);
    a.send(ack(1));
    expect(b.waitForPeer(1000)).toBe(true);
  });

  it('a wait for a safe time returns at once when the peer is there, and gives up while it is short of it', () => {
    const [a, b] = pair();
    a.publish(5);
    expect(b.waitForPeer(1000, 5)).toBe(true);
    expect(b.waitForPeer(1000, 4)).toBe(true);
    expect(b.waitForPeer(1, 5.0004)).toBe(false); // (5.0004 is not promised until 5.001 is published: times are whole µs)
    expect(b.waitForPeer(1, 10)).toBe(false);
    a.publish(10);
    expect(b.waitForPeer(1000, 10)).toBe(true);
  });

  it('a peer parked in its event loop is owed a message only once what it waits for is published or written', () => {
    const [a, b] = pair();
    a.publish(5);
    expect(b.park(10)).toBe(true);
    expect(a.publish(7)).toBe(false); // short of it: no message
    expect(a.publish(10)).toBe(true); // there: one message
    expect(a.publish(11)).toBe(false); // and only one
    // Something written to the logging channel wakes it, however far the time is.
    expect(b.park(1000)).toBe(true);
    expect(a.publish(12)).toBe(false);
    a.send(log(1, [1]));
    expect(a.publish(12)).toBe(true);
    expect(b.park(1000)).toBe(false); // (and, until it has read the ring, it does not wait again)
    expect(received(b).envs).toHaveLength(1);
    // Already there when it parks: it must not wait.
    expect(b.park(12)).toBe(false);
    expect(a.publish(13)).toBe(false);
    // Back from its event loop by other means (its own timer, a message): nothing is owed.
    expect(b.park(100)).toBe(true);
    b.unpark();
    expect(a.publish(200)).toBe(false);
  });

  it('a peer that waits for nothing is owed nothing, whatever is published', () => {
    const [a, b] = pair();
    b.park(Infinity);
    expect(a.publish(1e9)).toBe(false);
    a.send(log(1, [1]));
    expect(a.publish(1e9 + 1)).toBe(true); // (only the logging channel wakes it)
  });
});
