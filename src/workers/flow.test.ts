import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../engine/ft/trace';
import { ConsoleChunk, linesIn, notShown, TraceOutbox } from './flow';

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

const ev = (i: number): TraceEvent => ({ type: 'heartbeat', vm: 'A', to: 'B', t: i });
const out = (text: string, t: number): TraceEvent => ({ type: 'console', vm: 'A', text, suppressed: false, t });

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
