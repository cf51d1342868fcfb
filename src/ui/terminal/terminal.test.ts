import { describe, expect, it } from 'vitest';
import { complete, helpText, parseCommand } from './commands';
import { emptyLine, feed, type LineState } from './lineEditor';

const type = (s: LineState, ...keys: string[]) => keys.reduce((st, k) => feed(st, k).state, s);

describe('client commands', () => {
  it('turn lower-case commands into the guest requests', () => {
    expect(parseCommand('put x 5', 'kv-server')).toEqual({ kind: 'request', text: 'PUT x 5' });
    expect(parseCommand('  GET   x ', 'kv-server')).toEqual({ kind: 'request', text: 'GET x' });
    expect(parseCommand('lease chunk42', 'lease-server')).toEqual({ kind: 'request', text: 'LEASE chunk42' });
  });
  it('reject what the server would reject, with a usage line', () => {
    expect(parseCommand('put x', 'kv-server')).toEqual({ kind: 'error', message: 'usage: put <key> <value>' });
    expect(parseCommand('lease x', 'kv-server').kind).toBe('error');
    expect(parseCommand('get ' + 'k'.repeat(60), 'kv-server').kind).toBe('error');
    expect(parseCommand('get', 'other').kind).toBe('error');
    expect(parseCommand('', 'kv-server').kind).toBe('empty');
    expect(parseCommand('help', 'kv-server').kind).toBe('help');
  });
  it('complete the command word', () => {
    expect(complete('in', 'kv-server').line).toBe('incr ');
    expect(complete('', 'lease-server').candidates).toEqual(['lease', 'release', 'help', 'clear']);
    expect(complete('put x', 'kv-server')).toEqual({ line: 'put x', candidates: [] });
    expect(helpText('kv-server').join('\n')).toMatch(/put <key> <value>/);
  });
});

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
    expect(feed(s, '\x03').state.line).toBe('');
  });
});
