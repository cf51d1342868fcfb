import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../engine/ft/trace';
import { checkerNeutral, ConsoleChunk, linesIn, notShown, printable, TraceFold, TraceOutbox, VIEW_FOLD_CAP } from './flow';
import { asNodeId as nid } from '../engine/ft/messages';

describe('ConsoleChunk', () => {
  it('keeps whole lines up to its budget and counts what it drops, marker included', () => {
    const c = new ConsoleChunk(100, 3);
    for (let i = 0; i < 10; i++) c.add(`line ${i}\n`);
    expect(c.take()).toBe('line 0\nline 1\nline 2\n… 7 lines not shown\n');
    expect(c.empty).toBe(true);
    c.add('ok\n');
    expect(c.take()).toBe('ok\n');
  });
  it('a million newlines cost a bounded chunk', () => {
    const c = new ConsoleChunk(4096, 64);
    for (let i = 0; i < 1_000_000; i++) c.add('\n');
    const out = c.take();
    expect(out.length).toBeLessThan(4096 + 40);
    expect(out.endsWith(notShown(1_000_000 - 64, 0))).toBe(true);
  });
  it('a marker dropped again counts the lines it stood for', () => {
    expect(linesIn('a\n… 41 lines not shown\n')).toBe(42);
    const c = new ConsoleChunk(10, 1);
    c.add('x\n');
    c.add('… 41 lines not shown\n');
    expect(c.take()).toBe('x\n… 41 lines not shown\n');
  });
  it('a long line without newline is cut by characters', () => {
    const c = new ConsoleChunk(8, 10);
    c.add('abcdefghijkl');
    expect(c.take()).toBe('\n… 12 characters not shown\n'.slice(1));
  });
});

const ev = (i: number): TraceEvent => ({ type: 'heartbeat', vm: nid('A'), to: nid('B'), t: i });
const out = (text: string, t: number): TraceEvent => ({ type: 'console', vm: nid('A'), text, suppressed: false, t });

