import { describe, it, expect } from 'vitest';
import {
  checkKvHistory,
  checkLinearizability,
  ConfigCache,
  createKvModel,
  HistoryError,
  kvModel,
  LinearizedSet,
  NOT_AN_INTEGER,
  operationsFromEvents,
  parseUnsigned32,
  registerModel,
  type CheckResult,
  type KvEvent,
  type KvInput,
  type KvOperation,
  type KvOutput,
  type KvState,
  type Model,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
} from './linearizability';

// --- builders ------------------------------------------------------------------------------------

const put = (key: string, value: string): KvInput => ({ kind: 'put', key, value });
const get = (key: string): KvInput => ({ kind: 'get', key });
const incr = (key: string): KvInput => ({ kind: 'incr', key });
const del = (key: string): KvInput => ({ kind: 'del', key });
const OK: KvOutput = { kind: 'ok' };
const val = (value: string): KvOutput => ({ kind: 'value', value });
const NOTFOUND: KvOutput = { kind: 'notfound' };
const DELETED: KvOutput = { kind: 'deleted' };
const err = (message: string): KvOutput => ({ kind: 'err', message });

/** A tiny history builder: ids are assigned in call order. */
function history(): {
  ok: (client: number, invoke: number, complete: number, input: KvInput, output: KvOutput) => KvOperation;
  info: (client: number, invoke: number, input: KvInput) => KvOperation;
  fail: (client: number, invoke: number, complete: number, input: KvInput) => KvOperation;
  ops: KvOperation[];
} {
  const ops: KvOperation[] = [];
  const add = (op: KvOperation): KvOperation => {
    ops.push(op);
    return op;
  };
  return {
    ops,
    ok: (client, invoke, complete, input, output) => add({ id: ops.length, client, invoke, complete, input, output, status: 'ok' }),
    info: (client, invoke, input) => add({ id: ops.length, client, invoke, complete: null, input, output: null, status: 'info' }),
    fail: (client, invoke, complete, input) => add({ id: ops.length, client, invoke, complete, input, output: null, status: 'fail' }),
  };
}

function expectOk<I, O>(r: CheckResult<I, O>): void {
  if (r.ok !== true) throw new Error(`expected ok, got ${r.ok === false ? r.message : r.reason}`);
}

function expectFail<I, O>(r: CheckResult<I, O>): Extract<CheckResult<I, O>, { ok: false }> {
  if (r.ok !== false) throw new Error(`expected a violation, got ok: ${String(r.ok)}`);
  return r;
}

const ids = (ops: readonly { id: unknown }[]): unknown[] => ops.map((o) => o.id);

// --- the model -------------------------------------------------------------------------------------

describe('kv model', () => {
  const step = (s: KvState, i: KvInput, o: KvOutput | null) => kvModel.step(s, i, o);

  it('follows the guest kv-server semantics', () => {
    expect(step(null, put('x', 'a'), OK)).toEqual({ ok: true, next: 'a' });
    expect(step('a', get('x'), val('a'))).toEqual({ ok: true, next: 'a' });
    expect(step('a', get('x'), val('b')).ok).toBe(false);
    expect(step(null, get('x'), NOTFOUND)).toEqual({ ok: true, next: null });
    expect(step('a', get('x'), NOTFOUND).ok).toBe(false);
    expect(step(null, incr('x'), val('1'))).toEqual({ ok: true, next: '1' });
    expect(step('41', incr('x'), val('42'))).toEqual({ ok: true, next: '42' });
    expect(step('41', incr('x'), val('41')).ok).toBe(false);
    expect(step('4294967295', incr('x'), val('0'))).toEqual({ ok: true, next: '0' });
    expect(step('abc', incr('x'), err(NOT_AN_INTEGER))).toEqual({ ok: true, next: 'abc' });
    expect(step('7', incr('x'), err(NOT_AN_INTEGER)).ok).toBe(false);
    expect(step(null, incr('x'), err(NOT_AN_INTEGER)).ok).toBe(false);
    expect(step('', incr('x'), err(NOT_AN_INTEGER)).ok).toBe(true);
    expect(step('a', del('x'), DELETED)).toEqual({ ok: true, next: null });
    expect(step(null, del('x'), DELETED).ok).toBe(false);
    expect(step(null, del('x'), NOTFOUND)).toEqual({ ok: true, next: null });
    expect(step('a', del('x'), NOTFOUND).ok).toBe(false);
    // Wrong reply kinds for the command.
    expect(step(null, put('x', 'a'), val('a')).ok).toBe(false);
    expect(step('a', get('x'), DELETED).ok).toBe(false);
  });

  it('treats other errors as "refused, nothing changed", allowed in any state', () => {
    for (const input of [put('x', 'z'), get('x'), incr('x'), del('x')]) {
      expect(step('5', input, err('out of memory'))).toEqual({ ok: true, next: '5' });
      expect(step(null, input, err('bad request'))).toEqual({ ok: true, next: null });
    }
  });

  it('applies the effect of a lost reply', () => {
    expect(step('a', put('x', 'b'), null)).toEqual({ ok: true, next: 'b' });
    expect(step('9', incr('x'), null)).toEqual({ ok: true, next: '10' });
    expect(step('abc', incr('x'), null)).toEqual({ ok: true, next: 'abc' });
    expect(step('a', del('x'), null)).toEqual({ ok: true, next: null });
  });

  it("accepts the guest kv-server's own INCR test, run sequentially", () => {
    // The same requests and replies as src/engine/programs/kvServer.test.ts.
    const script: [KvInput, KvOutput][] = [
      [incr('n'), val('1')], [incr('n'), val('2')], [get('n'), val('2')],
      [put('n', '0041'), OK], [incr('n'), val('42')], [get('n'), val('42')],
      [put('w', '4294967295'), OK], [incr('w'), val('0')],
      [put('s', 'abc'), OK], [incr('s'), err(NOT_AN_INTEGER)], [get('s'), val('abc')],
      [put('m', '-1'), OK], [incr('m'), err(NOT_AN_INTEGER)], [put('m', '12x'), OK], [incr('m'), err(NOT_AN_INTEGER)],
      [put('big', '99999999999'), OK], [incr('big'), val(String((99999999999 % 2 ** 32) + 1))],
      [put('k', 'v'), err('table full')], [get('k'), NOTFOUND], [del('n'), err('disk error')], [get('n'), val('42')],
    ];
    const ops = script.map(([input, output], i): KvOperation => ({ id: i, client: 1, invoke: 2 * i, complete: 2 * i + 1, input, output, status: 'ok' }));
    expectOk(checkKvHistory(ops));
  });

  it('parses INCR operands like a 32-bit machine', () => {
    expect(parseUnsigned32('0')).toBe(0);
    expect(parseUnsigned32('007')).toBe(7);
    expect(parseUnsigned32('4294967295')).toBe(4294967295);
    expect(parseUnsigned32('4294967296')).toBe(0);
    expect(parseUnsigned32('')).toBeNull();
    expect(parseUnsigned32('-1')).toBeNull();
    expect(parseUnsigned32('1.5')).toBeNull();
    expect(parseUnsigned32(' 1')).toBeNull();
    const strict = createKvModel({ parseUnsigned: (s) => (/^[0-9]{1,9}$/.test(s) ? Number(s) : null) });
    expect(strict.step('4294967296', incr('x'), err(NOT_AN_INTEGER)).ok).toBe(true);
  });
});

