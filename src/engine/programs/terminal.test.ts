import { describe, expect, it } from 'vitest';
import { PROGRAMS } from './catalog';
import { PROGRAM_NAMES } from './index';
import { complete, greeting, helpText, MAX_REQUEST_CHARS, parseCommand, SERVER_PROGRAM_NAMES } from './terminal';

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
    expect(parseCommand('get', 'ticker').kind).toBe('error');
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

describe("every program's terminal", () => {
  it('takes the commands of its table entry, with help and clear', () => {
    for (const name of PROGRAM_NAMES) {
      const own = PROGRAMS[name].client?.commands ?? [];
      expect(complete('', name).candidates).toEqual([...own.map((c) => c.name), 'help', 'clear']);
      expect(helpText(name)).toHaveLength(own.length + 2);
      for (const c of own) {
        const r = parseCommand([c.name, ...c.args.map((_, i) => `a${i}`)].join(' '), name);
        expect(r, `${name}: ${c.name}`).toEqual({ kind: 'request', text: [c.name.toUpperCase(), ...c.args.map((_, i) => `a${i}`)].join(' ') });
      }
    }
  });
  it("greets with examples that are requests, or names the servers", () => {
    for (const name of PROGRAM_NAMES) {
      const c = PROGRAMS[name].client;
      if (!c) {
        expect(greeting(name)).toBe(`${name} takes no client requests. Pick kv-server or lease-server.`);
        continue;
      }
      expect(c.examples.length).toBeGreaterThan(0);
      for (const e of c.examples) {
        expect(greeting(name)).toContain(`"${e}"`);
        expect(parseCommand(e, name).kind, e).toBe('request');
      }
    }
    expect(SERVER_PROGRAM_NAMES).toEqual(['kv-server', 'lease-server']);
  });
  it("refuses a request the server's receive buffer could not hold", () => {
    expect(parseCommand(`get ${'k'.repeat(MAX_REQUEST_CHARS - 4)}`, 'kv-server').kind).toBe('request');
    expect(parseCommand(`get ${'k'.repeat(MAX_REQUEST_CHARS - 3)}`, 'kv-server').kind).toBe('error');
  });
});
