// Linearizability checker: did everything the clients saw come from one sequential execution?
//
// This is the FT paper's Output Requirement, checked after the fact. The algorithm is the one in
// Porcupine (anishathalye/porcupine): the Wing & Gong search as improved by Lowe (WGL), made
// P-compositional (the history is split per key and each part is checked on its own, which is
// sound because linearizability is a local property), with a cache of (linearized-set, model state)
// pairs so that a configuration reached twice is explored once.
//
// On top of Porcupine: lost replies (Jepsen's `info` operations, which may take effect at any
// time after they are sent, or never) are handled natively, with subsumption in the cache and
// symmetry between identical lost requests so that a few failovers do not blow the search up (see
// `searchPartition`); configurations are stored compactly, a few words each however long the
// history (see `LinearizedSet`); and a failure names its culprit the way Knossos does, as the
// earliest reply that no order can explain.
//
// Cost. A linearizable history is usually confirmed in time close to linear: 2,000 operations
// over 10 keys from 5 clients take a few milliseconds. A violation has to be refuted, which means
// exploring every order that survives up to the culprit; that grows with the number of
// concurrent clients and, above all, with the number of lost replies pending on the same key.
// A search stops after `maxStates` configurations per key (about 1 s and a few tens of MB at the
// default) and answers `unknown` rather than hang. With `stopAtFirstViolation` the keys are
// searched in rounds and the first refuted key settles the verdict, as in Porcupine.
//
// Reference: the checker gives Porcupine's verdict on all of Porcupine's published test histories
// (Jepsen etcd runs and key-value runs; see porcupineSuite.ts and referenceModels.ts).
//
// The checker is pure and deterministic: no clocks, no randomness, no I/O; the same history always
// gives the same verdict, the same culprits and the same statistics.

// ------------------------------------------------------------------------------------------------
// Histories
// ------------------------------------------------------------------------------------------------

export type ClientId = number | string;
export type OpId = number | string;

/**
 * How an operation ended, in Jepsen's terms.
 *  - `ok`: the client got a reply; `complete` and `output` are set.
 *  - `fail`: the operation definitely did not take effect (the checker drops it).
 *  - `info`: the outcome is unknown (the reply was lost, e.g. to a failover). The operation may
 *    have taken effect at any moment after `invoke`, or never; its completion time is treated as
 *    +infinity and its `complete` and `output` are ignored.
 */
export type OpStatus = 'ok' | 'fail' | 'info';

/**
 * One client operation. Times are virtual and only compared with each other: operation A
 * precedes B in real time iff `A.complete < B.invoke`. Intervals are closed, so an operation that
 * completes at the very instant another is invoked counts as concurrent with it (Porcupine's rule:
 * this can only hide a violation, never invent one). If same-instant events must be ordered, build
 * the history with {@link operationsFromEvents}, whose default clock is the event's position.
 *
 * Duplicate replies are not the checker's concern: clients dedupe by request id, so a history
 * holds at most one completion per operation.
 */
export interface Operation<I, O> {
  readonly id: OpId;
  readonly client: ClientId;
  readonly invoke: number;
  /** When the reply arrived; `null` if it never did (status `info`), ignored unless status is `ok`. */
  readonly complete: number | null;
  readonly input: I;
  /** The reply; `null` if none. Ignored unless status is `ok`. */
  readonly output: O | null;
  readonly status: OpStatus;
}

/** A Jepsen-style event: each client alternates an `invoke` with one `ok`/`fail`/`info`. */
export type HistoryEvent<I, O> =
  | { readonly type: 'invoke'; readonly client: ClientId; readonly input: I; readonly id?: OpId; readonly time?: number }
  | { readonly type: 'ok'; readonly client: ClientId; readonly output: O; readonly time?: number }
  | { readonly type: 'fail' | 'info'; readonly client: ClientId; readonly time?: number };

export interface FromEventsOptions {
  /**
   * Which clock the operations get. `position` (the default) uses each event's index in the list,
   * exactly like a Jepsen history: the list order is the real-time order, with no ties. `time`
   * uses each event's `time` field (required on every event); equal times count as concurrent.
   */
  readonly clock?: 'position' | 'time';
}

/** Thrown for a malformed history (a bug in whoever recorded it, not a consistency violation). */
export class HistoryError extends Error {
  override readonly name = 'HistoryError';
}

/**
 * Turn an event list into operations, in invocation order. An `invoke` still pending at the end
 * of the list becomes an `info` operation (its outcome is unknown). Operations without an explicit
 * `id` get their index in the returned list. Throws {@link HistoryError} if a client invokes while
 * it already has an operation pending, or completes an operation it never invoked.
 */