// --- linearizable histories -----------------------------------------------------------------------

describe('linearizable histories', () => {
  it('accepts the empty history', () => {
    expect(checkKvHistory([])).toEqual({ ok: true, partitions: [] });
  });

  it('accepts overlapping writes and reads with several valid orders', () => {
    const h = history();
    h.ok(1, 0, 10, put('x', '1'), OK);
    h.ok(2, 1, 9, put('x', '2'), OK);
    h.ok(3, 2, 4, get('x'), val('2'));
    h.ok(4, 3, 5, get('x'), val('1'));
    h.ok(3, 5, 8, get('x'), val('2'));
    h.ok(4, 11, 12, get('x'), val('2'));
    expectOk(checkKvHistory(h.ops));
  });

  it('counts operations that touch at an instant as concurrent', () => {
    const h = history();
    h.ok(1, 0, 5, put('x', '1'), OK);
    h.ok(2, 5, 6, get('x'), NOTFOUND); // invoked at the instant the put completed
    expectOk(checkKvHistory(h.ops));
  });

  it('accepts a lost-reply write that took effect', () => {
    const h = history();
    h.ok(1, 0, 1, put('x', '1'), OK);
    h.info(2, 2, put('x', '2'));
    h.ok(3, 5, 6, get('x'), val('2'));
    h.ok(3, 7, 8, get('x'), val('2'));
    expectOk(checkKvHistory(h.ops));
  });

  it('accepts a lost-reply write that never took effect', () => {
    const h = history();
    h.ok(1, 0, 1, put('x', '1'), OK);
    h.info(2, 2, put('x', '2'));
    h.ok(3, 5, 6, get('x'), val('1'));
    h.ok(3, 7, 8, get('x'), val('1'));
    h.ok(1, 9, 10, del('x'), DELETED);
    expectOk(checkKvHistory(h.ops));
  });

  it('accepts a lost-reply write that took effect long after it was sent', () => {
    const h = history();
    h.info(2, 0, put('x', 'late'));
    h.ok(1, 1, 2, get('x'), NOTFOUND);
    h.ok(1, 3, 4, put('x', 'a'), OK);
    h.ok(1, 5, 6, get('x'), val('a'));
    h.ok(1, 100, 101, get('x'), val('late'));
    expectOk(checkKvHistory(h.ops));
  });

  it('accepts an INCR chain with concurrent increments', () => {
    const h = history();
    h.ok(0, 0, 1, put('c', '10'), OK);
    h.ok(1, 2, 10, incr('c'), val('13'));
    h.ok(2, 3, 9, incr('c'), val('12'));
    h.ok(3, 4, 5, incr('c'), val('11'));
    h.ok(3, 11, 12, get('c'), val('13'));
    h.ok(3, 13, 14, incr('c'), val('14'));
    expectOk(checkKvHistory(h.ops));
  });

  it('accepts INCR of a missing key, and "not an integer" on a word', () => {
    const h = history();
    h.ok(1, 0, 1, incr('n'), val('1'));
    h.ok(1, 2, 3, incr('n'), val('2'));
    h.ok(1, 4, 5, put('w', 'hello'), OK);
    h.ok(2, 6, 7, incr('w'), err(NOT_AN_INTEGER));
    h.ok(2, 8, 9, get('w'), val('hello'));
    expectOk(checkKvHistory(h.ops));
  });

  it('accepts a lost INCR whether or not it took effect', () => {
    for (const seen of ['11', '12']) {
      const h = history();
      h.ok(0, 0, 1, put('c', '10'), OK);
      h.info(1, 2, incr('c'));
      h.ok(2, 5, 6, incr('c'), val(seen));
      expectOk(checkKvHistory(h.ops));
    }
  });

  it('drops failed operations and tolerates error replies', () => {
    const h = history();
    h.fail(1, 0, 1, put('x', 'never'));
    h.ok(1, 2, 3, put('x', 'refused'), err('out of memory'));
    h.ok(2, 4, 5, get('x'), NOTFOUND);
    h.info(3, 6, get('x')); // a lost read says nothing
    expectOk(checkKvHistory(h.ops));
  });

  it('reports per-partition statistics', () => {
    const h = history();
    h.ok(1, 0, 1, put('x', '1'), OK);
    h.ok(1, 2, 3, put('y', '1'), OK);
    h.ok(2, 0, 4, get('y'), val('1'));
    h.fail(2, 5, 6, put('z', '1'));
    const r = checkKvHistory(h.ops);
    expectOk(r);
    expect(r.partitions.map((p) => [p.key, p.operations, p.verdict])).toEqual([
      ['x', 1, 'ok'],
      ['y', 2, 'ok'],
    ]);
    for (const p of r.partitions) expect(p.explored).toBeGreaterThan(0);
  });
});

