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
  it('a paste of several lines sends its first and says how many it left out; escape sequences go whole', () => {
    const r = feed(emptyLine(), 'put a 1\nincr a\r\nget a\n');
    expect(r.event).toEqual({ kind: 'submit', line: 'put a 1', leftOut: 2 });
    expect(r.state.line).toBe('');
    expect(feed(emptyLine(), 'get k\n').event).toEqual({ kind: 'submit', line: 'get k' });
    expect(type(emptyLine(), 'get k\x1b[2J1').line).toBe('get k1');
    expect(type(emptyLine(), 'a\x1b[1;31mb').line).toBe('ab');
  });
});