export function operationsFromEvents<I, O>(
  events: readonly HistoryEvent<I, O>[],
  options: FromEventsOptions = {},
): Operation<I, O>[] {
  const clock = options.clock ?? 'position';
  interface Pending {
    readonly index: number;
    readonly id: OpId;
    readonly client: ClientId;
    readonly invoke: number;
    readonly input: I;
  }
  const pending = new Map<ClientId, Pending>();
  const ops: (Operation<I, O> | undefined)[] = [];
  const timeOf = (e: HistoryEvent<I, O>, i: number): number => {
    if (clock === 'position') return i;
    if (e.time === undefined || !Number.isFinite(e.time)) {
      throw new HistoryError(`event ${i} (${e.type} by client ${String(e.client)}) has no finite time`);
    }
    return e.time;
  };
  events.forEach((e, i) => {
    const t = timeOf(e, i);
    if (e.type === 'invoke') {
      const open = pending.get(e.client);
      if (open !== undefined) {
        throw new HistoryError(`event ${i}: client ${String(e.client)} invokes while operation ${String(open.id)} is pending`);
      }
      const index = ops.length;
      ops.push(undefined);
      pending.set(e.client, { index, id: e.id ?? index, client: e.client, invoke: t, input: e.input });
      return;
    }
    const open = pending.get(e.client);
    if (open === undefined) {
      throw new HistoryError(`event ${i}: client ${String(e.client)} completes (${e.type}) with no operation pending`);
    }
    pending.delete(e.client);
    const base = { id: open.id, client: open.client, invoke: open.invoke, input: open.input };
    ops[open.index] =
      e.type === 'ok'
        ? { ...base, complete: t, output: e.output, status: 'ok' }
        : e.type === 'fail'
          ? { ...base, complete: t, output: null, status: 'fail' }
          : { ...base, complete: null, output: null, status: 'info' };
  });
  for (const open of pending.values()) {
    ops[open.index] = { id: open.id, client: open.client, invoke: open.invoke, input: open.input, complete: null, output: null, status: 'info' };
  }
  return ops.map((op) => {
    if (op === undefined) throw new Error('unreachable: every invoke yields an operation');
    return op;
  });
}

// ------------------------------------------------------------------------------------------------
// Models
// ------------------------------------------------------------------------------------------------

export type StepResult<S> = { readonly ok: true; readonly next: S } | { readonly ok: false };

/**
 * A sequential specification. States are values: `step` must not mutate its argument.
 *
 * `step(state, input, output)` says whether `input` applied to `state` may produce `output`, and
 * the state afterwards. `output` is `null` for an `info` operation (reply lost): return the state
 * after the operation *if it took effect*. Returning `{ ok: false }` there is allowed; the operation
 * is then simply taken never to have happened. (A nondeterministic specification is not supported:
 * the server under FT is deterministic by construction, which is the whole point of lockstep.)
 */
export interface Model<S, I, O> {
  readonly name: string;
  /** P-compositionality: operations with different keys are checked independently. Omit for a single object. */
  partition?(input: I): string;
  /** The initial state of one partition. */
  init(partition: string): S;
  step(state: S, input: I, output: O | null): StepResult<S>;
  equal(a: S, b: S): boolean;
  /** Any 32-bit hash consistent with `equal`. */
  hash(state: S): number;
  /** True if the input never changes the state; `info` operations on such inputs are dropped. */
  readOnly?(input: I): boolean;
  /**
   * A canonical key for an input: inputs with equal keys must behave identically in `step`. Lets
   * the checker treat lost-reply operations with equal inputs (say, five lost `INCR x`) as
   * interchangeable, which keeps the search small after a failover. Omit to disable.
   */
  inputKey?(input: I): string;
  /** e.g. `GET x = 3`, `INCR x (reply lost)`. */
  describeOperation(input: I, output: O | null): string;
  /** The result alone, e.g. `3` or `"not found"`, for "... produces 3". */
  describeOutput?(output: O): string;
  /** e.g. `x = 2`, `x is unset`. */
  describeState(state: S, partition: string): string;
  /** How to name a partition in messages, e.g. `x`. */
  describePartition?(partition: string): string;
}

/** Values in messages: bare if they are simple words or numbers, JSON-quoted otherwise. */
function show(s: string): string {
  return /^[A-Za-z0-9_.:+-]+$/.test(s) ? s : JSON.stringify(s);
}

/** FNV-1a over UTF-16 code units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// --- The key-value model (mirrors the guest kv-server) -----------------------------------------

export type KvInput =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'incr'; readonly key: string }
  | { readonly kind: 'del'; readonly key: string };

export type KvOutput =
  | { readonly kind: 'ok' }
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'notfound' }
  | { readonly kind: 'deleted' }
  | { readonly kind: 'err'; readonly message: string };

/** One key's value; `null` when the key is absent. */
export type KvState = string | null;

export type KvOperation = Operation<KvInput, KvOutput>;
export type KvEvent = HistoryEvent<KvInput, KvOutput>;

/** The one error that depends on (and so says something about) the state. */
export const NOT_AN_INTEGER = 'not an integer';

/**
 * INCR's parse, as the guest does it: a non-empty string of ASCII digits, accumulated in a 32-bit
 * register (so it wraps mod 2^32 like `n = n * 10 + d` on the machine); anything else is not an
 * integer.
 */
export function parseUnsigned32(s: string): number | null {
  if (s.length === 0) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    n = (Math.imul(n, 10) + d) >>> 0;
  }
  return n;
}