// --- violations --------------------------------------------------------------------------------

describe('violations', () => {
  it('catches a stale read after a completed write', () => {
    const h = history();
    h.ok(1, 0, 1, put('x', '1'), OK);
    const stale = h.ok(2, 2, 3, get('x'), NOTFOUND);
    const r = expectFail(checkKvHistory(h.ops));
    expect(r.key).toBe('x');
    expect(ids(r.culprits)).toEqual([stale.id]);
    expect(ids(r.longestPrefix)).toEqual([0]);
    expect(r.message).toContain('client 2 saw GET x (not found), but no order of the other operations on x produces "not found".');
    expect(r.message).toContain('leaves x = 1');
  });

  it('catches the FT paper counter: primary replies 11 and dies, backup goes live at 10 and says 11 again', () => {
    const h = history();
    h.ok(0, 0, 1, put('counter', '10'), OK);
    h.ok(1, 2, 3, incr('counter'), val('11')); // the primary's reply
    // failover: the backup never saw the increment
    const again = h.ok(2, 10, 11, incr('counter'), val('11'));
    const r = expectFail(checkKvHistory(h.ops));
    expect(r.key).toBe('counter');
    expect(r.culprits[0]!.id).toBe(again.id);
    expect(ids(r.longestPrefix)).toEqual([0, 1]);
    expect(r.message).toMatch(/^client 2 saw INCR counter = 11, but no order of the other operations on counter produces 11\./);
  });

  it('catches two concurrent INCRs returning the same value, blaming the later reply', () => {
    const h = history();
    h.ok(0, 0, 1, put('c', '10'), OK);
    const a = h.ok(1, 2, 6, incr('c'), val('11'));
    const b = h.ok(2, 3, 9, incr('c'), val('11'));
    const r = expectFail(checkKvHistory(h.ops));
    expect(r.culprits[0]!.id).toBe(b.id);
    expect(ids(r.longestPrefix)).toEqual([0, a.id]);
  });

  it('catches a read of a value nobody wrote, among concurrent writes', () => {
    const h = history();
    h.ok(1, 0, 10, put('x', '1'), OK);
    h.ok(2, 1, 9, put('x', '2'), OK);
    const ghost = h.ok(3, 2, 8, get('x'), val('3'));
    h.ok(3, 11, 12, get('x'), val('1'));
    const r = expectFail(checkKvHistory(h.ops));
    expect(ids(r.culprits)).toEqual([ghost.id]);
    expect(r.message).toMatch(/^client 3 saw GET x = 3, but no order of the other operations on x produces 3\./);
  });

  it('catches a read of a deleted key', () => {
    const h = history();
    h.ok(1, 0, 1, put('x', 'v'), OK);
    h.ok(1, 2, 3, del('x'), DELETED);
    const zombie = h.ok(2, 4, 5, get('x'), val('v'));
    const r = expectFail(checkKvHistory(h.ops));
    expect(ids(r.culprits)).toEqual([zombie.id]);
    expect(r.message).toContain('leaves x unset');
  });

  it('catches a double DEL that both say deleted', () => {
    const h = history();
    h.ok(1, 0, 1, put('x', 'v'), OK);
    h.ok(1, 2, 3, del('x'), DELETED);
    const twice = h.ok(2, 4, 5, del('x'), DELETED);
    expect(ids(expectFail(checkKvHistory(h.ops)).culprits)).toEqual([twice.id]);
  });

  it('catches a lost-reply write that appears and then un-happens', () => {
    const h = history();
    h.ok(1, 0, 1, put('x', '1'), OK);
    h.info(2, 2, put('x', '2'));
    h.ok(3, 3, 4, get('x'), val('2'));
    const back = h.ok(3, 5, 6, get('x'), val('1'));
    const r = expectFail(checkKvHistory(h.ops));
    expect(r.culprits[0]!.id).toBe(back.id);
  });

  it('catches INCR succeeding on a non-integer', () => {
    const h = history();
    h.ok(1, 0, 1, put('w', 'abc'), OK);
    const bad = h.ok(1, 2, 3, incr('w'), val('1'));
    expect(expectFail(checkKvHistory(h.ops)).culprits[0]!.id).toBe(bad.id);
  });

  it('lists the other stuck pending operations after the culprit', () => {
    const h = history();
    h.ok(1, 0, 1, put('x', '1'), OK);
    const late = h.ok(2, 2, 20, get('x'), val('9')); // pending when the culprit's reply arrives
    const stale = h.ok(3, 3, 4, get('x'), NOTFOUND);
    const r = expectFail(checkKvHistory(h.ops));
    expect(ids(r.culprits)).toEqual([stale.id, late.id]);
  });

  it('explains a lone impossible operation', () => {
    const h = history();
    h.ok(7, 0, 1, get('k'), val('5'));
    const r = expectFail(checkKvHistory(h.ops));
    expect(r.message).toBe(
      'client 7 saw GET k = 5, but with no other operations on k it cannot produce 5. ' +
        'The longest consistent order found linearizes 0 operations of 1 and leaves k unset when that reply arrives (t=1).',
    );
  });

  it('rounds the time it names (a learner reads it)', () => {
    const h = history();
    h.ok(7, 0, 182.22744176422617, get('k'), val('5'));
    expect(expectFail(checkKvHistory(h.ops)).message).toMatch(/\(t=182\.227\)\.$/);
  });
});

// --- partitioning --------------------------------------------------------------------------------

