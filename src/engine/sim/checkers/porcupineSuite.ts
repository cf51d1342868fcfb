// Porcupine's reference histories: real Jepsen etcd histories of a register with read/write/cas
// and key-value histories with get/put/append, each with the verdict Porcupine's own tests
// assert. Parsing follows porcupine_test.go (`parseJepsenLog`, `parseKvLog`); the data is
// vendored, zipped, in ./testdata/porcupine/ (see its README for attribution). Pure: the caller
// reads the zip's bytes.

import { strFromU8, unzipSync } from 'fflate';
import {
  checkLinearizability,
  HistoryError,
  operationsFromEvents,
  type CheckOptions,
  type HistoryEvent,
  type Operation,
} from './linearizability';
import {
  appendKvModel,
  casRegisterModel,
  type AppendKvInput,
  type AppendKvOutput,
  type CasRegisterInput,
  type CasRegisterOutput,
} from './referenceModels';

export type EtcdOperation = Operation<CasRegisterInput, CasRegisterOutput>;
export type AppendKvOperation = Operation<AppendKvInput, AppendKvOutput>;

type EtcdEvent = HistoryEvent<CasRegisterInput, CasRegisterOutput>;
type KvEvent = HistoryEvent<AppendKvInput, AppendKvOutput>;

const ETCD_LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;

/**
 * A Jepsen etcd log (`INFO jepsen.util - <process> :<type> :<f> <value>` lines) as operations,
 * in the log's order (the list position is the clock, as in Porcupine's `CheckEvents`).
 *  - `:fail :cas [a b]` is a reply: the compare failed (Porcupine's `ok: false`).
 *  - `:fail :read :timed-out` did nothing observable: dropped (Porcupine lets it return anything).
 *  - `:info :write|:cas :timed-out` and an invoke left open at the end are lost replies (`info`):
 *    they may take effect at any time after the call, or never.
 * Throws {@link HistoryError} on a line it does not understand.
 */
export function parseEtcdLog(text: string): EtcdOperation[] {
  const events: EtcdEvent[] = [];
  const fail = (n: number, line: string): never => {
    throw new HistoryError(`line ${n}: not a Jepsen etcd register event: ${JSON.stringify(line.slice(0, 120))}`);
  };
  const num = (s: string, n: number, line: string): number => (/^\d+$/.test(s) ? Number(s) : fail(n, line));
  const pair = (s: string, n: number, line: string): [number, number] => {
    const m = /^\[(\d+)\s+(\d+)\]$/.exec(s);
    return m ? [Number(m[1]), Number(m[2])] : fail(n, line);
  };
  text.split('\n').forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === '') return;
    const m = ETCD_LINE.exec(line);
    if (m === null) return fail(n, line);
    const client = Number(m[1]);
    const type = m[2]!;
    const f = m[3] as 'read' | 'write' | 'cas';
    const arg = m[4]!;
    if (type === 'invoke') {
      if (f === 'read') {
        if (arg !== 'nil') fail(n, line);
        events.push({ type: 'invoke', client, input: { f } });
      } else if (f === 'write') {
        events.push({ type: 'invoke', client, input: { f, value: num(arg, n, line) } });
      } else {
        const [from, to] = pair(arg, n, line);
        events.push({ type: 'invoke', client, input: { f, from, to } });
      }
    } else if (type === 'ok') {
      if (f === 'read') events.push({ type: 'ok', client, output: { f, value: arg === 'nil' ? null : num(arg, n, line) } });
      else if (f === 'write') events.push({ type: 'ok', client, output: { f } });
      else events.push({ type: 'ok', client, output: { f, ok: true } });
    } else if (type === 'fail' && f === 'cas') {
      pair(arg, n, line);
      events.push({ type: 'ok', client, output: { f, ok: false } });
    } else if (type === 'fail' && f === 'read' && arg === ':timed-out') {
      events.push({ type: 'fail', client });
    } else if (type === 'info' && f !== 'read' && arg === ':timed-out') {
      events.push({ type: 'info', client });
    } else {
      fail(n, line);
    }
  });
  return matched(operationsFromEvents(events), (op) => op.output?.f === op.input.f);
}

const KV_LINE = /^\{:process (\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), :key "(.*?)", :value (nil|"(.*)")\}\s*$/;

/**
 * A Jepsen-style key-value log (`{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}`
 * lines) as operations, in the log's order. Throws {@link HistoryError} on a line it does not
 * understand.
 */
