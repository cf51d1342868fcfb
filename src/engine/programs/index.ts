// The guest programs the demo runs, by name, and a helper that assembles them.

import { assemble, formatAsmError, type AsmOptions, type AsmResult } from '../machine/assembler';
import { HELLO_ASM } from './hello';
import { KV_SERVER_ASM } from './kvServer';
import { LEASE_SERVER_ASM } from './leaseServer';
import { LIB_ASM } from './lib';
import { NET_ASM } from './netlib';
import { PRIMES_ASM } from './primes';
import { TICKER_ASM } from './ticker';

export const PROGRAM_NAMES = ['hello', 'kv-server', 'lease-server', 'ticker', 'primes'] as const;
export type ProgramName = (typeof PROGRAM_NAMES)[number];

export const PROGRAM_SOURCES: Readonly<Record<ProgramName, string>> = {
  hello: HELLO_ASM,
  'kv-server': KV_SERVER_ASM,
  'lease-server': LEASE_SERVER_ASM,
  ticker: TICKER_ASM,
  primes: PRIMES_ASM,
};

/** Files programs can `.include`: "lib" (console, strings, numbers) and "net" (request/reply plumbing). */
export const INCLUDE_FILES: Readonly<Record<string, string>> = {
  lib: LIB_ASM,
  net: NET_ASM,
};

/** `.include` resolver for the programs' shared files. */
export const includeProgramFile: NonNullable<AsmOptions['include']> = (name) =>
  Object.prototype.hasOwnProperty.call(INCLUDE_FILES, name) ? INCLUDE_FILES[name] : undefined;

/** Assemble a program (shipped or user-written) with the shared includes available. */
export function assembleProgram(source: string): ReturnType<typeof assemble> {
  return assemble(source, { include: includeProgramFile });
}

/** Assemble a shipped program; a shipped program that fails to assemble is a bug. */
export function shippedProgram(name: ProgramName): AsmResult {
  const r = assembleProgram(PROGRAM_SOURCES[name]);
  if (!r.ok) throw new Error(`${name}: ${r.errors.map(formatAsmError).join('; ')}`);
  return r;
}