describe('per-key partitioning', () => {
  it('finds a violation on one key among many healthy ones', () => {
    const h = history();
    for (let k = 0; k < 8; k++) {
      h.ok(k, 10 * k, 10 * k + 3, put(`k${k}`, '3'), OK);
      h.ok(k + 1, 10 * k + 1, 10 * k + 5, get(`k${k}`), val('3'));
    }
    // On y, a read of 3 that only another key's write could explain.
    h.ok(1, 100, 101, put('y', '1'), OK);
    const bad = h.ok(2, 102, 103, get('y'), val('3'));
    const r = expectFail(checkKvHistory(h.ops));
    expect(r.key).toBe('y');
    expect(ids(r.culprits)).toEqual([bad.id]);
    expect(r.violations).toHaveLength(1);
    expect(r.partitions.filter((p) => p.verdict === 'fail').map((p) => p.key)).toEqual(['y']);
    expect(r.partitions).toHaveLength(9);
  });

  it('reports every violating key, in order of first appearance', () => {
    const h = history();
    h.ok(1, 0, 1, put('b', '1'), OK);
    h.ok(1, 2, 3, put('a', '1'), OK);
    const badA = h.ok(2, 4, 5, get('a'), NOTFOUND);
    const badB = h.ok(2, 6, 7, get('b'), val('2'));
    h.ok(3, 0, 9, get('c'), NOTFOUND);
    const r = expectFail(checkKvHistory(h.ops));
    expect(r.violations.map((v) => [v.key, v.culprits[0]!.id])).toEqual([
      ['b', badB.id],
      ['a', badA.id],
    ]);
    expect(r.key).toBe('b');
  });
});

// --- events --------------------------------------------------------------------------------------

describe('operationsFromEvents', () => {
  it('pairs invocations with completions per client, by position', () => {
    const events: KvEvent[] = [
      { type: 'invoke', client: 1, input: put('x', '1') },
      { type: 'invoke', client: 2, input: get('x') },
      { type: 'ok', client: 1, output: OK },
      { type: 'invoke', client: 3, input: put('x', '2'), id: 'r3' },
      { type: 'ok', client: 2, output: val('1') },
      { type: 'fail', client: 3 },
      { type: 'invoke', client: 3, input: put('x', '3') },
      { type: 'info', client: 3 },
      { type: 'invoke', client: 1, input: incr('y') },
    ];
    expect(operationsFromEvents(events)).toEqual([
      { id: 0, client: 1, invoke: 0, complete: 2, input: put('x', '1'), output: OK, status: 'ok' },
      { id: 1, client: 2, invoke: 1, complete: 4, input: get('x'), output: val('1'), status: 'ok' },
      { id: 'r3', client: 3, invoke: 3, complete: 5, input: put('x', '2'), output: null, status: 'fail' },
      { id: 3, client: 3, invoke: 6, complete: null, input: put('x', '3'), output: null, status: 'info' },
      { id: 4, client: 1, invoke: 8, complete: null, input: incr('y'), output: null, status: 'info' },
    ]);
  });

  it('orders same-instant events by position, but treats equal times as concurrent with clock: time', () => {
    const events: KvEvent[] = [
      { type: 'invoke', client: 1, input: put('x', '1'), time: 0 },
      { type: 'ok', client: 1, output: OK, time: 5 },
      { type: 'invoke', client: 2, input: get('x'), time: 5 },
      { type: 'ok', client: 2, output: NOTFOUND, time: 6 },
    ];
    expectFail(checkKvHistory(operationsFromEvents(events)));
    expectOk(checkKvHistory(operationsFromEvents(events, { clock: 'time' })));
  });

  it('checks the FT counter example as an event list', () => {
    const events: KvEvent[] = [
      { type: 'invoke', client: 1, input: incr('n') },
      { type: 'ok', client: 1, output: val('1') },
      { type: 'invoke', client: 2, input: incr('n') },
      { type: 'info', client: 2 }, // the primary dies
      { type: 'invoke', client: 1, input: incr('n') },
      { type: 'ok', client: 1, output: val('2') }, // fine: client 2's INCR never happened
      { type: 'invoke', client: 3, input: incr('n') },
      { type: 'ok', client: 3, output: val('2') }, // not fine
    ];
    const r = expectFail(checkKvHistory(operationsFromEvents(events)));
    expect(r.culprits[0]!.client).toBe(3);
  });

  it('rejects malformed event lists', () => {
    expect(() => operationsFromEvents<KvInput, KvOutput>([{ type: 'ok', client: 1, output: OK }])).toThrow(HistoryError);
    expect(() =>
      operationsFromEvents<KvInput, KvOutput>([
        { type: 'invoke', client: 1, input: get('x') },
        { type: 'invoke', client: 1, input: get('x') },
      ]),
    ).toThrow(/pending/);
    expect(() => operationsFromEvents<KvInput, KvOutput>([{ type: 'invoke', client: 1, input: get('x') }], { clock: 'time' })).toThrow(/time/);
  });
});

// --- other models, validation, budget ---------------------------------------------------------

