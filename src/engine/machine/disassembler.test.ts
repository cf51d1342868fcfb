// The disassembler: canonical decoding, text that reassembles to the same bytes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROGRAM_NAMES, PROGRAM_SOURCES, assembleProgram } from '../programs';
import { assemble, formatAsmError } from './assembler';
import { decode, disassemble, disassembleToSource, formatIns } from './disassembler';
import { OP, OPS, encode, immRange, type OpInfo } from './isa';

function reassemble(img: Uint8Array): Uint8Array {
  const src = disassembleToSource(img);
  const r = assemble(src);
  if (!r.ok) throw new Error(`disassembly does not assemble:\n${r.errors.map(formatAsmError).join('\n')}`);
  return r.image;
}

const wordsToImage = (ws: readonly number[]): Uint8Array => new Uint8Array(new Uint32Array(ws).buffer);

describe('disassembleToSource → assemble gives identical bytes', () => {
  it('there are shipped programs to check', () => {
    expect(PROGRAM_NAMES.length).toBeGreaterThan(0);
  });

  for (const name of PROGRAM_NAMES) {
    it(`shipped program '${name}'`, () => {
      const r = assembleProgram(PROGRAM_SOURCES[name]);
      if (!r.ok) throw new Error(r.errors.map(formatAsmError).join('\n'));
      const back = reassemble(r.image);
      expect(back.length).toBe(r.image.length);
      expect(Buffer.from(back).equals(Buffer.from(r.image))).toBe(true);
      // The program's code disassembles to instructions, not data.
      expect(disassemble(r.image, 0, 4)[0]!.isInstruction).toBe(true);
    });
  }

  it('property: random 32-bit word arrays round-trip byte-identically', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { maxLength: 64 }), (ws) => {
        const img = wordsToImage(ws);
        expect([...reassemble(img)]).toEqual([...img]);
      }),
      { numRuns: 200 },
    );
  });

  it('property: random valid instruction words round-trip and decode as instructions', () => {
    const canonical = fc.constantFrom<OpInfo>(...OPS).chain((info) =>
      fc.tuple(fc.nat(15), fc.nat(15), info.imm ? fc.integer({ min: immRange(info.imm)[0], max: immRange(info.imm)[1] }) : fc.nat(15)).map(([rd, rs, imm]) => {
        switch (info.format) {
          case 'none':
            return encode(info.op);
          case 'r':
            return encode(info.op, rd);
          case 'rr':
            return encode(info.op, rd, rs);
          case 'rrr':
            return encode(info.op, rd, rs, imm);
          case 'ri':
          case 'in':
          case 'out':
            return encode(info.op, rd, 0, imm);
          case 'vec':
            return encode(info.op, rd % 3, 0, imm);
          case 'addr':
            return encode(info.op, 0, 0, imm & ~3);
          case 'branch':
            return encode(info.op, rd, rs, imm & ~3);
          default:
            return encode(info.op, rd, rs, imm);
        }
      }),
    );
    fc.assert(
      fc.property(fc.array(canonical, { minLength: 1, maxLength: 32 }), (ws) => {
        const img = wordsToImage(ws);
        expect(disassemble(img).every((l) => l.isInstruction)).toBe(true);
        expect([...reassemble(img)]).toEqual([...img]);
      }),
      { numRuns: 200 },
    );
  });

  it('a tail that is not a whole word becomes .byte lines', () => {
    const img = new Uint8Array([OP.nop, 0, 0, 0, 0xab, 0xcd]);
    expect(disassembleToSource(img)).toBe('nop\n.byte 0xab\n.byte 0xcd');
    expect([...reassemble(img)]).toEqual([...img]);
  });
});

describe('decode', () => {
  it('accepts the canonical encoding of every OPS row', () => {
    for (const info of OPS) {
      const w = info.format === 'vec' ? encode(info.op, 1, 0, 0x40) : encode(info.op);
      expect(decode(w)?.info, info.mnemonic).toBe(info);
    }
  });

  const NON_CANONICAL: readonly (readonly [string, number])[] = [
    ['opcode 0x00', 0x00000000],
    ['an unused opcode', encode(0x08)],
    ['opcode 0xff', 0xff],
    ['nop with rd set', encode(OP.nop, 1)],
    ['halt with imm set', encode(OP.halt, 0, 0, 1)],
    ['push with rs set', encode(OP.push, 1, 2)],
    ['push with imm set', encode(OP.push, 1, 0, 4)],
    ['mov with imm set', encode(OP.mov, 1, 2, 1)],
    ['add with rt above 15', encode(OP.add, 1, 2, 0x13)],
    ['li with rs set', encode(OP.li, 1, 2, 5)],
    ['shli by 32', encode(OP.shli, 1, 1, 32)],
    ['sari by 0xffff', encode(OP.sari, 1, 1, 0xffff)],
    ['jmp with rd set', encode(OP.jmp, 1, 0, 8)],
    ['call with rs set', encode(OP.call, 0, 1, 8)],
    ['jmp to a misaligned target', encode(OP.jmp, 0, 0, 6)],
    ['beq to a misaligned target', encode(OP.beq, 1, 2, 2)],
    ['in from port 0x100', encode(OP.in, 1, 0, 0x100)],
    ['out with rs set', encode(OP.out, 1, 1, 1)],
    ['setvec of source 3', encode(OP.setvec, 3, 0, 0x40)],
  ];
  for (const [what, w] of NON_CANONICAL) {
    it(`rejects ${what}`, () => {
      expect(decode(w)).toBeNull();
      const [line] = disassemble(wordsToImage([w]));
      expect(line!.isInstruction).toBe(false);
      expect(line!.text).toBe(`.word 0x${(w >>> 0).toString(16).padStart(8, '0')}`);
    });
  }
});

describe('disassemble', () => {
  it('formats every format in canonical syntax', () => {
    const src = [
      'halt',
      'push sp',
      'mov r1, r2',
      'add r1, r2, r3',
      'li r4, 0xabcd',
      'addi r1, r2, -32768',
      'andi r1, r2, 0x00ff',
      'shli r1, r2, 31',
      'lw r1, [r2+8]',
      'sb r1, [sp-4]',
      'beq r1, r2, 0x0040',
      'jmp 0x0000',
      'in r5, RANDOM',
      'in r5, 0x99',
      'out CONSOLE, r6',
      'setvec IRQ_NIC, 0x0080',
    ];
    const r = assemble(src.join('\n'));
    if (!r.ok) throw new Error('does not assemble');
    expect(disassemble(r.image).map((l) => l.text)).toEqual(src);
  });

  it('names addresses with symbols and reports addresses and words', () => {
    const r = assemble('start: call f\nhalt\nf: ret\n.byte 1');
    if (!r.ok) throw new Error('does not assemble');
    const lines = disassemble(r.image, 0, r.image.length, r.symbols);
    expect(lines.map((l) => [l.addr, l.text, l.isInstruction])).toEqual([
      [0, 'call f', true],
      [4, 'halt', true],
      [8, 'ret', true],
      [12, '.byte 0x01', false],
    ]);
    expect(lines[0]!.word).toBe(encode(OP.call, 0, 0, 8));
    // A window of memory.
    expect(disassemble(r.image, 4, 4).map((l) => l.text)).toEqual(['halt']);
  });

  it('formatIns accepts a custom label function', () => {
    const d = decode(encode(OP.bne, 1, 15, 0x20))!;
    expect(formatIns(d, (a) => `L${a}`)).toBe('bne r1, sp, L32');
  });
});