export interface KvModelOptions {
  /** Override INCR's parse (return null for "not an integer"). Defaults to {@link parseUnsigned32}. */
  readonly parseUnsigned?: (s: string) => number | null;
}

/**
 * The kv-server's sequential specification, one partition per key:
 *  - put → `ok`, and the key holds the value;
 *  - get → `value` (the current value) or `notfound`;
 *  - incr → `value` (the old value, missing counting as 0, plus one, mod 2^32, as a decimal
 *    string, which is also the new stored value), or `err "not an integer"` with no change if the
 *    current value does not parse;
 *  - del → `deleted` (and the key is gone) or `notfound`.
 * Any other `err` reply (any message but "not an integer" on INCR, and any error at all on the
 * other commands) is taken to mean "refused without touching the store": it is allowed in every
 * state and changes nothing. The guest's other errors are exactly that (`bad request`,
 * `key too long`, `disk error`, ...), and `table full` depends on the *other* keys, which a
 * per-key check cannot see, so allowing it everywhere is the only sound choice; such replies say
 * nothing about the order, and the checker only makes sure they do not hide a write.
 */
export function createKvModel(options: KvModelOptions = {}): Model<KvState, KvInput, KvOutput> {
  const parse = options.parseUnsigned ?? parseUnsigned32;
  const NO: StepResult<KvState> = { ok: false };
  const same = (s: KvState): StepResult<KvState> => ({ ok: true, next: s });
  const incr = (s: KvState): string | null => {
    const n = s === null ? 0 : parse(s);
    return n === null ? null : String((n + 1) >>> 0);
  };
  return {
    name: 'kv',
    partition: (input) => input.key,
    init: () => null,
    step(state, input, output) {
      if (output !== null && output.kind === 'err') {
        if (input.kind === 'incr' && output.message === NOT_AN_INTEGER) {
          return incr(state) === null ? same(state) : NO;
        }
        return same(state);
      }
      switch (input.kind) {
        case 'put':
          return output === null || output.kind === 'ok' ? { ok: true, next: input.value } : NO;
        case 'get':
          if (output === null) return same(state);
          if (output.kind === 'value') return state === output.value ? same(state) : NO;
          if (output.kind === 'notfound') return state === null ? same(state) : NO;
          return NO;
        case 'incr': {
          const next = incr(state);
          if (output === null) return same(next ?? state);
          return output.kind === 'value' && next !== null && output.value === next ? same(next) : NO;
        }
        case 'del':
          if (output === null) return same(null);
          if (output.kind === 'deleted') return state !== null ? same(null) : NO;
          if (output.kind === 'notfound') return state === null ? same(null) : NO;
          return NO;
      }
    },
    equal: (a, b) => a === b,
    hash: (s) => (s === null ? 0x9e3779b9 : hashString(s)),
    readOnly: (input) => input.kind === 'get',
    inputKey: (input) => JSON.stringify(input.kind === 'put' ? [input.kind, input.key, input.value] : [input.kind, input.key]),
    describeOperation(input, output) {
      const cmd =
        input.kind === 'put' ? `PUT ${show(input.key)} ${show(input.value)}` : `${input.kind.toUpperCase()} ${show(input.key)}`;
      if (output === null) return `${cmd} (reply lost)`;
      switch (output.kind) {
        case 'value':
          return `${cmd} = ${show(output.value)}`;
        case 'ok':
          return `${cmd} (ok)`;
        case 'notfound':
          return `${cmd} (not found)`;
        case 'deleted':
          return `${cmd} (deleted)`;
        case 'err':
          return `${cmd} (error: ${output.message})`;
      }
    },
    describeOutput(output) {
      switch (output.kind) {
        case 'value':
          return show(output.value);
        case 'ok':
          return '"ok"';
        case 'notfound':
          return '"not found"';
        case 'deleted':
          return '"deleted"';
        case 'err':
          return `the error "${output.message}"`;
      }
    },
    describeState: (s, key) => (s === null ? `${show(key)} unset` : `${show(key)} = ${show(s)}`),
    describePartition: (key) => show(key),
  };
}

/** The kv-server model with the guest's INCR parse. */
export const kvModel: Model<KvState, KvInput, KvOutput> = createKvModel();

// --- A single register (the classic textbook object; handy in tests) --------------------------

export type RegisterInput = { readonly kind: 'write'; readonly value: number } | { readonly kind: 'read' };
export type RegisterOutput = { readonly kind: 'ok' } | { readonly kind: 'value'; readonly value: number };

/** One integer register, initially 0. */
export const registerModel: Model<number, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => 0,
  step(state, input, output) {
    if (input.kind === 'write') {
      return output === null || output.kind === 'ok' ? { ok: true, next: input.value } : { ok: false };
    }
    if (output === null) return { ok: true, next: state };
    return output.kind === 'value' && output.value === state ? { ok: true, next: state } : { ok: false };
  },
  equal: (a, b) => a === b,
  hash: (s) => Math.imul(s | 0, 0x9e3779b1) >>> 0,
  readOnly: (input) => input.kind === 'read',
  inputKey: (input) => (input.kind === 'write' ? `write ${input.value}` : 'read'),
  describeOperation(input, output) {
    const cmd = input.kind === 'write' ? `write ${input.value}` : 'read';
    if (output === null) return `${cmd} (reply lost)`;
    return output.kind === 'value' ? `${cmd} = ${output.value}` : `${cmd} (ok)`;
  },
  describeOutput: (output) => (output.kind === 'value' ? String(output.value) : '"ok"'),
  describeState: (s) => `the register holds ${s}`,
  describePartition: () => 'the register',
};