describe('the generic interface', () => {
  type RegOp = Operation<RegisterInput, RegisterOutput>;
  const w = (id: number, client: number, invoke: number, complete: number, value: number): RegOp => ({
    id, client, invoke, complete, input: { kind: 'write', value }, output: { kind: 'ok' }, status: 'ok',
  });
  const r = (id: number, client: number, invoke: number, complete: number, value: number): RegOp => ({
    id, client, invoke, complete, input: { kind: 'read' }, output: { kind: 'value', value }, status: 'ok',
  });

  it('checks a register (Porcupine-style examples)', () => {
    // Linearizable: the read of 0 and the read of 1 overlap the write.
    expectOk(checkLinearizability(registerModel, [w(0, 0, 0, 100, 1), r(1, 1, 25, 75, 0), r(2, 2, 30, 60, 1)]));
    // Not: once a read has seen 1, a later read cannot see 0.
    const v = expectFail(checkLinearizability(registerModel, [w(0, 0, 0, 100, 1), r(1, 1, 10, 20, 1), r(2, 2, 30, 40, 0)]));
    expect(v.key).toBe('');
    expect(v.culprits[0]!.id).toBe(2);
    expect(v.message).toMatch(/^client 2 saw read = 0, but no order of the other operations on the register produces 0\./);
  });

  it('accepts any model, e.g. a lease with a partition per name', () => {
    type LeaseIn = { readonly op: 'acquire' | 'release'; readonly name: string; readonly holder: number };
    type LeaseOut = { readonly granted: boolean };
    const lease: Model<number | null, LeaseIn, LeaseOut> = {
      name: 'lease',
      partition: (i) => i.name,
      init: () => null,
      step(s, i, o) {
        if (i.op === 'acquire') {
          const granted = s === null;
          if (o !== null && o.granted !== granted) return { ok: false };
          return { ok: true, next: granted ? i.holder : s };
        }
        return s === i.holder ? { ok: true, next: null } : { ok: o === null, next: s } as const;
      },
      equal: (a, b) => a === b,
      hash: (s) => (s === null ? 1 : s + 2),
      describeOperation: (i, o) => `${i.op} ${i.name} by ${i.holder}${o === null ? '' : o.granted ? ' (granted)' : ' (refused)'}`,
      describeState: (s, name) => (s === null ? `${name} free` : `${name} held by ${s}`),
    };
    const op = (id: number, client: number, t0: number, t1: number, input: LeaseIn, granted: boolean): Operation<LeaseIn, LeaseOut> => ({
      id, client, invoke: t0, complete: t1, input, output: { granted }, status: 'ok',
    });
    const acq = (name: string, holder: number): LeaseIn => ({ op: 'acquire', name, holder });
    expectOk(checkLinearizability(lease, [op(0, 1, 0, 5, acq('L', 1), true), op(1, 2, 1, 4, acq('L', 2), false), op(2, 2, 6, 7, acq('M', 2), true)]));
    const v = expectFail(checkLinearizability(lease, [op(0, 1, 0, 1, acq('L', 1), true), op(1, 2, 2, 3, acq('L', 2), true)]));
    expect(v.message).toMatch(/^client 2 saw acquire L by 2 \(granted\), but no order of the other operations on "L" produces that result\./);
  });

  it('rejects malformed histories', () => {
    const h = history();
    h.ok(1, 0, 1, get('x'), NOTFOUND);
    expect(() => checkKvHistory([...h.ops, ...h.ops])).toThrow(HistoryError);
    const bad = (o: Partial<KvOperation>): KvOperation[] => [{ ...h.ops[0]!, ...o }];
    expect(() => checkKvHistory(bad({ complete: null }))).toThrow(/completion/);
    expect(() => checkKvHistory(bad({ output: null }))).toThrow(/output/);
    expect(() => checkKvHistory(bad({ invoke: 5, complete: 4 }))).toThrow(/before/);
    expect(() => checkKvHistory(bad({ invoke: Number.NaN }))).toThrow(/invoke/);
    // Non-ok operations need neither.
    expect(checkKvHistory(bad({ status: 'info', complete: null, output: null })).ok).toBe(true);
  });

  it('says unknown when the search budget runs out', () => {
    const h = history();
    for (let c = 0; c < 6; c++) h.ok(c, c, 100, incr('c'), val(String(6 - c)));
    h.ok(9, 0, 1, put('d', '1'), OK);
    const r = checkKvHistory(h.ops, { maxStates: 3 });
    if (r.ok !== 'unknown') throw new Error('expected unknown');
    expect(r.unknownKeys).toEqual(['c']);
    expect(r.reason).toContain('c');
    expect(r.partitions.map((p) => p.verdict)).toEqual(['unknown', 'ok']);
    expectOk(checkKvHistory(h.ops));
  });

  it('prefers a definite violation to an exhausted budget', () => {
    const h = history();
    for (let c = 0; c < 6; c++) h.ok(c, c, 100, incr('c'), val(String(6 - c)));
    h.ok(9, 0, 1, get('d'), val('nope'));
    const r = expectFail(checkKvHistory(h.ops, { maxStates: 3 }));
    expect(r.key).toBe('d');
  });
});

// --- randomized ----------------------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG, local to the tests. */
function prng(seed: number): { next: () => number; int: (lo: number, hi: number) => number; pick: <T>(xs: readonly T[]) => T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: (xs) => xs[int(0, xs.length - 1)]! };
}

interface GenOptions {
  readonly ops: number;
  readonly keys: number;
  readonly clients: number;
  /** How far (in virtual time) an operation's interval may stretch around its linearization point. */
  readonly spread: number;
  /** Fraction of operations whose reply is lost (status info; half of them take effect). */
  readonly lost: number;
  /** Fraction of operations that fail outright (no effect). */
  readonly failed: number;
}

/**
 * A random sequential execution of the kv model, with each operation given a real-time interval
 * around its linearization point. Each client runs one operation at a time.
 */
function generate(seed: number, g: GenOptions): KvOperation[] {
  const rng = prng(seed);
  const keys = Array.from({ length: g.keys }, (_, i) => `k${i}`);
  const values = ['0', '1', '7', '41', 'abc', '4294967295'];
  const store = new Map<string, string>();
  const busyUntil = new Array<number>(g.clients).fill(-1);
  const ops: KvOperation[] = [];
  let t = 0;
  for (let i = 0; i < g.ops; i++) {
    t += rng.int(1, 3);
    // The linearization point is t; pick a client that is free by then.
    const free = busyUntil.flatMap((b, c) => (b < t ? [c] : []));
    if (free.length === 0) {
      i--;
      continue;
    }
    const client = rng.pick(free);
    const key = rng.pick(keys);
    const r = rng.next();
    const input: KvInput = r < 0.3 ? put(key, rng.pick(values)) : r < 0.6 ? get(key) : r < 0.85 ? incr(key) : del(key);
    const invoke = t - rng.int(0, Math.min(g.spread, t - busyUntil[client]! - 1));
    const complete = t + rng.int(0, g.spread);
    const fate = rng.next();
    if (fate < g.failed) {
      // Definitely failed: no effect.
      ops.push({ id: i, client, invoke, complete, input, output: null, status: 'fail' });
      busyUntil[client] = complete;
      continue;
    }
    const cur = store.get(key) ?? null;
    const s = kvModel.step(cur, input, null);
    if (!s.ok) throw new Error('unreachable');
    let output: KvOutput;
    switch (input.kind) {
      case 'put':
        output = OK;
        break;
      case 'get':
        output = cur === null ? NOTFOUND : val(cur);
        break;
      case 'incr':
        output = s.next === cur && cur !== null && parseUnsigned32(cur) === null ? err(NOT_AN_INTEGER) : val(s.next!);
        break;
      case 'del':
        output = cur === null ? NOTFOUND : DELETED;
        break;
    }
    if (fate < g.failed + g.lost) {
      // Reply lost; took effect or not.
      if (rng.next() < 0.5) {
        if (s.next === null) store.delete(key);
        else store.set(key, s.next);
      }
      ops.push({ id: i, client, invoke, complete: null, input, output: null, status: 'info' });
      busyUntil[client] = complete; // the client waits a while, then gives up
      continue;
    }
    if (s.next === null) store.delete(key);
    else store.set(key, s.next);
    ops.push({ id: i, client, invoke, complete, input, output, status: 'ok' });
    busyUntil[client] = complete;
  }
  return ops;
}

