import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLinearizability, HistoryError } from './linearizability';
import {
  checkReference,
  loadPorcupineSuite,
  parseEtcdLog,
  parseKvLog,
  REFERENCE_HISTORY_COUNT,
  type EtcdOperation,
  type ReferenceHistory,
} from './porcupineSuite';
import { appendKvModel, casRegisterModel } from './referenceModels';

const zip = readFileSync(new URL('./testdata/porcupine/porcupine-test-data.zip', import.meta.url));
const suite = loadPorcupineSuite(zip);
const named = (name: string): ReferenceHistory => suite.find((h) => h.name === name)!;

describe("Porcupine's reference histories", () => {
  it('holds every history Porcupine gives a verdict for, of both verdicts', () => {
    expect(suite).toHaveLength(REFERENCE_HISTORY_COUNT);
    const etcd = suite.filter((h) => h.set === 'etcd');
    const kv = suite.filter((h) => h.set === 'kv');
    expect(etcd).toHaveLength(102);
    expect(etcd.filter((h) => h.linearizable)).toHaveLength(23);
    expect(kv).toHaveLength(6);
    expect(kv.filter((h) => h.linearizable)).toHaveLength(3);
    // Real histories, not empty files: etcd runs of ~100 operations, kv from 38 to ~2,000.
    expect(Math.min(...suite.map((h) => h.ops.length))).toBeGreaterThan(30);
    expect(named('c50-bad').ops.length).toBeGreaterThan(2000);
    // The etcd runs have lost replies (Jepsen's :info), which the checker must treat as open.
    expect(etcd.reduce((n, h) => n + h.ops.filter((o) => o.status === 'info').length, 0)).toBeGreaterThan(1000);
  });

  // The acceptance test of the checker: Porcupine's verdict on every one, and `unknown` (budget
  // exhausted) counts as a disagreement.
  it.each(suite.map((h) => [h.name, h] as const))('%s: same verdict as Porcupine', (_name, h) => {
    const r = checkReference(h, { stopAtFirstViolation: true });
    expect(r.ok).toBe(h.linearizable);
  });

  it('refutes a linearizable etcd history once one read is made impossible', () => {
    for (const h of suite.filter((x): x is ReferenceHistory & { set: 'etcd' } => x.set === 'etcd' && x.linearizable)) {
      // The last successful read that saw a value: make it see a value nobody ever wrote.
      const victim = [...h.ops].reverse().find((o) => o.status === 'ok' && o.output?.f === 'read' && o.output.value !== null)!;
      const bad = h.ops.map((o): EtcdOperation => (o === victim ? { ...o, output: { f: 'read', value: 999_999 } } : o));
      const r = checkLinearizability(casRegisterModel, bad);
      if (r.ok !== false) throw new Error(`${h.name}: expected a violation, got ${String(r.ok)}`);
      expect(r.culprits[0]!.id).toBe(victim.id);
      expect(r.message).toContain('999999');
    }
  });

  it('refutes a linearizable kv history once one get misses an append', () => {
    const h = named('c10-ok');
    if (h.set !== 'kv') throw new Error('c10-ok is a kv history');
    const victim = [...h.ops].reverse().find((o) => o.status === 'ok' && o.output?.f === 'get' && o.output.value.length > 0)!;
    const seen = victim.output?.f === 'get' ? victim.output.value : '';
    const bad = h.ops.map((o) => (o === victim ? { ...o, output: { f: 'get' as const, value: `${seen}never appended` } } : o));
    const r = checkLinearizability(appendKvModel, bad);
    if (r.ok !== false) throw new Error(`expected a violation, got ${String(r.ok)}`);
    expect(r.key).toBe(victim.input.key);
    expect(r.culprits[0]!.id).toBe(victim.id);
  });

  it('gives the same verdict without stopping at the first violation (etcd: one object)', () => {
    for (const h of suite.filter((x) => x.set === 'etcd').slice(0, 20)) {
      expect(checkReference(h).ok).toBe(h.linearizable);
    }
  });
});