describe('TraceOutbox', () => {
  it('coalesces console output into one event per batch and keeps the other events in order', () => {
    const box = new TraceOutbox({ consoleChars: 64, consoleLines: 4, maxBatch: 100, maxInFlight: 2, holdAt: 1000 });
    box.push([ev(1), out('a\n', 1.5), ev(2), out('b\n', 2.5)]);
    const b = box.take()!;
    expect(b.map((e) => e.type)).toEqual(['heartbeat', 'heartbeat', 'console']);
    expect(b[2]).toMatchObject({ text: 'a\nb\n', t: 1.5 });
  });
  it('has at most maxInFlight batches unacknowledged, and says when the producer must hold', () => {
    const box = new TraceOutbox({ consoleChars: 64, consoleLines: 4, maxBatch: 10, maxInFlight: 2, holdAt: 50 });
    box.push(Array.from({ length: 60 }, (_, i) => ev(i)));
    expect(box.full).toBe(true);
    expect(box.take()!.length).toBe(10);
    expect(box.take()!.length).toBe(10);
    expect(box.take()).toBeNull(); // two in flight
    expect(box.full).toBe(false); // 40 waiting
    box.ack();
    expect(box.take()!.map((e) => e.t)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  });
});

const released = (vm: string, seq: number): TraceEvent => ({ type: 'output/released', vm: nid(vm), seq, output: 'net', to: nid('client-1'), role: 'primary', delayMs: 0, ackedSeq: seq, t: seq });
const flushed = (seq: number): TraceEvent => ({ type: 'entry/flushed', vm: nid('A'), fromSeq: seq, toSeq: seq, bytes: 10, horizon: seq, t: seq });

describe('TraceFold', () => {
  it('keeps at most cap events of a stream per window, evenly spread, the latest among them, and counts the rest', () => {
    const fold = new TraceFold(8);
    const n = 100_000;
    for (let i = 1; i <= n; i++) fold.add([released('A', i)]);
    expect(fold.size).toBeLessThanOrEqual(9);
    const { events, folded } = fold.take();
    expect(events.length).toBeLessThanOrEqual(9);
    expect(events.at(-1)).toMatchObject({ seq: n });
    expect(folded['output/released']).toBe(n - events.length);
    // Evenly spread: the gaps between samples are equal (the last one aside).
    const seqs = events.map((e) => (e as { seq: number }).seq);
    const gaps = new Set(seqs.slice(1, -1).map((s, i) => s - seqs[i]!));
    expect(gaps.size).toBe(1);
    expect(fold.take()).toEqual({ events: [], folded: {} });
  });
  it('streams are per kind and node: one VM flooding does not thin another', () => {
    const fold = new TraceFold(4);
    for (let i = 1; i <= 1000; i++) fold.add([released('A', i)]);
    fold.add([released('B', 1), released('B', 2)]);
    const { events } = fold.take();
    expect(events.filter((e) => e.type === 'output/released' && e.vm === 'B')).toHaveLength(2);
  });
  it('rare kinds always pass, in arrival order with the rest; under the cap nothing is folded', () => {
    const fold = new TraceFold(64);
    const role: TraceEvent = { type: 'vm/role', vm: nid('A'), role: 'live', reason: 'x', t: 5 };
    fold.add([released('A', 1), role, released('A', 2)]);
    const { events, folded } = fold.take();
    expect(events).toEqual([released('A', 1), role, released('A', 2)]);
    expect(folded).toEqual({});
  });
  it('log-entry batches merge: the entries and bytes they stand for stay exact', () => {
    const fold = new TraceFold(8);
    for (let i = 1; i <= 1000; i++) fold.add([flushed(i)]);
    const { events, folded } = fold.take();
    expect(events.length).toBeLessThanOrEqual(8);
    let entries = 0;
    let bytes = 0;
    for (const e of events) {
      if (e.type !== 'entry/flushed') continue;
      entries += e.toSeq - e.fromSeq + 1;
      bytes += e.bytes;
    }
    expect(entries).toBe(1000);
    expect(bytes).toBe(10_000);
    expect(events.at(-1)).toMatchObject({ toSeq: 1000, horizon: 1000 });
    expect(folded['entry/flushed']).toBe(1000 - events.length);
  });

  it('log-entry batches sent again (after a heal, a new backup) count again, as they do when each batch crosses', () => {
    const fold = new TraceFold(8);
    // 1..500, then 401..1000 re-sent from 401: 1,100 batches of one entry each.
    for (let i = 1; i <= 500; i++) fold.add([flushed(i)]);
    for (let i = 401; i <= 1000; i++) fold.add([flushed(i)]);
    const { events } = fold.take();
    let entries = 0;
    for (const e of events) if (e.type === 'entry/flushed') entries += e.toSeq - e.fromSeq + 1;
    expect(entries).toBe(1100);
  });
  it('a flood of rare kinds is bounded too, and counted', () => {
    const fold = new TraceFold(2, 10);
    for (let i = 0; i < 100; i++) fold.add([{ type: 'fault', kind: 'x', detail: String(i), t: i }]);
    const { events, folded } = fold.take();
    expect(events.length).toBeLessThanOrEqual(13);
    expect(events.at(-1)).toMatchObject({ detail: '99' });
    expect(folded.fault).toBe(100 - events.length);
  });
  it('messages are thinned in pairs by id: an outcome reaches the page exactly when its net/sent did, in this window or a later one', () => {
    const fold = new TraceFold(8);
    const sent = (i: number): TraceEvent => ({ type: 'net/sent', id: `A#${i}`, from: nid('A'), to: nid('client-1'), msg: 'frame', link: 'clients', label: 'frame', t: i });
    const outcome = (i: number): TraceEvent => (i % 3 === 0 ? { type: 'net/dropped', id: `A#${i}`, why: 'loss', t: i + 1 } : { type: 'net/delivered', id: `A#${i}`, t: i + 1 });
    const shown: TraceEvent[] = [];
    let folded = 0;
    // Half the outcomes come in the same window as their message, the rest in the next one.
    for (let w = 0; w < 4; w++) {
      for (let i = w * 1000; i < (w + 1) * 1000; i++) {
        fold.add([sent(i)]);
        if (i % 2 === 0) fold.add([outcome(i)]);
        if (i >= 1000 && i % 2 === 1) fold.add([outcome(i - 1000)]);
      }
      const r = fold.take();
      shown.push(...r.events);
      folded += (r.folded['net/sent'] ?? 0) + (r.folded['net/delivered'] ?? 0) + (r.folded['net/dropped'] ?? 0);
    }
    for (let i = 3000; i < 4000; i += 2) fold.add([outcome(i + 1)]);
    const last = fold.take();
    shown.push(...last.events);
    folded += (last.folded['net/delivered'] ?? 0) + (last.folded['net/dropped'] ?? 0);
    const sentIds = new Set(shown.filter((e) => e.type === 'net/sent').map((e) => (e as { id: string }).id));
    const outIds = shown.filter((e) => e.type === 'net/delivered' || e.type === 'net/dropped').map((e) => (e as { id: string }).id);
    expect(sentIds.size).toBeGreaterThan(0);
    expect(sentIds.size).toBeLessThanOrEqual(4 * 8);
    expect(new Set(outIds)).toEqual(sentIds);
    expect(outIds).toHaveLength(sentIds.size);
    // Nothing silent: every event is shown or counted.
    expect(shown.length + folded).toBe(8000);
    // A retransmission always passes, and so does the outcome of a message sent before the fold saw anything.
    const fresh = new TraceFold(1);
    fresh.add([{ type: 'net/delivered', id: 'B#1', t: 0 }, sent(1), sent(2), sent(3), { ...sent(4), retransmit: 'A#3' } as TraceEvent]);
    expect(fresh.take().events.map((e) => e.type)).toEqual(['net/delivered', 'net/sent', 'net/sent']);
  });
  it("a VM worker's outbox thins only what the page's checkers may see thinned: a violation always crosses, every event is sent or counted", () => {
    const box = new TraceOutbox({ consoleChars: 64, consoleLines: 4, maxBatch: 4000, maxInFlight: 100, holdAt: 40_000 }, checkerNeutral);
    const early: TraceEvent = { ...released('A', 5000), ackedSeq: 10 } as TraceEvent;
    const passed: TraceEvent = { type: 'entry/replayed', vm: nid('B'), seq: 7, kind: 'packet', icount: 100, atIcount: 101, t: 3 };
    const live: TraceEvent = { ...released('A', 1), role: 'live' } as TraceEvent;
    for (let i = 1; i <= 20_000; i++) {
      box.push([released('A', i), { type: 'entry/replayed', vm: nid('B'), seq: i, kind: 'output', icount: i, atIcount: i, t: i }]);
      if (i === 9000) box.push([early, passed, live]);
    }
    expect(box.full).toBe(false); // thinned as it comes: the VM need not hold
    const sent: TraceEvent[] = [];
    for (let b = box.take(); b; b = box.take()) sent.push(...b);
    const folded = box.takeFolded();
    expect(sent).toContain(early);
    expect(sent).toContain(passed);
    expect(sent).toContain(live);
    expect(sent.length).toBeLessThan(3 * VIEW_FOLD_CAP);
    expect(sent.length + (folded['output/released'] ?? 0) + (folded['entry/replayed'] ?? 0)).toBe(40_003);
    // Without a predicate nothing is thinned (the default).
    const plain = new TraceOutbox({ consoleChars: 64, consoleLines: 4, maxBatch: 100_000, maxInFlight: 1, holdAt: 1e6 });
    for (let i = 1; i <= 1000; i++) plain.push([released('A', i)]);
    expect(plain.take()).toHaveLength(1000);
    expect(plain.takeFolded()).toEqual({});
  });
});

describe('a guest console shows only printable text', () => {
  it('keeps newline, tab, carriage return and printable bytes; shows every other control byte as ·', () => {
    expect(printable('GET k1\r\n\tok ~ é')).toBe('GET k1\r\n\tok ~ é');
    expect(printable('\x1b[31mred\x1bc\x00\x07\x7f\x9b2J')).toBe('·[31mred·c····2J');
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    // eslint-disable-next-line no-control-regex -- the control bytes it must not leave
    expect(printable(all)).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/);
  });
});
