// What the engine knows about each shipped program, in one table: its source, how its clients talk
// to it (the automatic workload, a fuzzed learner's requests, the checker of their histories, the
// terminal's commands). A program with `client: null` takes no client requests.

import { checkKvClients, checkLeaseClients, type LinearizabilityVerdict } from '../sim/checkers/ftCheckers';
import type { ClientOp } from '../sim/clients';
import type { Rng } from '../util/rng';
import { PROGRAM_NAMES, PROGRAM_SOURCES, type ProgramName } from './index';

/** How long a lease-server client trusts a grant, from its request: under the server's 40-50 ms. */
export const LEASE_VALID_MS = 35;

/** A command a learner types into the client terminal (`put <key> <value>` → `PUT key value`). */
export interface TerminalCommand {
  readonly name: string;
  readonly args: readonly string[];
  readonly doc: string;
}

export interface ClientProtocol {
  /** A request of the automatic workload for `key` (draws from `rng`: the order is part of replay). */
  randomRequest(rng: Rng, key: string): string;
  /** A request a fuzzed learner types. */
  fuzzRequest(rng: Rng): string;
  /** Is the clients' history what a correct server could have answered? */
  check(ops: readonly ClientOp[], maxStates?: number): LinearizabilityVerdict;
  readonly commands: readonly TerminalCommand[];
  /** What to type first, for the terminal's greeting. */
  readonly examples: readonly string[];
}

export interface ProgramInfo {
  readonly source: string;
  readonly client: ClientProtocol | null;
  /** Percent of fuzzed runs that run this program (the table's shares add up to 100). */
  readonly fuzzShare: number;
}

const KV_CLIENT: ClientProtocol = {
  randomRequest(rng, key) {
    const r = rng.next();
    return r < 0.35 ? `GET ${key}` : r < 0.65 ? `PUT ${key} v${rng.int(0, 999)}` : r < 0.9 ? `INCR ${key}` : `DEL ${key}`;
  },
  fuzzRequest(rng) {
    const key = `k${rng.int(0, 2)}`;
    return rng.pick([`PUT ${key} v${rng.int(0, 99)}`, `GET ${key}`, `INCR ${key}`, `DEL ${key}`]);
  },
  check: (ops, maxStates) => checkKvClients(ops, maxStates),
  commands: [
    { name: 'put', args: ['key', 'value'], doc: 'store a value (written to disk before the reply)' },
    { name: 'get', args: ['key'], doc: 'read a value' },
    { name: 'incr', args: ['key'], doc: 'add one to a number (a missing key counts as 0)' },
    { name: 'del', args: ['key'], doc: 'delete a key' },
  ],
  examples: ['put x 5', 'incr x'],
};

const LEASE_CLIENT: ClientProtocol = {
  randomRequest: (rng, key) => (rng.chance(0.8) ? `LEASE ${key}` : `RELEASE ${key}`),
  fuzzRequest: (rng) => `${rng.pick(['LEASE', 'RELEASE'])} k${rng.int(0, 2)}`,
  check: (ops) => checkLeaseClients(ops, LEASE_VALID_MS),
  commands: [
    { name: 'lease', args: ['name'], doc: 'acquire or renew a lease (50 ms of guest time)' },
    { name: 'release', args: ['name'], doc: 'give a lease back' },
  ],
  examples: ['lease chunk42'],
};

export const PROGRAMS = {
  hello: { source: PROGRAM_SOURCES.hello, client: null, fuzzShare: 0 },
  'kv-server': { source: PROGRAM_SOURCES['kv-server'], client: KV_CLIENT, fuzzShare: 55 },
  'lease-server': { source: PROGRAM_SOURCES['lease-server'], client: LEASE_CLIENT, fuzzShare: 30 },
  // (a program that takes no requests: the fuzzer's client actions are left out)
  ticker: { source: PROGRAM_SOURCES.ticker, client: null, fuzzShare: 15 },
  primes: { source: PROGRAM_SOURCES.primes, client: null, fuzzShare: 0 },
} as const satisfies Readonly<Record<ProgramName, ProgramInfo>>;

/** The programs that take client requests. */
export type ServerProgramName = { [K in ProgramName]: (typeof PROGRAMS)[K]['client'] extends null ? never : K }[ProgramName];

/** The client protocol of a program by name (any string: scenarios and recordings name it), or null. */
export function clientProtocol(program: string): ClientProtocol | null {
  return Object.prototype.hasOwnProperty.call(PROGRAMS, program) ? PROGRAMS[program as ProgramName].client : null;
}

/**
 * The program whose requests an automatic workload sends to `program`: its own, or kv-server's for
 * a program that takes none (those requests go unanswered and time out).
 */
export function workloadProgram(program: string): ServerProgramName {
  return clientProtocol(program) ? (program as ServerProgramName) : 'kv-server';
}

/** The program of a fuzzed run, from a draw `r` in [0, 1): each program for its share of draws. */
export function fuzzProgram(r: number): ProgramName {
  const fuzzed = PROGRAM_NAMES.filter((name) => PROGRAMS[name].fuzzShare > 0);
  let upTo = 0;
  for (const name of fuzzed) {
    upTo += PROGRAMS[name].fuzzShare;
    // (whole percents, so the bounds are the same numbers as the literals 0.55, 0.85)
    if (r < upTo / 100) return name;
  }
  return fuzzed[fuzzed.length - 1]!;
}
