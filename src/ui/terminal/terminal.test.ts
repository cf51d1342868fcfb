import { describe, expect, it } from 'vitest';
import { emptyLine, feed, type LineState } from './lineEditor';

const type = (s: LineState, ...keys: string[]) => keys.reduce((st, k) => feed(st, k).state, s);

describe('line editor', () => {
  it('types, erases and submits, remembering history', () => {
    let s = type(emptyLine(), 'g', 'e', 't', ' ', 'x', 'y', '\x7f');
    expect(s.line).toBe('get x');
    const r = feed(s, '\r');
    expect(r.event).toEqual({ kind: 'submit', line: 'get x' });
    s = type(r.state, 'p', 'u', 't');
    s = type(s, '\x1b[A');
    expect(s.line).toBe('get x');
    s = type(s, '\x1b[B');
    expect(s.line).toBe('put');
  });
  it('ignores control bytes and unknown escapes, and caps the line', () => {
    const s = type(emptyLine(), '\x1b[C', 'a\x01b', 'c'.repeat(200));
    expect(s.line.startsWith('ab')).toBe(true);
    expect(s.line.length).toBe(80);
    // What did not fit is never cut silently: the terminal is told how much was left out.
    expect(feed(emptyLine(), 'c'.repeat(200)).event).toEqual({ kind: 'full', dropped: 120 });
    expect(feed(s, 'x').event).toEqual({ kind: 'full', dropped: 1 });
    expect(feed(emptyLine(), 'abc').event).toBeUndefined();
    expect(feed(s, '\x03').state.line).toBe('');
  });
});