/**
 * The definition, by brute force over the whole (unpartitioned) history: some subset of the `info`
 * operations plus all `ok` ones, in some order that respects real time, replays through the model.
 */
function bruteForce(ops: readonly KvOperation[]): boolean {
  const live = ops.filter((o) => o.status !== 'fail');
  const used = new Array<boolean>(live.length).fill(false);
  const store = new Map<string, string>();
  const search = (): boolean => {
    if (live.every((o, i) => used[i] || o.status === 'info')) return true;
    for (let i = 0; i < live.length; i++) {
      if (used[i]) continue;
      const o = live[i]!;
      // Every unused ok operation that completed before o was invoked must come first.
      if (live.some((p, j) => !used[j] && p.status === 'ok' && p.complete! < o.invoke)) continue;
      const before = store.get(o.input.key) ?? null;
      const r = kvModel.step(before, o.input, o.status === 'ok' ? o.output : null);
      if (!r.ok) continue;
      used[i] = true;
      if (r.next === null) store.delete(o.input.key);
      else store.set(o.input.key, r.next);
      const found = search();
      used[i] = false;
      if (before === null) store.delete(o.input.key);
      else store.set(o.input.key, before);
      if (found) return true;
    }
    return false;
  };
  return search();
}

/** A small random history with arbitrary (often wrong) replies, ties and lost replies. */
function arbitrary(seed: number): KvOperation[] {
  const rng = prng(seed);
  const keys = rng.pick([['x'], ['x'], ['x', 'y']]);
  const n = rng.int(2, 8);
  const ops: KvOperation[] = [];
  for (let i = 0; i < n; i++) {
    const key = rng.pick(keys);
    const kind = rng.pick(['put', 'get', 'incr', 'del'] as const);
    const input: KvInput = kind === 'put' ? put(key, rng.pick(['0', '1', 'a'])) : { kind, key };
    const output: KvOutput =
      kind === 'put'
        ? rng.next() < 0.9 ? OK : err('busy')
        : kind === 'get'
          ? rng.pick([NOTFOUND, val('0'), val('1'), val('2'), val('a')])
          : kind === 'incr'
            ? rng.pick([val('1'), val('2'), val('3'), err(NOT_AN_INTEGER)])
            : rng.pick([DELETED, NOTFOUND]);
    const invoke = rng.int(0, 10);
    const complete = invoke + rng.int(0, 6);
    const roll = rng.next();
    const status = roll < 0.65 ? 'ok' : roll < 0.9 ? 'info' : 'fail';
    ops.push(
      status === 'ok'
        ? { id: i, client: i, invoke, complete, input, output, status }
        : { id: i, client: i, invoke, complete: status === 'fail' ? complete : null, input, output: null, status },
    );
  }
  return ops;
}

/** The longest prefix a violation reports must itself replay through the model in real-time order. */
function expectValidPrefix(prefix: readonly KvOperation[]): void {
  let s: KvState = null;
  prefix.forEach((o, i) => {
    const r = kvModel.step(s, o.input, o.status === 'ok' ? o.output : null);
    expect(r.ok).toBe(true);
    if (r.ok) s = r.next;
    for (const later of prefix.slice(i + 1)) expect(later.status === 'ok' && later.complete! < o.invoke).toBe(false);
  });
}

/** A tenth of the replies lost and one in twenty operations failed: far worse than a real run. */
const LOSSY = { lost: 0.1, failed: 0.05 } as const;
const RELIABLE = { lost: 0, failed: 0 } as const;

/** Corrupt the first `ok` GET at or after index `from` to a value nobody wrote. */
function corruptGet(ops: readonly KvOperation[], from: number): { bad: KvOperation[]; victim: KvOperation } {
  const at = ops.findIndex((o, i) => i >= from && o.status === 'ok' && o.input.kind === 'get');
  if (at < 0) throw new Error('no GET to corrupt');
  return { bad: ops.map((o, i) => (i === at ? { ...o, output: val('never-written') } : o)), victim: ops[at]! };
}