// ------------------------------------------------------------------------------------------------
// The checker
// ------------------------------------------------------------------------------------------------

export interface CheckOptions {
  /**
   * Search budget per partition: the most distinct (linearized set, state) configurations to
   * explore before giving up with `ok: 'unknown'`. Default {@link DEFAULT_MAX_STATES}.
   */
  readonly maxStates?: number;
  /**
   * Answer as soon as one partition is refuted, as Porcupine does. The verdict is the same (a
   * history is linearizable only if every partition is), but `violations` then lists only the
   * first one found, and the partitions left unfinished say `stopped`. To find a quick refutation
   * even behind a long search, partitions are then searched in rounds, each one resumed with a
   * budget that doubles every round (so the searches' caches are all held at once).
   */
  readonly stopAtFirstViolation?: boolean;
}

export const DEFAULT_MAX_STATES = 1_000_000;

/** The budget of the first round with `stopAtFirstViolation`. */
const FIRST_ROUND_STATES = 1024;

export interface PartitionStats {
  /** The partition key (`''` for a model without partitions). */
  readonly key: string;
  /** Operations checked: `ok` ones plus `info` ones that could change the state. */
  readonly operations: number;
  /** Distinct configurations explored (each one a cache entry). */
  readonly explored: number;
  /**
   * Steps skipped because they led to a configuration already explored, or to one no better than
   * a configuration the search explores anyway (see the search's notes on lost replies).
   */
  readonly pruned: number;
  /** `stopped`: abandoned once another partition was refuted (`stopAtFirstViolation`). */
  readonly verdict: 'ok' | 'fail' | 'unknown' | 'stopped';
}

export interface Violation<I, O> {
  /** The partition (key) in which no valid order exists. */
  readonly key: string;
  /**
   * The operations that cannot be placed. `culprits[0]` is the operation whose reply no order can
   * explain: the earliest reply that every candidate order dies at (Knossos's `:op`). The rest are
   * the other operations still pending at that moment that could not be linearized next either.
   */
  readonly culprits: readonly Operation<I, O>[];
  /** The operations of the best partial order found (the one that got furthest), in order. */
  readonly longestPrefix: readonly Operation<I, O>[];
  /** A plain-English account, e.g. `client 3 saw GET x = 3, but no order of the other operations on x produces 3. ...` */
  readonly message: string;
}

export type CheckResult<I, O> =
  | { readonly ok: true; readonly partitions: readonly PartitionStats[] }
  | ({
      readonly ok: false;
      /** Every violating partition, in order of first appearance; `key`, `culprits`, `longestPrefix` and `message` repeat `violations[0]`. */
      readonly violations: readonly Violation<I, O>[];
      readonly partitions: readonly PartitionStats[];
    } & Violation<I, O>)
  | {
      readonly ok: 'unknown';
      readonly reason: string;
      /** The partitions whose search ran out of budget. */
      readonly unknownKeys: readonly string[];
      readonly partitions: readonly PartitionStats[];
    };

/**
 * Check that a history is linearizable with respect to `model`.
 *
 * `fail` operations are dropped; `info` operations may take effect at any point after their
 * invocation, or never (`info` operations on read-only inputs are dropped outright). The history
 * is split with `model.partition` and each partition is searched independently, in order of first
 * appearance. A definite violation anywhere wins over an exhausted budget elsewhere.
 *
 * Throws {@link HistoryError} for a malformed history: duplicate ids, non-finite times, an `ok`
 * operation without a completion time or output, or one that completes before it is invoked.
 */
