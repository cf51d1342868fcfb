import { describe, expect, it } from 'vitest';
import type { ClientOp } from '../sim/clients';
import { Rng } from '../util/rng';
import { clientProtocol, fuzzProgram, PROGRAMS, workloadProgram } from './catalog';
import { PROGRAM_NAMES } from './index';

const op = (client: number, reqId: number, text: string, invoke: number, complete: number, reply: string): ClientOp => ({
  client,
  reqId,
  text,
  invoke,
  complete,
  reply,
  status: 'ok',
  from: null,
});

describe('the program table', () => {
  it('has every shipped program; only the servers take client requests', () => {
    expect(Object.keys(PROGRAMS).sort()).toEqual([...PROGRAM_NAMES].sort());
    expect(PROGRAM_NAMES.filter((p) => clientProtocol(p) !== null)).toEqual(['kv-server', 'lease-server']);
    expect(clientProtocol('no-such-program')).toBeNull();
    expect(workloadProgram('lease-server')).toBe('lease-server');
    expect(workloadProgram('ticker')).toBe('kv-server');
  });

  it("requests the workload and the fuzzer make are commands of the program's own terminal", () => {
    for (const name of ['kv-server', 'lease-server'] as const) {
      const c = PROGRAMS[name].client;
      const words = new Set(c.commands.map((x) => x.name.toUpperCase()));
      const rng = new Rng(7);
      for (let i = 0; i < 200; i++) {
        for (const text of [c.randomRequest(rng, 'k1'), c.fuzzRequest(rng)]) {
          const [verb, ...args] = text.split(' ');
          expect(words.has(verb!), text).toBe(true);
          expect(args.length, text).toBe(c.commands.find((x) => x.name.toUpperCase() === verb)!.args.length);
        }
      }
    }
  });

  it('every program has terminal commands: a server its own, others none (the terminal says so)', () => {
    for (const name of PROGRAM_NAMES) {
      const c = PROGRAMS[name].client;
      if (!c) continue;
      expect(c.commands.length, name).toBeGreaterThan(0);
      for (const cmd of c.commands) expect(cmd.doc.length, `${name} ${cmd.name}`).toBeGreaterThan(0);
      expect(new Set(c.commands.map((x) => x.name)).size, name).toBe(c.commands.length);
    }
  });

  it("the fuzzer's program draw follows the shares (55 / 30 / 15, as before the table held them)", () => {
    const total = PROGRAM_NAMES.reduce((n, p) => n + PROGRAMS[p].fuzzShare, 0);
    expect(total).toBe(100);
    expect([0, 0.5499, 0.55, 0.8499, 0.85, 0.9999].map(fuzzProgram)).toEqual(['kv-server', 'kv-server', 'lease-server', 'lease-server', 'ticker', 'ticker']);
  });

  it("each server's checker passes a correct history and fails a wrong one", () => {
    const kv = PROGRAMS['kv-server'].client;
    expect(kv.check([op(1, 1, 'PUT x 5', 0, 1, 'OK'), op(2, 1, 'GET x', 2, 3, 'VALUE 5')]).ok).toBe(true);
    expect(kv.check([op(1, 1, 'PUT x 5', 0, 1, 'OK'), op(2, 1, 'GET x', 2, 3, 'NOTFOUND')]).ok).toBe(false);
    const lease = PROGRAMS['lease-server'].client;
    expect(lease.check([op(1, 1, 'LEASE k0', 0, 1, 'GRANTED k0'), op(2, 1, 'LEASE k0', 100, 101, 'GRANTED k0')]).ok).toBe(true);
    expect(lease.check([op(1, 1, 'LEASE k0', 0, 1, 'GRANTED k0'), op(2, 1, 'LEASE k0', 10, 12, 'GRANTED k0')]).ok).toBe(false);
  });
});