describe('randomized histories', () => {
  it('accepts every history that comes from a sequential execution, and catches a corrupted read', () => {
    let corrupted = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rng = prng(seed * 7919);
      const ops = generate(seed, { ops: rng.int(5, 80), keys: rng.int(1, 4), clients: rng.int(1, 6), spread: rng.int(0, 12), ...(seed % 2 === 0 ? LOSSY : RELIABLE) });
      const r = checkKvHistory(ops);
      if (r.ok !== true) throw new Error(`seed ${seed}: ${r.ok === false ? r.message : r.reason}`);

      // Corrupt one GET to a value nobody ever wrote: always detectable.
      const gets = ops.flatMap((o, i) => (o.status === 'ok' && o.input.kind === 'get' ? [i] : []));
      if (gets.length === 0) continue;
      const victim = rng.pick(gets);
      const bad = ops.map((o, i) => (i === victim ? { ...o, output: val('never-written') } : o));
      const v = expectFail(checkKvHistory(bad));
      expect(v.key).toBe(ops[victim]!.input.key);
      expect(v.culprits[0]!.id).toBe(ops[victim]!.id);
      expect(v.message).toContain('never-written');
      corrupted++;
    }
    expect(corrupted).toBeGreaterThan(200);
  });

  it('agrees with a brute-force search on 12,000 small arbitrary histories', () => {
    let good = 0;
    let bad = 0;
    for (let seed = 1; seed <= 12000; seed++) {
      const ops = arbitrary(seed);
      const expected = bruteForce(ops);
      const r = checkKvHistory(ops);
      if (r.ok === 'unknown') throw new Error(`seed ${seed}: unknown`);
      if (r.ok !== expected) throw new Error(`seed ${seed}: checker says ${String(r.ok)}, brute force says ${String(expected)}`);
      if (r.ok) {
        good++;
        continue;
      }
      bad++;
      expect(r.culprits[0]!.status).toBe('ok');
      expect(r.culprits.every((c) => c.input.key === r.key)).toBe(true);
      expect(r.longestPrefix.some((o) => o.id === r.culprits[0]!.id)).toBe(false);
      expectValidPrefix(r.longestPrefix);
      // The verdict on the culprit's key alone is the same (P-compositionality).
      expect(bruteForce(ops.filter((o) => o.input.key === r.key))).toBe(false);
    }
    expect(good).toBeGreaterThan(2000);
    expect(bad).toBeGreaterThan(2000);
  });

  it('catches a duplicated INCR (a counter that went backwards)', () => {
    let caught = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const ops = generate(seed + 1000, { ops: 40, keys: 2, clients: 4, spread: 6, ...RELIABLE });
      // Make a later INCR repeat the value of an earlier one that finished before it started. It is
      // detectable when no PUT or DEL on the key overlaps the pair: then the counter only grows.
      const incrs = ops.filter((o) => o.status === 'ok' && o.input.kind === 'incr' && o.output?.kind === 'value');
      const resets = ops.filter((o) => o.status === 'ok' && (o.input.kind === 'put' || o.input.kind === 'del'));
      const detectable = (a: KvOperation, b: KvOperation): boolean =>
        b.input.key === a.input.key &&
        a.complete! < b.invoke &&
        !resets.some((o) => o.input.key === a.input.key && o.invoke <= b.complete! && o.complete! >= a.invoke);
      const pair = incrs.flatMap((a) => incrs.filter((b) => detectable(a, b)).map((b) => [a, b] as const))[0];
      if (pair === undefined) continue;
      const [a, b] = pair;
      const bad = ops.map((o) => (o.id === b.id ? { ...o, output: a.output } : o));
      expectFail(checkKvHistory(bad));
      caught++;
    }
    expect(caught).toBeGreaterThan(60);
  });

  it('is deterministic', () => {
    const ops = generate(42, { ops: 200, keys: 3, clients: 5, spread: 10, ...LOSSY });
    const bad = ops.map((o, i) => (i === 150 && o.status === 'ok' ? { ...o, output: val('x') } : o));
    expect(checkKvHistory(bad)).toEqual(checkKvHistory(bad));
  });

  it('checks 2,000 operations over 10 keys from 5 concurrent clients', () => {
    const ops = generate(2024, { ops: 2000, keys: 10, clients: 5, spread: 8, ...LOSSY });
    expect(ops).toHaveLength(2000);
    const r = checkKvHistory(ops);
    expectOk(r);
    expect(r.partitions).toHaveLength(10);
    // A corruption near the end forces the search to refute every order of its key.
    for (const from of [1000, 1990]) {
      const { bad, victim } = corruptGet(ops, from);
      const v = expectFail(checkKvHistory(bad));
      expect(v.culprits[0]!.id).toBe(victim.id);
    }
  });

  it('handles a hot key through several failovers', () => {
    // One key, five clients, a handful of lost replies: the FT demo's shape.
    const ops = generate(1, { ops: 600, keys: 1, clients: 5, spread: 20, lost: 0.01, failed: 0.005 });
    expect(ops.filter((o) => o.status === 'info').length).toBeGreaterThanOrEqual(4);
    expectOk(checkKvHistory(ops));
    const { bad, victim } = corruptGet(ops, 550);
    const v = expectFail(checkKvHistory(bad));
    expect(v.culprits[0]!.id).toBe(victim.id);
    expect(v.partitions[0]!.explored).toBeLessThan(1_000_000);
  });
});