export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  validate(history);

  const parts = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    if (op.status === 'fail') continue;
    if (op.status === 'info' && model.readOnly?.(op.input) === true) continue;
    const key = model.partition ? model.partition(op.input) : '';
    let list = parts.get(key);
    if (list === undefined) parts.set(key, (list = []));
    list.push(op);
  }

  interface Pending {
    readonly key: string;
    readonly ops: readonly Operation<I, O>[];
    /** Made on first use and dropped once finished, so that caches are not all held at once. */
    search: PartitionSearch<I, O> | null;
    stats: PartitionStats | null;
    violation: Violation<I, O> | null;
  }
  const searches: Pending[] = [...parts].map(([key, ops]) => ({ key, ops, search: null, stats: null, violation: null }));
  const finish = (s: Pending, verdict: PartitionStats['verdict']): void => {
    const explored = s.search?.explored() ?? 0;
    const pruned = s.search?.pruned() ?? 0;
    s.stats = { key: s.key, operations: s.ops.length, explored, pruned, verdict };
    s.search = null;
  };
  // Run every unfinished search up to `limit` configurations; true once a violation stops it all.
  const runAll = (limit: number): boolean => {
    for (const s of searches) {
      if (s.stats !== null) continue;
      s.search ??= searchPartition(model, s.key, s.ops);
      const r = s.search.run(limit);
      if (r === null) {
        if (limit >= maxStates) finish(s, 'unknown');
        continue;
      }
      if (r.verdict === 'fail') s.violation = r.violation;
      finish(s, r.verdict);
      if (r.verdict === 'fail' && options.stopAtFirstViolation === true) return true;
    }
    return false;
  };
  if (options.stopAtFirstViolation === true) {
    for (let limit = Math.min(FIRST_ROUND_STATES, maxStates); ; limit = Math.min(limit * 2, maxStates)) {
      if (runAll(limit) || searches.every((s) => s.stats !== null)) break;
    }
  } else {
    // Every partition has to be finished anyway: one at a time, so one cache is held at once.
    runAll(maxStates);
  }

  const stats: PartitionStats[] = [];
  const violations: Violation<I, O>[] = [];
  const unknownKeys: string[] = [];
  for (const s of searches) {
    if (s.stats === null) finish(s, 'stopped');
    stats.push(s.stats!);
    if (s.violation !== null) violations.push(s.violation);
    if (s.stats!.verdict === 'unknown') unknownKeys.push(s.key);
  }

  const first = violations[0];
  if (first !== undefined) return { ok: false, ...first, violations, partitions: stats };
  if (unknownKeys.length > 0) {
    const names = unknownKeys.map((k) => describePartition(model, k)).join(', ');
    return {
      ok: 'unknown',
      reason:
        `gave up on ${names} after exploring ${maxStates} states each (maxStates): ` +
        `no violation was found, but the search did not finish, so the history is neither confirmed nor refuted ` +
        `(many lost replies on one busy key are the usual cause)`,
      unknownKeys,
      partitions: stats,
    };
  }
  return { ok: true, partitions: stats };
}

/** {@link checkLinearizability} with the kv-server model. */
export function checkKvHistory(history: readonly KvOperation[], options: CheckOptions = {}): CheckResult<KvInput, KvOutput> {
  return checkLinearizability(kvModel, history, options);
}

function validate<I, O>(history: readonly Operation<I, O>[]): void {
  const ids = new Set<OpId>();
  for (const op of history) {
    const name = `operation ${String(op.id)} (client ${String(op.client)})`;
    if (ids.has(op.id)) throw new HistoryError(`duplicate operation id ${String(op.id)}`);
    ids.add(op.id);
    if (!Number.isFinite(op.invoke)) throw new HistoryError(`${name} has a non-finite invoke time`);
    if (op.status !== 'ok') continue;
    if (op.complete === null || !Number.isFinite(op.complete)) throw new HistoryError(`${name} is ok but has no finite completion time`);
    if (op.complete < op.invoke) throw new HistoryError(`${name} completes at ${op.complete}, before its invocation at ${op.invoke}`);
    if (op.output === null) throw new HistoryError(`${name} is ok but has no output`);
  }
}

function describePartition<S, I, O>(model: Model<S, I, O>, key: string): string {
  return model.describePartition ? model.describePartition(key) : key === '' ? 'the object' : JSON.stringify(key);
}

// --- WGL search over one partition ---------------------------------------------------------------

/** A node of the doubly-linked list of call and return entries, in time order. */
interface Entry {
  /** Index of the operation in the partition. */
  readonly op: number;
  /** Position in the time-ordered list (the head sentinel is -1). */
  readonly pos: number;
  readonly isCall: boolean;
  /** For a call, its return entry (`null` for an `info` operation, which never returns). */
  readonly match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

type PartitionOutcome<I, O> = { readonly explored: number; readonly pruned: number } & (
  | { readonly verdict: 'ok' }
  | { readonly verdict: 'fail'; readonly violation: Violation<I, O> }
);

/**
 * A search that can be paused: `run(limit)` goes on until the verdict is known (and returns it;
 * not to be run again after that) or more than `limit` configurations have been explored (and
 * returns null, to be resumed with a larger limit).
 */
interface PartitionSearch<I, O> {
  run(limit: number): PartitionOutcome<I, O> | null;
  explored(): number;
  pruned(): number;
}

/** Build the entry list: calls at `invoke`, returns at `complete`; on equal times calls go first. */
function buildEntries<I, O>(ops: readonly Operation<I, O>[]): Entry {
  interface Raw {
    readonly op: number;
    readonly time: number;
    readonly isCall: boolean;
  }
  const raw: Raw[] = [];
  ops.forEach((op, i) => {
    raw.push({ op: i, time: op.invoke, isCall: true });
    if (op.status === 'ok' && op.complete !== null) raw.push({ op: i, time: op.complete, isCall: false });
  });
  raw.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1) || a.op - b.op);

  const head: Entry = { op: -1, pos: -1, isCall: false, match: null, prev: null, next: null };
  const returns = new Map<number, Entry>();
  // Create return entries first so that calls can point at them.
  raw.forEach((r, pos) => {
    if (!r.isCall) returns.set(r.op, { op: r.op, pos, isCall: false, match: null, prev: null, next: null });
  });
  let tail = head;
  raw.forEach((r, pos) => {
    const e: Entry = r.isCall ? { op: r.op, pos, isCall: true, match: returns.get(r.op) ?? null, prev: null, next: null } : returns.get(r.op)!;
    e.prev = tail;
    tail.next = e;
    tail = e;
  });
  return head;
}

