// Disassembler: every aligned word becomes one line, either an instruction in canonical syntax or
// `.word`. Assembling the output gives back the same bytes (tested for every shipped program).

import { OP_BY_CODE, PORT_BY_CODE, encode, registerName, type OpInfo } from './isa';

export interface DisasmLine {
  readonly addr: number;
  readonly word: number;
  /** Assembly text, e.g. `addi r1, r1, -4`, or `.word 0x...` for data. */
  readonly text: string;
  readonly isInstruction: boolean;
}

export interface DecodedIns {
  readonly info: OpInfo;
  readonly rd: number;
  readonly rs: number;
  readonly imm: number; // raw 16 bits
}

function hex(v: number, digits = 4): string {
  return `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;
}

/** Decode a word if it is a canonical encoding of some instruction (unused fields zero). */
export function decode(word: number): DecodedIns | null {
  const info = OP_BY_CODE.get(word & 0xff);
  if (!info) return null;
  const rd = (word >>> 8) & 15;
  const rs = (word >>> 12) & 15;
  const imm = (word >>> 16) & 0xffff;
  let canon: number;
  switch (info.format) {
    case 'none':
      canon = encode(info.op);
      break;
    case 'r':
      canon = encode(info.op, rd);
      break;
    case 'rr':
      canon = encode(info.op, rd, rs);
      break;
    case 'rrr':
      canon = encode(info.op, rd, rs, imm & 15);
      break;
    case 'ri':
    case 'in':
    case 'out':
    case 'vec':
      canon = encode(info.op, rd, 0, imm);
      break;
    case 'addr':
      canon = encode(info.op, 0, 0, imm);
      break;
    default:
      canon = encode(info.op, rd, rs, imm);
  }
  if (canon >>> 0 !== word >>> 0) return null;
  if (info.imm === 'shamt' && imm > 31) return null;
  if (info.imm === 'port' && imm > 0xff) return null;
  if (info.format === 'vec' && rd > 2) return null;
  if ((info.format === 'branch' || info.format === 'addr') && imm % 4 !== 0) return null;
  return { info, rd, rs, imm };
}

/** Text of one decoded instruction; `label` names addresses when symbols are known. */
export function formatIns(d: DecodedIns, label: (addr: number) => string = (a) => hex(a)): string {
  const { info, rd, rs, imm } = d;
  const m = info.mnemonic;
  const R = registerName;
  const simm = (imm << 16) >> 16;
  switch (info.format) {
    case 'none':
      return m;
    case 'r':
      return `${m} ${R(rd)}`;
    case 'rr':
      return `${m} ${R(rd)}, ${R(rs)}`;
    case 'rrr':
      return `${m} ${R(rd)}, ${R(rs)}, ${R(imm & 15)}`;
    case 'ri':
      return `${m} ${R(rd)}, ${hex(imm)}`;
    case 'rri':
      return `${m} ${R(rd)}, ${R(rs)}, ${info.imm === 'simm' ? simm : info.imm === 'shamt' ? imm : hex(imm)}`;
    case 'mem':
      return `${m} ${R(rd)}, [${R(rs)}${simm < 0 ? `-${-simm}` : `+${simm}`}]`;
    case 'branch':
      return `${m} ${R(rd)}, ${R(rs)}, ${label(imm)}`;
    case 'addr':
      return `${m} ${label(imm)}`;
    case 'in':
      return `${m} ${R(rd)}, ${PORT_BY_CODE.get(imm)?.name ?? hex(imm, 2)}`;
    case 'out':
      return `${m} ${PORT_BY_CODE.get(imm)?.name ?? hex(imm, 2)}, ${R(rd)}`;
    case 'vec':
      return `${m} ${['IRQ_TIMER', 'IRQ_NIC', 'IRQ_DISK'][rd]}, ${label(imm)}`;
  }
}

/** Disassemble `length` bytes of `mem` starting at `start` (both 4-aligned except the tail). */
export function disassemble(
  mem: Uint8Array,
  start = 0,
  length = mem.length - start,
  symbols?: ReadonlyMap<string, number>,
): DisasmLine[] {
  const names = new Map<number, string>();
  if (symbols) for (const [n, v] of symbols) if (!names.has(v)) names.set(v, n);
  const label = (a: number): string => names.get(a) ?? hex(a);
  const out: DisasmLine[] = [];
  const end = Math.min(mem.length, start + length);
  let a = start;
  for (; a + 4 <= end; a += 4) {
    const word = (mem[a]! | (mem[a + 1]! << 8) | (mem[a + 2]! << 16) | (mem[a + 3]! << 24)) >>> 0;
    const d = decode(word);
    out.push({ addr: a, word, text: d ? formatIns(d, label) : `.word ${hex(word, 8)}`, isInstruction: d !== null });
  }
  for (; a < end; a++) out.push({ addr: a, word: mem[a]!, text: `.byte ${hex(mem[a]!, 2)}`, isInstruction: false });
  return out;
}

/** Disassembly as assembly source that reassembles to the same bytes. */
export function disassembleToSource(image: Uint8Array): string {
  return disassemble(image)
    .map((l) => l.text)
    .join('\n');
}