export function parseKvLog(text: string): AppendKvOperation[] {
  const events: KvEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = KV_LINE.exec(line);
    if (m === null) throw new HistoryError(`line ${i + 1}: not a key-value event: ${JSON.stringify(line.slice(0, 120))}`);
    const client = Number(m[1]);
    const type = m[2] as 'invoke' | 'ok' | 'fail' | 'info';
    const f = m[3] as 'get' | 'put' | 'append';
    const key = m[4]!;
    const value = m[6];
    if (type === 'invoke') {
      if (f === 'get') events.push({ type, client, input: { f, key } });
      else if (value === undefined) throw new HistoryError(`line ${i + 1}: ${f} without a value`);
      else events.push({ type, client, input: { f, key, value } });
    } else if (type === 'ok') {
      if (f !== 'get') events.push({ type, client, output: { f } });
      else if (value === undefined) throw new HistoryError(`line ${i + 1}: get returned nil`);
      else events.push({ type, client, output: { f, value } });
    } else {
      events.push({ type, client });
    }
  });
  return matched(operationsFromEvents(events), (op) => op.output?.f === op.input.f);
}

/** Each reply must answer the kind of call that its client made. */
function matched<I, O>(ops: Operation<I, O>[], agrees: (op: Operation<I, O>) => boolean): Operation<I, O>[] {
  for (const op of ops) {
    if (op.status === 'ok' && !agrees(op)) throw new HistoryError(`operation ${String(op.id)} (client ${String(op.client)}): the reply does not match the call`);
  }
  return ops;
}

// --- The suite -----------------------------------------------------------------------------------

/**
 * The etcd histories that Porcupine's tests assert linearizable (TestEtcdJepsen000..102); all the
 * others are asserted not linearizable. etcd_095 is left out, as in Porcupine ("etcd cluster
 * failed to start up in test 95": the file is empty).
 */
const ETCD_LINEARIZABLE = new Set([2, 5, 7, 18, 25, 31, 38, 45, 48, 49, 51, 53, 56, 67, 75, 76, 80, 87, 92, 98, 100, 101, 102]);
const ETCD_NUMBERS = Array.from({ length: 103 }, (_, i) => i).filter((i) => i !== 95);
/** Porcupine's TestKv*: the name says the verdict. */
const KV_NAMES = ['c01-ok', 'c01-bad', 'c10-ok', 'c10-bad', 'c50-ok', 'c50-bad'];

export type ReferenceHistory =
  | { readonly set: 'etcd'; readonly name: string; readonly linearizable: boolean; readonly ops: EtcdOperation[] }
  | { readonly set: 'kv'; readonly name: string; readonly linearizable: boolean; readonly ops: AppendKvOperation[] };

/** How many histories the suite holds: every one must be in the zip. */
export const REFERENCE_HISTORY_COUNT = ETCD_NUMBERS.length + KV_NAMES.length;

/**
 * Unzip the vendored data and parse every history that Porcupine gives a verdict for, in
 * Porcupine's order (etcd first). Throws if one is missing.
 */
export function loadPorcupineSuite(zip: Uint8Array): ReferenceHistory[] {
  const files = unzipSync(zip);
  const text = (path: string): string => {
    const bytes = files[path];
    if (bytes === undefined) throw new Error(`${path} is missing from the Porcupine test data`);
    return strFromU8(bytes);
  };
  const etcd = ETCD_NUMBERS.map((i): ReferenceHistory => {
    const name = `etcd_${String(i).padStart(3, '0')}`;
    return { set: 'etcd', name, linearizable: ETCD_LINEARIZABLE.has(i), ops: parseEtcdLog(text(`test_data/jepsen/${name}.log`)) };
  });
  const kv = KV_NAMES.map((name): ReferenceHistory => ({
    set: 'kv',
    name,
    linearizable: name.endsWith('-ok'),
    ops: parseKvLog(text(`test_data/kv/${name}.txt`)),
  }));
  return [...etcd, ...kv];
}

/** Check one reference history with its model; `ok` is true, false or 'unknown' as in {@link checkLinearizability}. */
export function checkReference(h: ReferenceHistory, options: CheckOptions = {}): { readonly ok: boolean | 'unknown'; readonly explored: number } {
  const r = h.set === 'etcd' ? checkLinearizability(casRegisterModel, h.ops, options) : checkLinearizability(appendKvModel, h.ops, options);
  return { ok: r.ok, explored: r.partitions.reduce((s, p) => s + p.explored, 0) };
}
