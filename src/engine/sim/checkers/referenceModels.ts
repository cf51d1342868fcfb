// The two objects of the field's reference histories (Porcupine's test data), as models for
// `checkLinearizability`: the register with compare-and-set that Jepsen's etcd test drives, and a
// key-value store with get/put/append. Their step functions say exactly what Porcupine's test
// models say (porcupine_test.go, `etcdModel` and `kvModel`), so that a verdict can be compared
// with Porcupine's one for one.

import { hashString, type Model, type StepResult } from './linearizability';

// --- A register with compare-and-set (Jepsen's etcd test) ---------------------------------------

export type CasRegisterInput =
  | { readonly f: 'read' }
  | { readonly f: 'write'; readonly value: number }
  | { readonly f: 'cas'; readonly from: number; readonly to: number };

export type CasRegisterOutput =
  | { readonly f: 'read'; readonly value: number | null }
  | { readonly f: 'write' }
  /** `ok: false` is a reply too: the compare failed, so the register did not hold `from` then. */
  | { readonly f: 'cas'; readonly ok: boolean };

/** The register's value; `null` until the first write (Jepsen's `nil`). */
export type CasRegisterState = number | null;

const NO: StepResult<never> = { ok: false };

/**
 * One register, initially unset. A read returns the value (or nil); a write sets it; `cas from to`
 * sets it to `to` and replies ok if it held `from`, and otherwise changes nothing and replies
 * fail. A lost reply (`info`, Jepsen's timed-out write or cas) may have taken effect or not.
 */
export const casRegisterModel: Model<CasRegisterState, CasRegisterInput, CasRegisterOutput> = {
  name: 'cas-register',
  init: () => null,
  step(state, input, output) {
    switch (input.f) {
      case 'read':
        if (output === null) return { ok: true, next: state };
        return output.f === 'read' && output.value === state ? { ok: true, next: state } : NO;
      case 'write':
        return output === null || output.f === 'write' ? { ok: true, next: input.value } : NO;
      case 'cas': {
        const holds = state === input.from;
        if (output === null) return { ok: true, next: holds ? input.to : state };
        if (output.f !== 'cas' || output.ok !== holds) return NO;
        return { ok: true, next: holds ? input.to : state };
      }
    }
  },
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? 0x9e3779b9 : Math.imul(s | 0, 0x9e3779b1) >>> 0),
  readOnly: (input) => input.f === 'read',
  inputKey: (input) => (input.f === 'read' ? 'read' : input.f === 'write' ? `write ${input.value}` : `cas ${input.from} ${input.to}`),
  describeOperation(input, output) {
    const cmd = input.f === 'read' ? 'read' : input.f === 'write' ? `write ${input.value}` : `cas ${input.from} → ${input.to}`;
    if (output === null) return `${cmd} (reply lost)`;
    if (output.f === 'read') return `${cmd} = ${output.value === null ? 'nil' : output.value}`;
    if (output.f === 'cas') return `${cmd} (${output.ok ? 'ok' : 'fail'})`;
    return `${cmd} (ok)`;
  },
  describeOutput(output) {
    if (output.f === 'read') return output.value === null ? 'nil' : String(output.value);
    if (output.f === 'cas') return output.ok ? '"ok"' : '"fail"';
    return '"ok"';
  },
  describeState: (s) => (s === null ? 'the register unset' : `the register holding ${s}`),
  describePartition: () => 'the register',
};

// --- A key-value store with get/put/append -------------------------------------------------------

export type AppendKvInput =
  | { readonly f: 'get'; readonly key: string }
  | { readonly f: 'put'; readonly key: string; readonly value: string }
  | { readonly f: 'append'; readonly key: string; readonly value: string };

export type AppendKvOutput = { readonly f: 'get'; readonly value: string } | { readonly f: 'put' | 'append' };

/**
 * One key's value, initially the empty string (as in Porcupine's model: a get of a key never
 * written returns ""). Checked one key at a time.
 */
export const appendKvModel: Model<string, AppendKvInput, AppendKvOutput> = {
  name: 'append-kv',
  partition: (input) => input.key,
  init: () => '',
  step(state, input, output) {
    switch (input.f) {
      case 'get':
        if (output === null) return { ok: true, next: state };
        return output.f === 'get' && output.value === state ? { ok: true, next: state } : NO;
      case 'put':
        return output === null || output.f === 'put' ? { ok: true, next: input.value } : NO;
      case 'append':
        return output === null || output.f === 'append' ? { ok: true, next: state + input.value } : NO;
    }
  },
  equal: (a, b) => a === b,
  hash: hashString,
  readOnly: (input) => input.f === 'get',
  inputKey: (input) => JSON.stringify(input.f === 'get' ? [input.f, input.key] : [input.f, input.key, input.value]),
  describeOperation(input, output) {
    const cmd = input.f === 'get' ? `get ${JSON.stringify(input.key)}` : `${input.f} ${JSON.stringify(input.key)} ${JSON.stringify(input.value)}`;
    if (output === null) return `${cmd} (reply lost)`;
    return output.f === 'get' ? `${cmd} = ${JSON.stringify(output.value)}` : `${cmd} (ok)`;
  },
  describeOutput: (output) => (output.f === 'get' ? JSON.stringify(output.value) : '"ok"'),
  describeState: (s, key) => `${JSON.stringify(key)} = ${JSON.stringify(s)}`,
  describePartition: (key) => JSON.stringify(key),
};
