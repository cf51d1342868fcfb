import { describe, it, expect } from 'vitest';
import { STACK_TOP } from '../machine/isa';
import { Rng } from '../util/rng';
import { Guest } from './testing';

// Timer ticks arrive at 10, 20, 30, ... ms of virtual time; a lease lasts 5 ticks after the
// request that granted or renewed it.

function bootLease(): Guest {
  const g = new Guest('lease-server');
  g.runUntilConsole('lease-server ready\n');
  return g;
}

function expiries(g: Guest): string[] {
  return g.lines().filter((l) => l.startsWith('lease '));
}

describe('lease-server', () => {
  it('grants a free lease, denies it to others, lets the holder renew and release it', () => {
    const g = bootLease();
    expect(g.request('LEASE a', 1)).toBe('GRANTED a');
    expect(g.request('LEASE a', 2)).toBe('DENIED a held by c1');
    expect(g.request('LEASE a', 1)).toBe('GRANTED a'); // renew
    expect(g.request('RELEASE a', 2)).toBe('NOTHELD'); // not the holder
    expect(g.request('LEASE a', 2)).toBe('DENIED a held by c1');
    expect(g.request('RELEASE a', 1)).toBe('RELEASED');
    expect(g.request('RELEASE a', 1)).toBe('NOTHELD');
    expect(g.request('LEASE a', 2)).toBe('GRANTED a');
    expect(g.request('LEASE b', 1)).toBe('GRANTED b'); // names are independent
    expect(g.request('LEASE ab', 3)).toBe('GRANTED ab');
    expect(g.request('LEASE b', 3)).toBe('DENIED b held by c1');
    expect(g.request('RELEASE nothing', 3)).toBe('NOTHELD');
    expect(g.lines().slice(1, 4)).toEqual(['c1#1 LEASE a -> GRANTED a', 'c2#1 LEASE a -> DENIED a held by c1', 'c1#2 LEASE a -> GRANTED a']);
    expect(expiries(g)).toEqual([]); // released leases do not "expire"
  });

  it('expires a lease on the 5th timer tick after it was granted', () => {
    const g = bootLease();
    g.runTo(13);
    expect(g.request('LEASE a', 1)).toBe('GRANTED a'); // ticks 20, 30, 40, 50, 60
    g.runTo(59);
    expect(g.request('LEASE a', 2)).toBe('DENIED a held by c1');
    expect(expiries(g)).toEqual([]);
    g.runTo(61);
    expect(expiries(g)).toEqual(['lease a expired (was c1)']);
    expect(g.request('LEASE a', 2)).toBe('GRANTED a');
    expect(g.request('RELEASE a', 1)).toBe('NOTHELD'); // c1 lost it
    g.runTo(200);
    expect(expiries(g)).toEqual(['lease a expired (was c1)', 'lease a expired (was c2)']);
  });

  it('renewing restarts the 5 ticks', () => {
    const g = bootLease();
    g.runTo(13);
    expect(g.request('LEASE a', 7)).toBe('GRANTED a'); // would expire at 60
    g.runTo(43);
    expect(g.request('LEASE a', 7)).toBe('GRANTED a'); // now expires at 90
    g.runTo(85);
    expect(g.request('LEASE a', 8)).toBe('DENIED a held by c7');
    expect(expiries(g)).toEqual([]);
    g.runTo(89);
    expect(expiries(g)).toEqual([]);
    g.runTo(91);
    expect(expiries(g)).toEqual(['lease a expired (was c7)']);
    expect(g.request('LEASE a', 8)).toBe('GRANTED a');
  });

  it('a lease granted just after a tick and one granted just before the next expire together', () => {
    const g = bootLease();
    g.runTo(11);
    g.request('LEASE early', 1);
    g.runTo(18);
    g.request('LEASE late', 2);
    g.runTo(59);
    expect(expiries(g)).toEqual([]);
    g.runTo(61);
    expect(expiries(g)).toEqual(['lease early expired (was c1)', 'lease late expired (was c2)']);
  });

  it('holds at most 16 leases; freed, released and expired slots are reused', () => {
    const g = bootLease();
    g.runTo(11);
    for (let i = 0; i < 16; i++) expect(g.request(`LEASE L${i}`, 100 + i)).toBe(`GRANTED L${i}`);
    expect(g.request('LEASE L16', 99)).toBe('ERR too many leases');
    expect(g.request('LEASE L3', 103)).toBe('GRANTED L3'); // renewing needs no room
    expect(g.request('RELEASE L5', 105)).toBe('RELEASED');
    expect(g.request('LEASE L16', 99)).toBe('GRANTED L16');
    expect(g.request('LEASE L17', 99)).toBe('ERR too many leases');
    g.runTo(200); // the grants spread over a few ticks: all are gone 50 ms after the last
    expect(expiries(g)).toHaveLength(16); // L0..L16 except L5, which was released
    expect(expiries(g)).toContain('lease L15 expired (was c115)');
    expect(expiries(g)).toContain('lease L16 expired (was c99)');
    for (let i = 17; i < 33; i++) expect(g.request(`LEASE L${i}`, 1)).toBe(`GRANTED L${i}`);
  });

  it('reports client ids up to 65535 and answers malformed requests with ERR', () => {
    const g = bootLease();
    expect(g.request('LEASE big', 65535)).toBe('GRANTED big');
    expect(g.request('LEASE big', 0)).toBe('DENIED big held by c65535');
    const name = 'n'.repeat(16);
    expect(g.request(`LEASE ${name}`, 4)).toBe(`GRANTED ${name}`);
    expect(g.request(`RELEASE ${name}`, 4)).toBe('RELEASED');
    const cases: [string, string][] = [
      ['', 'ERR bad request'],
      ['LEASE  a', 'ERR bad request'],
      ['LEASE a ', 'ERR bad request'],
      ['LEASE a\r', 'ERR bad request'],
      ['lease a', 'ERR unknown command'],
      ['GRAB a', 'ERR unknown command'],
      ['LEASE', 'ERR wrong arguments'],
      ['LEASE a b', 'ERR wrong arguments'],
      ['RELEASE', 'ERR wrong arguments'],
      ['RELEASE a b c d e', 'ERR wrong arguments'],
      [`LEASE ${'n'.repeat(17)}`, 'ERR name too long'],
      [`RELEASE ${'n'.repeat(17)}`, 'ERR name too long'],
      ['LEASE ' + 'x'.repeat(60), 'ERR request too long'],
    ];
    for (const [text, want] of cases) expect([text, g.request(text, 5)]).toEqual([text, want]);
    expect(g.lines().at(-1)).toBe(`c5#${cases.length} LEASE ${'x'.repeat(54)} -> ERR request too long`);
  });

  it('keeps working under a long stream of requests and ticks', () => {
    const g = bootLease();
    // Clients 1..4 fight over 3 names at irregular times; model the expected answers.
    const rng = new Rng(7);
    let t = 0;
    const held = new Map<string, { holder: number; left: number }>();
    const expired: string[] = [];
    let lastTick = 0;
    const tickModelTo = (now: number): void => {
      for (; lastTick + 10 <= now; lastTick += 10) {
        for (const [n, l] of held) {
          if (--l.left > 0) continue;
          held.delete(n);
          expired.push(`lease ${n} expired (was c${l.holder})`);
        }
      }
    };
    for (let i = 0; i < 1_500; i++) {
      t += rng.int(1, 25);
      g.runTo(t);
      tickModelTo(g.bm.now); // ticks due by now are handled before the request
      const client = 1 + (i % 4);
      const name = `res${(i * 7) % 3}`;
      const release = i % 5 === 4;
      const h = held.get(name);
      let want: string;
      if (release) {
        want = h && h.holder === client ? 'RELEASED' : 'NOTHELD';
        if (want === 'RELEASED') held.delete(name);
      } else if (!h || h.holder === client) {
        held.set(name, { holder: client, left: 5 });
        want = `GRANTED ${name}`;
      } else want = `DENIED ${name} held by c${h.holder}`;
      const text = `${release ? 'RELEASE' : 'LEASE'} ${name}`;
      const got = g.request(text, client, i & 0xffff);
      if (got !== want) expect(`${i} @${g.bm.now}: ${text} -> ${got}`).toBe(`${i} @${g.bm.now}: ${text} -> ${want}`);
    }
    g.run(100);
    tickModelTo(g.bm.now);
    expect(held.size).toBe(0);
    expect(expired.length).toBeGreaterThan(100);
    expect(expiries(g)).toEqual(expired);
    expect(g.word('ls_ticks')).toBe(Math.floor(g.bm.now / 10));
    expect(g.bm.machine.status).toBe('idle');
    expect(g.bm.machine.regs[15]).toBe(STACK_TOP);
  });
});