/** Remove a call entry and its return entry from the list. */
function lift(call: Entry): void {
  call.prev!.next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  const ret = call.match;
  if (ret !== null) {
    ret.prev!.next = ret.next;
    if (ret.next !== null) ret.next.prev = ret.prev;
  }
}

/** Undo {@link lift} (entries are put back in reverse order of removal). */
function unlift(call: Entry): void {
  const ret = call.match;
  if (ret !== null) {
    ret.prev!.next = ret;
    if (ret.next !== null) ret.next.prev = ret;
  }
  call.prev!.next = call;
  if (call.next !== null) call.next.prev = call;
}

/** A 32-bit mix of two words (murmur3-style finalizer). */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The linearized set of a configuration, split the way WGL makes it compact. Completed (`ok`)
 * operations are numbered by the position of their return entry, so the set always holds every
 * operation below some index `first` (the first one not yet linearized: its return entry is the
 * first one left in the list) plus a few operations just beyond it (linearized early, while
 * concurrent with it). Lost-reply (`info`) operations are numbered by invocation and kept in their
 * own small bitset. A configuration is then stored as (`first`, the words from `first` to the last
 * set bit, the `info` words): a few words, whatever the length of the history.
 *
 * Internal; exported for its tests.
 */
export class LinearizedSet {
  readonly ok: Uint32Array;
  readonly info: Uint32Array;
  /** The smallest `ok` index not in the set (`okCount` if all are). */
  first = 0;
  /** The largest `ok` index in the set, or -1. */
  last = -1;

  constructor(private readonly okCount: number, infoCount: number) {
    this.ok = new Uint32Array(Math.max(1, (okCount + 31) >>> 5));
    this.info = new Uint32Array(Math.max(1, (infoCount + 31) >>> 5));
  }

