// The guest programs the demo runs, by name, and a helper that assembles them.

import { assemble, formatAsmError, type AsmOptions, type AsmResult } from '../machine/assembler';
import { HELLO_ASM } from './hello';
import { LIB_ASM } from './lib';

export const PROGRAM_NAMES = ['hello'] as const;
export type ProgramName = (typeof PROGRAM_NAMES)[number];

export const PROGRAM_SOURCES: Readonly<Record<ProgramName, string>> = {
  hello: HELLO_ASM,
};

/** `.include` resolver for the programs' shared files. */
export const includeProgramFile: NonNullable<AsmOptions['include']> = (name) => (name === 'lib' ? LIB_ASM : undefined);

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
