// Shared storage: test-and-set by generation, and fencing of stale writers.
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { DISK_BLOCK_SIZE } from '../machine/isa';
import type { Message, NodeEnv } from './messages';
import { SharedStorage } from './storage';
import { asNodeId as nid } from './messages';

function storage() {
  const sent: { to: string; msg: Message }[] = [];
  const queue: (() => void)[] = [];
  const env: NodeEnv = {
    id: nid('storage'),
    rng: new Rng(1),
    now: () => 0,
    after: (_ms, fn) => (queue.push(fn), { cancel: () => undefined }),
    send: (to, msg) => void sent.push({ to, msg }),
    trace: () => undefined,
  };
  const s = new SharedStorage(env);
  const ask = (from: string, msg: Message) => {
    s.receive(msg, nid(from));
    while (queue.length) queue.shift()!();
    return sent.at(-1)!.msg;
  };
  return { s, ask };
}
const block = () => new Uint8Array(DISK_BLOCK_SIZE).fill(7);

describe('shared storage', () => {
  it('test-and-set: the first of the current generation wins; a stale one loses; a new pair wins the next', () => {
    const { s, ask } = storage();
    expect(ask('B', { t: 'tas', tag: 1, gen: 0 })).toMatchObject({ won: true, holder: 'B', gen: 1 });
    expect(ask('B', { t: 'tas', tag: 2, gen: 0 })).toMatchObject({ won: true }); // its answer was lost: asks again
    expect(ask('A', { t: 'tas', tag: 1, gen: 0 })).toMatchObject({ won: false, holder: 'B' }); // stale
    expect(ask('C', { t: 'tas', tag: 1, gen: 1 })).toMatchObject({ won: true, holder: 'C', gen: 2 }); // B's new backup
    expect(ask('A', { t: 'tas', tag: 2, gen: 0 })).toMatchObject({ won: false });
    expect(s.generation).toBe(2);
  });
  it('refuses a write from a stale generation and a write without its bytes', () => {
    const { s, ask } = storage();
    ask('B', { t: 'tas', tag: 1, gen: 0 });
    expect(ask('A', { t: 'disk', tag: 5, op: 'write', block: 3, data: block(), gen: 0 })).toMatchObject({ ok: false });
    expect(s.touched.has(3)).toBe(false);
    expect(ask('B', { t: 'disk', tag: 6, op: 'write', block: 3, data: null, gen: 1 })).toMatchObject({ ok: false });
    expect(ask('B', { t: 'disk', tag: 7, op: 'write', block: 3, data: block(), gen: 1 })).toMatchObject({ ok: true });
    expect(s.disk[3 * DISK_BLOCK_SIZE]).toBe(7);
  });
});