  hasOk(i: number): boolean {
    return (this.ok[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  hasInfo(i: number): boolean {
    return (this.info[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  addOk(i: number): void {
    this.ok[i >>> 5] = (this.ok[i >>> 5]! | (1 << (i & 31))) >>> 0;
    if (i > this.last) this.last = i;
    while (this.first < this.okCount && this.hasOk(this.first)) this.first++;
  }

  removeOk(i: number): void {
    this.ok[i >>> 5] = (this.ok[i >>> 5]! & ~(1 << (i & 31))) >>> 0;
    if (i < this.first) this.first = i;
    if (i === this.last) {
      let j = i - 1;
      while (j >= this.first && !this.hasOk(j)) j--;
      // Everything below `first` is in the set.
      this.last = j >= 0 ? j : -1;
    }
  }

  addInfo(i: number): void {
    this.info[i >>> 5] = (this.info[i >>> 5]! | (1 << (i & 31))) >>> 0;
  }

  removeInfo(i: number): void {
    this.info[i >>> 5] = (this.info[i >>> 5]! & ~(1 << (i & 31))) >>> 0;
  }

  /** The `ok` words that are neither all ones (below `first`) nor all zeros (above `last`). */
  sliceStart(): number {
    return this.first >>> 5;
  }

  sliceLength(): number {
    const lo = this.first >>> 5;
    const hi = this.last >>> 5;
    return this.last >= 0 && hi >= lo ? hi - lo + 1 : 0;
  }
}

/**
 * The memo of explored configurations: (linearized set, model state) pairs in a chained hash
 * table keyed by a hash of the state and of the `ok` part of the set. Sets are packed into one
 * growable Int32 pool as [first, n, n `ok` words, the `info` words].
 *
 * A lookup matches a cached configuration with the same state, the same `ok` operations and a
 * *subset* of the `info` operations: such a configuration has the same deadlines ahead and every
 * option the new one has (an `info` operation never has to be linearized), so if it was explored
 * without success the new one would be too (subsumption). With no `info` operations this is
 * exactly Porcupine's cache.
 *
 * Internal; exported for its tests.
 */
export class ConfigCache<S> {
  private table: Int32Array;
  private chain = new Int32Array(1024);
  private hashes = new Uint32Array(1024);
  private offsets = new Int32Array(1024);
  private pool = new Int32Array(4096);
  private poolUsed = 0;
  private readonly states: S[] = [];
  size = 0;

  constructor(private readonly equal: (a: S, b: S) => boolean) {
    this.table = new Int32Array(1024).fill(-1);
  }

  /** Add the configuration unless an equal or subsuming one is present; true if added. */
  addIfAbsent(hash: number, set: LinearizedSet, state: S): boolean {
    const lo = set.sliceStart();
    const n = set.sliceLength();
    const infoWords = set.info.length;
    for (let k = this.table[hash & (this.table.length - 1)]!; k !== -1; k = this.chain[k]!) {
      if (this.hashes[k] !== hash) continue;
      let at = this.offsets[k]!;
      if (this.pool[at] !== set.first || this.pool[at + 1] !== n) continue;
      at += 2;
      let covered = true;
      for (let j = 0; j < n && covered; j++) covered = this.pool[at + j] === (set.ok[lo + j]! | 0);
      at += n;
      for (let j = 0; j < infoWords && covered; j++) covered = (this.pool[at + j]! & ~set.info[j]!) === 0;
      if (covered && this.equal(this.states[k]!, state)) return false;
    }

    const k = this.size++;
    if (k === this.chain.length) {
      this.chain = grow(this.chain, this.chain.length * 2);
      this.hashes = grow(this.hashes, this.hashes.length * 2);
      this.offsets = grow(this.offsets, this.offsets.length * 2);
    }
    const need = 2 + n + infoWords;
    if (this.poolUsed + need > this.pool.length) this.pool = grow(this.pool, Math.max(this.pool.length * 2, this.poolUsed + need));
    const at = this.poolUsed;
    this.pool[at] = set.first;
    this.pool[at + 1] = n;
    for (let j = 0; j < n; j++) this.pool[at + 2 + j] = set.ok[lo + j]! | 0;
    for (let j = 0; j < infoWords; j++) this.pool[at + 2 + n + j] = set.info[j]! | 0;
    this.poolUsed += need;
    this.offsets[k] = at;
    this.hashes[k] = hash;
    this.states.push(state);
    if (this.size > this.table.length) this.rehash();
    const b = hash & (this.table.length - 1);
    this.chain[k] = this.table[b]!;
    this.table[b] = k;
    return true;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = this.table.length - 1;
    // Entry `size - 1` is linked by the caller.
    for (let k = 0; k < this.size - 1; k++) {
      const b = this.hashes[k]! & mask;
      this.chain[k] = this.table[b]!;
      this.table[b] = k;
    }
  }
}

function grow<T extends Int32Array | Uint32Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

/** A fixed pseudo-random word per index (splitmix32), for Zobrist hashing of sets. */
function zobrist(i: number): number {
  let z = Math.imul(i + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * WGL over one partition, after Porcupine's `checkSingle`: walk the time-ordered list of entries;
 * at a call, try to linearize that operation now (model step, then the cache) and, if that works,
 * lift its call and return out of the list and start again from the head; at a return, the
 * operation's deadline has passed unlinearized, so backtrack. Reaching the end of the list means
 * every completed operation has been linearized.
 *
 * Refinements for lost replies (`info` operations, which have no return entry):
 *  - At each configuration, completed operations are tried before `info` ones (two passes over
 *    the frontier), so configurations that leave `info` operations out are explored first and
 *    then subsume (see {@link ConfigCache}) the ones that put them in for nothing.
 *  - `info` operations with equal `model.inputKey` are interchangeable once invoked, so only the
 *    earliest-invoked unlinearized one of each class is ever tried.
 *  - An `info` operation is not linearized right after another `info` operation whose effect it
 *    would hide (PUT after PUT, PUT after INCR, ...): leaving the first one out reaches the same
 *    state with more options, and the search tries that too.
 * Each of these only skips configurations subsumed by ones the search does visit, so the verdict
 * is unchanged; they turn "every subset of the lost writes" into something close to "which lost
 * write was the last one".
 */
function searchPartition<S, I, O>(model: Model<S, I, O>, key: string, ops: readonly Operation<I, O>[]): PartitionSearch<I, O> {
  const n = ops.length;
  const head = buildEntries(ops);

  // Number `ok` operations by return position and `info` ones by invocation (see LinearizedSet).
  const index = new Int32Array(n);
  const isInfo = ops.map((op) => op.status !== 'ok');
  let okCount = 0;
  let infoCount = 0;
  for (let e = head.next; e !== null; e = e.next) {
    if (e.isCall && isInfo[e.op]) index[e.op] = infoCount++;
    else if (!e.isCall) index[e.op] = okCount++;
  }
  const set = new LinearizedSet(okCount, infoCount);
  const zob = new Uint32Array(n);
  for (let i = 0; i < n; i++) if (!isInfo[i]) zob[i] = zobrist(i);
  const cache = new ConfigCache<S>((a, b) => model.equal(a, b));
  const outputOf = (op: Operation<I, O>): O | null => (op.status === 'ok' ? op.output : null);
  const add = (i: number): void => (isInfo[i] ? set.addInfo(index[i]!) : set.addOk(index[i]!));
  const remove = (i: number): void => (isInfo[i] ? set.removeInfo(index[i]!) : set.removeOk(index[i]!));

  // For each `info` operation, the previous one (in invocation order) with an equal input key.
  const prevTwin = new Int32Array(n).fill(-1);
  if (model.inputKey) {
    const last = new Map<string, number>();
    for (let e = head.next; e !== null; e = e.next) {
      if (!e.isCall || !isInfo[e.op]) continue;
      const k = model.inputKey(ops[e.op]!.input);
      prevTwin[e.op] = last.get(k) ?? -1;
      last.set(k, e.op);
    }
  }

  type Frame = { readonly entry: Entry; readonly state: S; readonly pass: 0 | 1 };
  const stack: Frame[] = [];
  // Does linearizing `info` operation `op` (reaching `next`) right after `info` operation
  // `top.entry.op` make the latter pointless (same state as if it had not been linearized)? Then
  // this configuration is subsumed by the sibling that skips `top`, which the search visits too.
  const masks = (top: Frame | undefined, op: Operation<I, O>, next: S): boolean => {
    if (top === undefined || !isInfo[top.entry.op]) return false;
    const without = model.step(top.state, op.input, null);
    return without.ok && model.equal(without.next, next);
  };

  let state = model.init(key);
  let setHash = 0;
  let pruned = 0;
  cache.addIfAbsent(mix(0, model.hash(state)), set, state);

  // The best dead end so far: the furthest return entry that the search was stuck at, and among
  // those the one with the most operations linearized.
  let best: { pos: number; depth: number; culprit: number; prefix: number[]; frontier: number[]; state: S } | null = null;

  // Pass 0 walks the frontier trying completed operations; at the first return entry it switches
  // to pass 1, which walks it again trying `info` operations; reaching that return entry again is
  // a dead end.
  let pass: 0 | 1 = 0;
  let entry = head.next;
  const run = (limit: number): PartitionOutcome<I, O> | null => {
    for (;;) {
      if (cache.size > limit) return null;
      if (entry === null) {
        // No return entries left: every reply is explained (the `info` operations still in the
        // list are taken never to have happened).
        return { verdict: 'ok', explored: cache.size, pruned };
      }
      if (entry.isCall) {
        const i = entry.op;
        const candidate = pass === 0 ? !isInfo[i] : isInfo[i] && (prevTwin[i]! < 0 || set.hasInfo(index[prevTwin[i]!]!));
        if (candidate) {
          const op = ops[i]!;
          const r = model.step(state, op.input, outputOf(op));
          if (r.ok && pass === 1 && masks(stack[stack.length - 1], op, r.next)) {
            pruned++;
          } else if (r.ok) {
            const nextHash = (setHash ^ zob[i]!) >>> 0;
            add(i);
            if (cache.addIfAbsent(mix(nextHash, model.hash(r.next)), set, r.next)) {
              stack.push({ entry, state, pass });
              state = r.next;
              setHash = nextHash;
              lift(entry);
              pass = 0;
              entry = head.next;
              continue;
            }
            remove(i);
            pruned++;
          }
        }
        entry = entry.next;
        continue;
      }
      if (pass === 0) {
        pass = 1;
        entry = head.next;
        continue;
      }

      // A return entry: its operation had to be linearized by now and was not. Dead end.
      if (best === null || entry.pos > best.pos || (entry.pos === best.pos && stack.length > best.depth)) {
        const frontier: number[] = [];
        for (let e = head.next; e !== null && e !== entry; e = e.next) {
          if (!e.isCall || e.op === entry.op || isInfo[e.op]) continue;
          const other = ops[e.op]!;
          if (!model.step(state, other.input, other.output).ok) frontier.push(e.op);
        }
        best = { pos: entry.pos, depth: stack.length, culprit: entry.op, prefix: stack.map((s) => s.entry.op), frontier, state };
      }
      const top = stack.pop();
      if (top === undefined) break;
      state = top.state;
      remove(top.entry.op);
      setHash = (setHash ^ zob[top.entry.op]!) >>> 0;
      unlift(top.entry);
      pass = top.pass;
      entry = top.entry.next;
    }

    if (best === null) throw new Error('unreachable: a failed search has met a return entry');
    const culprit = ops[best.culprit]!;
    const culprits = [culprit, ...best.frontier.map((i) => ops[i]!)];
    const longestPrefix = best.prefix.map((i) => ops[i]!);
    return {
      verdict: 'fail',
      explored: cache.size,
      pruned,
      violation: { key, culprits, longestPrefix, message: explain(model, key, culprit, longestPrefix.length, n, best.state) },
    };
  };
  return { run, explored: () => cache.size, pruned: () => pruned };
}

function explain<S, I, O>(model: Model<S, I, O>, key: string, culprit: Operation<I, O>, depth: number, total: number, state: S): string {
  const where = describePartition(model, key);
  const output = culprit.output!;
  const saw = model.describeOperation(culprit.input, output);
  const result = model.describeOutput ? model.describeOutput(output) : 'that result';
  const others = total - 1;
  const count = (k: number): string => `${k} operation${k === 1 ? '' : 's'}`;
  const lead =
    others === 0
      ? `client ${String(culprit.client)} saw ${saw}, but with no other operations on ${where} it cannot produce ${result}.`
      : `client ${String(culprit.client)} saw ${saw}, but no order of the other operations on ${where} produces ${result}.`;
  return (
    `${lead} The longest consistent order found linearizes ${count(depth)} of ${total} and leaves ` +
    `${model.describeState(state, key)} when that reply arrives (t=${String(Number((culprit.complete ?? Number.NaN).toFixed(3)))}).`
  );
}