describe('parseEtcdLog', () => {
  const log = (lines: string[]): string => lines.map((l) => `INFO  jepsen.util - ${l}`).join('\n') + '\n';

  it('reads invokes and replies; a failed cas is a reply, a timed-out write or cas a lost reply', () => {
    const ops = parseEtcdLog(
      log([
        '0\t:invoke\t:write\t3',
        '1\t:invoke\t:cas\t[3 4]',
        '0\t:ok\t:write\t3',
        '2\t:invoke\t:cas\t[1 2]',
        '1\t:info\t:cas\t:timed-out',
        '2\t:fail\t:cas\t[1 2]',
        '3\t:invoke\t:read\tnil',
        '3\t:fail\t:read\t:timed-out',
        '4\t:invoke\t:read\tnil',
        '4\t:ok\t:read\t4',
        '5\t:invoke\t:write\t1',
      ]),
    );
    expect(ops.map((o) => [o.client, o.status, o.input, o.output])).toEqual([
      [0, 'ok', { f: 'write', value: 3 }, { f: 'write' }],
      [1, 'info', { f: 'cas', from: 3, to: 4 }, null],
      [2, 'ok', { f: 'cas', from: 1, to: 2 }, { f: 'cas', ok: false }],
      [3, 'fail', { f: 'read' }, null],
      [4, 'ok', { f: 'read' }, { f: 'read', value: 4 }],
      // Still open at the end of the log: a lost reply.
      [5, 'info', { f: 'write', value: 1 }, null],
    ]);
    // write 3, then the lost cas 3→4 took effect, then the read saw 4.
    expect(checkLinearizability(casRegisterModel, ops).ok).toBe(true);
    // Without the lost cas, nothing could have written 4.
    expect(checkLinearizability(casRegisterModel, ops.filter((o) => o.client !== 1)).ok).toBe(false);
  });

  it('says which line it cannot read', () => {
    expect(() => parseEtcdLog(log(['0\t:invoke\t:read\tnil', '0\t:ok\t:read\tseven']))).toThrow(/^line 2: /);
    expect(() => parseEtcdLog('hello\n')).toThrow(HistoryError);
    expect(() => parseEtcdLog(log(['0\t:invoke\t:incr\t1']))).toThrow(/line 1/);
  });

  it('rejects a reply to a different kind of call', () => {
    expect(() => parseEtcdLog(log(['0\t:invoke\t:read\tnil', '0\t:ok\t:write\t1']))).toThrow(/does not match/);
  });
});

describe('parseKvLog', () => {
  it('reads get/put/append events', () => {
    const ops = parseKvLog(
      [
        '{:process 0, :type :invoke, :f :put, :key "k", :value "a"}',
        '{:process 1, :type :invoke, :f :append, :key "k", :value "b"}',
        '{:process 0, :type :ok, :f :put, :key "k", :value "a"}',
        '{:process 1, :type :ok, :f :append, :key "k", :value "b"}',
        '{:process 0, :type :invoke, :f :get, :key "k", :value nil}',
        '{:process 0, :type :ok, :f :get, :key "k", :value "ab"}',
      ].join('\n'),
    );
    expect(ops.map((o) => [o.client, o.input, o.output])).toEqual([
      [0, { f: 'put', key: 'k', value: 'a' }, { f: 'put' }],
      [1, { f: 'append', key: 'k', value: 'b' }, { f: 'append' }],
      [0, { f: 'get', key: 'k' }, { f: 'get', value: 'ab' }],
    ]);
    expect(checkLinearizability(appendKvModel, ops).ok).toBe(true);
    // "ba" would need the append before the put, but the put's value replaces everything.
    const bad = ops.map((o) => (o.input.f === 'get' ? { ...o, output: { f: 'get' as const, value: 'ba' } } : o));
    expect(checkLinearizability(appendKvModel, bad).ok).toBe(false);
  });

  it('says which line it cannot read', () => {
    expect(() => parseKvLog('{:process 0, :type :invoke, :f :get, :key "k", :value nil}\n{:process 0 :type :ok}')).toThrow(/^line 2: /);
  });
});

describe('loadPorcupineSuite', () => {
  it('refuses data with a history missing', () => {
    expect(() => loadPorcupineSuite(new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]))).toThrow(/missing/);
  });
});