describe('stopAtFirstViolation', () => {
  const STOP = { stopAtFirstViolation: true } as const;

  it('gives the same verdict as the full check and as brute force on 3,000 small histories', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const ops = arbitrary(seed + 50_000);
      const expected = bruteForce(ops);
      const r = checkKvHistory(ops, STOP);
      if (r.ok !== expected) throw new Error(`seed ${seed}: ${String(r.ok)}, brute force says ${String(expected)}`);
      expect(checkKvHistory(ops).ok).toBe(expected);
    }
  });

  it('resumes a paused search exactly where it stopped', () => {
    // One key, so the rounds (1024, 2048, ... states) pause and resume the same search.
    const ops = generate(1, { ops: 600, keys: 1, clients: 5, spread: 20, lost: 0.01, failed: 0.005 });
    const { bad } = corruptGet(ops, 550);
    const full = checkKvHistory(bad);
    expect(full.partitions[0]!.explored).toBeGreaterThan(4 * 1024);
    expect(checkKvHistory(bad, STOP)).toEqual(full);
  });

  it('answers with a quick violation without finishing a long search, and marks it stopped', () => {
    const ops = generate(2024, { ops: 2000, keys: 10, clients: 5, spread: 8, ...LOSSY });
    // A costly refutation on one key (a corrupted GET near the end) ...
    const { bad, victim } = corruptGet(ops, 1990);
    // ... and a plain one on a key of its own after everything: PUT z 1, then GET z = 2.
    const t = 1e9;
    const quick: KvOperation[] = [
      { id: 'p', client: 0, invoke: t, complete: t + 1, input: put('z', '1'), output: OK, status: 'ok' },
      { id: 'g', client: 0, invoke: t + 2, complete: t + 3, input: get('z'), output: val('2'), status: 'ok' },
    ];
    const history = [...bad, ...quick];
    const full = expectFail(checkKvHistory(history));
    expect(full.violations.map((v) => v.culprits[0]!.id)).toEqual([victim.id, 'g']);

    const fast = expectFail(checkKvHistory(history, STOP));
    expect(fast.violations.map((v) => v.culprits[0]!.id)).toEqual(['g']);
    const stats = new Map(fast.partitions.map((p) => [p.key, p]));
    expect(stats.get('z')!.verdict).toBe('fail');
    expect(stats.get(victim.input.key)!.verdict).toBe('stopped');
    // The long search was cut short.
    const explored = (r: CheckResult<KvInput, KvOutput>): number => r.partitions.find((p) => p.key === victim.input.key)!.explored;
    expect(explored(fast)).toBeLessThan(explored(full));
  });

  it('still gives up at maxStates, and a violation elsewhere still wins', () => {
    const ops = generate(1, { ops: 600, keys: 1, clients: 5, spread: 20, lost: 0.01, failed: 0.005 });
    const { bad } = corruptGet(ops, 550);
    const r = checkKvHistory(bad, { ...STOP, maxStates: 3000 });
    expect(r.ok).toBe('unknown');
    expect(r.partitions[0]!.explored).toBe(3001);
    const t = 1e9;
    const withQuick: KvOperation[] = [
      ...bad,
      { id: 'g', client: 0, invoke: t, complete: t + 1, input: get('z'), output: val('2'), status: 'ok' },
    ];
    expect(expectFail(checkKvHistory(withQuick, { ...STOP, maxStates: 3000 })).culprits[0]!.id).toBe('g');
  });
});

// --- internals -----------------------------------------------------------------------------------

describe('search internals', () => {
  it('LinearizedSet keeps first/last right, and (first, slice) describes the set exactly', () => {
    const rng = prng(99);
    for (let trial = 0; trial < 100; trial++) {
      const okCount = rng.int(1, 100);
      const set = new LinearizedSet(okCount, 0);
      const ref = new Set<number>();
      for (let step = 0; step < 300; step++) {
        // Mostly grow from the front, as the search does, with some scattered changes.
        const i = rng.next() < 0.6 ? Math.min(okCount - 1, set.first + rng.int(0, 3)) : rng.int(0, okCount - 1);
        if (ref.has(i)) {
          set.removeOk(i);
          ref.delete(i);
        } else {
          set.addOk(i);
          ref.add(i);
        }
        let first = 0;
        while (ref.has(first)) first++;
        const last = ref.size === 0 ? -1 : Math.max(...ref);
        const lo = set.sliceStart();
        const n = set.sliceLength();
        let rebuilt = true;
        for (let b = 0; b < okCount && rebuilt; b++) {
          const w = b >>> 5;
          const has = w < lo ? true : w >= lo + n ? false : (set.ok[w]! & (1 << (b & 31))) !== 0;
          rebuilt = has === ref.has(b);
        }
        if (set.first !== first || set.last !== last || !rebuilt) {
          throw new Error(`trial ${trial} step ${step}: got first ${set.first} last ${set.last}, want ${first} ${last}; slice ok: ${rebuilt}`);
        }
      }
    }
  });

  it('ConfigCache finds equal and subsuming configurations even when every hash collides', () => {
    const rng = prng(5);
    const okCount = 70;
    const infoCount = 40;
    const cache = new ConfigCache<number>((a, b) => a === b);
    const seen: { ok: number[]; info: Set<number>; state: number }[] = [];
    let hits = 0;
    for (let t = 0; t < 5000; t++) {
      const set = new LinearizedSet(okCount, infoCount);
      const ok = new Set<number>();
      const info = new Set<number>();
      const first = rng.pick([0, 5, 31, 32, 33, 64, 70]);
      for (let i = 0; i < first; i++) ok.add(i);
      for (let k = rng.int(0, 2); k > 0; k--) ok.add(Math.min(okCount - 1, first + rng.int(1, 6)));
      for (let k = rng.int(0, 3); k > 0; k--) info.add(rng.pick([0, 1, 2, 31, 32, 39]));
      for (const i of ok) set.addOk(i);
      for (const i of info) set.addInfo(i);
      const state = rng.int(0, 5);
      const okList = [...ok].sort((a, b) => a - b);
      const covered = seen.some(
        (c) => c.state === state && c.ok.length === okList.length && c.ok.every((v, i) => v === okList[i]) && [...c.info].every((i) => info.has(i)),
      );
      // A constant hash puts every configuration in one bucket, so only the comparison decides.
      const added = cache.addIfAbsent(0, set, state);
      if (added === covered) throw new Error(`config ${t}: added ${added} but covered ${covered}`);
      if (added) seen.push({ ok: okList, info, state });
      else hits++;
    }
    expect(hits).toBeGreaterThan(300);
    expect(cache.size).toBe(seen.length);
    // Everything stored is still found after the table has grown.
    for (const c of seen) {
      const set = new LinearizedSet(okCount, infoCount);
      for (const i of c.ok) set.addOk(i);
      for (const i of c.info) set.addInfo(i);
      expect(cache.addIfAbsent(0, set, c.state)).toBe(false);
    }
    expect(seen.length).toBeGreaterThan(1024); // the table has been rehashed
  });

  it('ConfigCache keeps every entry through table growth', () => {
    const cache = new ConfigCache<number>((a, b) => a === b);
    const set = new LinearizedSet(10, 2);
    set.addOk(0);
    set.addInfo(1);
    for (let s = 0; s < 3000; s++) expect(cache.addIfAbsent(s % 7, set, s)).toBe(true);
    for (let s = 0; s < 3000; s++) expect(cache.addIfAbsent(s % 7, set, s)).toBe(false);
    expect(cache.size).toBe(3000);
  });
});
