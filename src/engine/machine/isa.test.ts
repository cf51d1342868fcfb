// One test per row of OPS (generated from the table) and one per row of PORTS: each checks the
// instruction's semantics on interesting values through the assembler and the CPU.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from './assembler';
import {
  DISK_BLOCK_SIZE,
  IRQ,
  MEM_SIZE,
  OP,
  OPS,
  OP_BY_CODE,
  OP_BY_MNEMONIC,
  PORT,
  PORTS,
  PREDEFINED_SYMBOLS,
  SP,
  STACK_LIMIT,
  STACK_TOP,
  encode,
  immRange,
  registerName,
  type Mnemonic,
  type PortName,
} from './isa';
import { Machine } from './machine';
import { RecordingHost, runAsm, type AsmRun } from './testing';

/** Run a snippet to its halt with some registers preset. */
function exec(src: string, regs: Parameters<AsmRun['setRegs']>[0] = {}): AsmRun {
  return runAsm(src).setRegs(regs).run(10_000).expectExit('halted');
}

// ---------------------------------------------------------------- reference semantics (BigInt)

const S = (x: number): bigint => BigInt(x | 0);
const U = (x: number): bigint => BigInt(x >>> 0);
const wrap = (b: bigint): number => Number(BigInt.asIntN(32, b));
const sh = (b: number): bigint => BigInt(b & 31);

type RrrMnemonic = 'add' | 'sub' | 'mul' | 'divu' | 'remu' | 'and' | 'or' | 'xor' | 'shl' | 'shr' | 'sar' | 'slt' | 'sltu';

const RRR_REF: Record<RrrMnemonic, (a: number, b: number) => number> = {
  add: (a, b) => wrap(S(a) + S(b)),
  sub: (a, b) => wrap(S(a) - S(b)),
  mul: (a, b) => wrap(S(a) * S(b)),
  divu: (a, b) => wrap(U(a) / U(b)),
  remu: (a, b) => wrap(U(a) % U(b)),
  and: (a, b) => wrap(S(a) & S(b)),
  or: (a, b) => wrap(S(a) | S(b)),
  xor: (a, b) => wrap(S(a) ^ S(b)),
  shl: (a, b) => wrap(S(a) << sh(b)),
  shr: (a, b) => wrap(U(a) >> sh(b)),
  sar: (a, b) => wrap(S(a) >> sh(b)),
  slt: (a, b) => (S(a) < S(b) ? 1 : 0),
  sltu: (a, b) => (U(a) < U(b) ? 1 : 0),
};

/** Hand-checked [rs, rt, rd] rows: signed/unsigned edges, shifts by 31 and 32. */
const RRR_CASES: Record<RrrMnemonic, readonly (readonly [number, number, number])[]> = {
  add: [[2, 3, 5], [0x7fffffff, 1, 0x80000000], [-1, 1, 0], [0x80000000, 0x80000000, 0]],
  sub: [[5, 3, 2], [0, 1, 0xffffffff], [0x80000000, 1, 0x7fffffff], [3, 5, -2]],
  mul: [[6, 7, 42], [0x10000, 0x10000, 0], [-1, -1, 1], [0x7fffffff, 2, 0xfffffffe], [-3, 5, -15]],
  divu: [[7, 2, 3], [0xffffffff, 2, 0x7fffffff], [0x80000000, 0xffffffff, 0], [-1, -1, 1], [100, 7, 14]],
  remu: [[7, 2, 1], [0xffffffff, 10, 5], [-8, 3, 2], [5, 0xffffffff, 5]],
  and: [[0xff00ff00, 0x0ff00ff0, 0x0f000f00], [-1, 0x1234, 0x1234]],
  or: [[0xff00ff00, 0x0ff00ff0, 0xfff0fff0], [0, 0, 0]],
  xor: [[0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0], [-1, -1, 0]],
  shl: [[1, 31, 0x80000000], [1, 32, 1], [0xffffffff, 31, 0x80000000], [3, 4, 48], [5, 0, 5]],
  shr: [[0x80000000, 31, 1], [0x80000000, 32, 0x80000000], [0xffffffff, 4, 0x0fffffff], [-1, 31, 1]],
  sar: [[0x80000000, 31, 0xffffffff], [0x40000000, 31, 0], [0xffffff00, 4, 0xfffffff0], [-16, 33, -8]],
  slt: [[-1, 1, 1], [1, -1, 0], [5, 5, 0], [0x80000000, 0x7fffffff, 1], [0x7fffffff, 0x80000000, 0]],
  sltu: [[-1, 1, 0], [1, -1, 1], [5, 5, 0], [0x7fffffff, 0x80000000, 1], [0, 1, 1]],
};

function rrrTest(m: RrrMnemonic): void {
  for (const [a, b, want] of RRR_CASES[m]) {
    expect(RRR_REF[m](a, b) >>> 0, `reference ${m}(${a}, ${b})`).toBe(want >>> 0);
    exec(`${m} r3, r1, r2\nhalt`, { r1: a, r2: b, r3: 0x5a5a5a5a }).expectRegs({ r1: a, r2: b, r3: want });
  }
  // rd = r0 is discarded; rd may alias a source.
  const [a, b, want] = RRR_CASES[m][0]!;
  exec(`${m} r0, r1, r2\nhalt`, { r1: a, r2: b }).expectRegs({ r0: 0 });
  exec(`${m} r1, r1, r2\nhalt`, { r1: a, r2: b }).expectRegs({ r1: want });
  // Property: agrees with the BigInt reference on arbitrary 32-bit values.
  const r = assemble(`${m} r3, r1, r2\nhalt`);
  if (!r.ok) throw new Error('does not assemble');
  const machine = new Machine(new RecordingHost());
  fc.assert(
    fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -0x80000000, max: 0x7fffffff }), (x, y) => {
      if ((m === 'divu' || m === 'remu') && y === 0) return;
      machine.load(r.image);
      machine.regs[1] = x;
      machine.regs[2] = y;
      expect(machine.run(10)).toBe('halted');
      expect(machine.regs[3]).toBe(RRR_REF[m](x, y));
    }),
    { numRuns: 60 },
  );
}

type RriMnemonic = 'addi' | 'andi' | 'ori' | 'xori' | 'shli' | 'shri' | 'sari' | 'slti';
/** [rs, imm as written, rd] */
const RRI_CASES: Record<RriMnemonic, readonly (readonly [number, number, number])[]> = {
  addi: [[5, -7, -2], [0x7fffffff, 1, 0x80000000], [0, -32768, 0xffff8000], [0, 32767, 0x7fff], [-1, 1, 0]],
  andi: [[0xffffffff, 0xffff, 0x0000ffff], [0xffffffff, 0x8000, 0x8000], [0x12345678, 0xff, 0x78]],
  ori: [[0, 0x8000, 0x8000], [0xffff0000, 0xffff, 0xffffffff], [0x12340000, 0x5678, 0x12345678]],
  xori: [[0xffffffff, 0xffff, 0xffff0000], [0, 0x8000, 0x8000]],
  shli: [[1, 31, 0x80000000], [3, 0, 3], [0xffffffff, 16, 0xffff0000]],
  shri: [[0x80000000, 31, 1], [0xffffffff, 16, 0xffff], [7, 0, 7]],
  sari: [[0x80000000, 31, 0xffffffff], [0x7fffffff, 31, 0], [0xffff0000, 16, 0xffffffff]],
  slti: [[-1, 0, 1], [0, -1, 0], [-32769, -32768, 1], [5, 5, 0], [0x7fffffff, 32767, 0], [0x80000000, -32768, 1]],
};

function rriTest(m: RriMnemonic): void {
  for (const [a, imm, want] of RRI_CASES[m]) {
    exec(`${m} r3, r1, ${imm}\nhalt`, { r1: a, r3: 0x5a5a5a5a }).expectRegs({ r1: a, r3: want });
  }
  const [a, imm] = RRI_CASES[m][0]!;
  exec(`${m} r0, r1, ${imm}\nhalt`, { r1: a }).expectRegs({ r0: 0 });
  // The assembler enforces the immediate's range from the table.
  const [lo, hi] = immRange(OP_BY_MNEMONIC.get(m)!.imm!);
  expect(assemble(`${m} r1, r1, ${lo}`).ok).toBe(true);
  expect(assemble(`${m} r1, r1, ${hi}`).ok).toBe(true);
  expect(assemble(`${m} r1, r1, ${lo - 1}`).ok).toBe(false);
  expect(assemble(`${m} r1, r1, ${hi + 1}`).ok).toBe(false);
}

/** [rd, rs, taken] */
type BranchMnemonic = 'beq' | 'bne' | 'blt' | 'bge' | 'bltu' | 'bgeu';
const BRANCH_CASES: Record<BranchMnemonic, readonly (readonly [number, number, boolean])[]> = {
  beq: [[5, 5, true], [5, 6, false], [-1, 0xffffffff, true], [0, 0x80000000, false]],
  bne: [[5, 5, false], [5, 6, true], [-1, 0xffffffff, false]],
  blt: [[-1, 1, true], [1, -1, false], [5, 5, false], [0x80000000, 0x7fffffff, true]],
  bge: [[5, 5, true], [-1, 1, false], [1, -1, true], [0x7fffffff, 0x80000000, true]],
  bltu: [[-1, 1, false], [1, -1, true], [5, 5, false], [0, 0x80000000, true]],
  bgeu: [[-1, 1, true], [5, 5, true], [1, -1, false], [0x80000000, 0x7fffffff, true]],
};

function branchTest(m: BranchMnemonic): void {
  const src = `
    ${m} r1, r2, yes
    li r5, 1        ; fall through
    halt
  yes:
    li r5, 2
    halt
  `;
  for (const [a, b, taken] of BRANCH_CASES[m]) {
    const t = exec(src, { r1: a, r2: b });
    t.expectRegs({ r5: taken ? 2 : 1 }).expectIcount(3);
    t.expectPc(taken ? t.sym('yes') + 8 : 12);
  }
}

function mustAssemble(src: string): Uint8Array {
  const r = assemble(src);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.image;
}

const SEMANTICS: { readonly [M in Mnemonic]: () => void } = {
  nop: () => {
    const t = exec('nop\nnop\nhalt', { r1: 7, r14: -1 });
    t.expectRegs({ r0: 0, r1: 7, r14: -1, sp: STACK_TOP }).expectIcount(3).expectPc(12);
    expect(t.machine.ie).toBe(false);
    expect(t.host.events).toEqual([]);
  },
  halt: () => {
    const t = runAsm('nop\nhalt\nli r1, 1').run(100).expectExit('halted').expectIcount(2).expectPc(8).expectStatus('halted');
    t.run(100).expectExit('halted').expectIcount(2).expectRegs({ r1: 0 });
    expect(t.machine.stopped).toBe(true);
    expect(t.machine.inject({ kind: 'timer' })).toBe(false);
  },
  wfi: () => {
    const t = runAsm('di\nwfi\nhalt').run(100).expectExit('idle').expectIcount(2).expectPc(8).expectStatus('idle');
    expect(t.machine.ie).toBe(true); // wfi enables interrupts
    expect(t.machine.waiting).toBe(true);
  },
  ei: () => {
    const t = runAsm('ei\nhalt').step();
    expect(t.machine.ie).toBe(true);
    t.run().expectExit('halted');
  },
  di: () => {
    const t = runAsm('ei\ndi\nhalt').step();
    expect(t.machine.ie).toBe(true);
    t.step();
    expect(t.machine.ie).toBe(false);
  },
  iret: () => {
    // A hand-made interrupt frame: the return address on the stack.
    const t = exec('li r1, back\npush r1\niret\nli r2, 1\nback:\nli r3, 3\nhalt');
    t.expectRegs({ r2: 0, r3: 3, sp: STACK_TOP });
    expect(t.machine.ie).toBe(true);
  },
  ret: () => {
    const t = exec('li r1, back\npush r1\nret\nli r2, 1\nback:\nli r3, 3\nhalt');
    t.expectRegs({ r2: 0, r3: 3, sp: STACK_TOP });
    expect(t.machine.ie).toBe(false); // unlike iret
  },
  mov: () => {
    exec('mov r1, r2\nmov r0, r2\nmov r3, sp\nmov sp, r4\nhalt', { r2: 0x80000000, r4: 0xf100 }).expectRegs({
      r1: 0x80000000,
      r0: 0,
      r3: STACK_TOP,
      sp: 0xf100,
    });
  },
  li: () => {
    // Zero-extended, and it replaces the whole register.
    exec('li r1, 0xffff\nli r2, 0x8000\nli r3, 0\nli r0, 5\nhalt', { r1: -1, r2: -1, r3: -1 }).expectRegs({
      r1: 0x0000ffff,
      r2: 0x00008000,
      r3: 0,
      r0: 0,
    });
    expect(mustAssemble('li r1, 0xffff')[0]).toBe(OP.li);
  },
  lui: () => {
    exec('lui r1, 0x8000\nlui r2, 0xffff\nlui r3, 1\nlui r0, 1\nhalt', { r1: -1, r2: -1, r3: -1 }).expectRegs({
      r1: 0x80000000,
      r2: 0xffff0000,
      r3: 0x00010000,
      r0: 0,
    });
  },
  add: () => rrrTest('add'),
  sub: () => rrrTest('sub'),
  mul: () => rrrTest('mul'),
  divu: () => rrrTest('divu'),
  remu: () => rrrTest('remu'),
  and: () => rrrTest('and'),
  or: () => rrrTest('or'),
  xor: () => rrrTest('xor'),
  shl: () => rrrTest('shl'),
  shr: () => rrrTest('shr'),
  sar: () => rrrTest('sar'),
  slt: () => rrrTest('slt'),
  sltu: () => rrrTest('sltu'),
  addi: () => rriTest('addi'),
  andi: () => rriTest('andi'),
  ori: () => rriTest('ori'),
  xori: () => rriTest('xori'),
  shli: () => rriTest('shli'),
  shri: () => rriTest('shri'),
  sari: () => rriTest('sari'),
  slti: () => rriTest('slti'),
  lw: () => {
    const src = `
      li r1, d
      lw r2, [r1]
      lw r3, [r1+4]
      addi r4, r1, 8
      lw r5, [r4-4]
      lw r6, [d+8]
      lw r0, [r1]
      halt
    d: .word 0x80000001, 0x12345678, -2
    `;
    exec(src).expectRegs({ r2: 0x80000001, r3: 0x12345678, r5: 0x12345678, r6: 0xfffffffe, r0: 0 });
    // The last word of memory is reachable.
    runAsm('li r1, 0xfffc\nlw r2, [r1]\nhalt').setWord(0xfffc, 0xcafef00d).run().expectExit('halted').expectRegs({ r2: 0xcafef00d });
  },
  sw: () => {
    const t = exec('li r1, d\nsw r2, [r1+4]\nsw r2, [r1-4+4]\nli r3, 0xfffc\nsw r2, [r3]\nhalt\nd: .word 0, 0, 0', { r2: 0x11223344 });
    t.expectMem('d', [0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0]);
    t.expectWord(0xfffc, 0x11223344);
  },
  lb: () => {
    const src = 'li r1, d\nlb r2, [r1]\nlb r3, [r1+1]\nlb r4, [r1+2]\nlb r5, [d+3]\nli r6, 0xffff\nlb r7, [r6]\nhalt\nd: .byte 0x80, 0x7f, 0xff, 0';
    runAsm(src).setMem(0xffff, [0xfe]).run().expectExit('halted').expectRegs({ r2: -128, r3: 127, r4: -1, r5: 0, r7: -2 });
  },
  lbu: () => {
    exec('li r1, d\nlbu r2, [r1]\nlbu r3, [r1+1]\nlbu r4, [r1+2]\nhalt\nd: .byte 0x80, 0x7f, 0xff', { r2: -1 }).expectRegs({
      r2: 0x80,
      r3: 0x7f,
      r4: 0xff,
    });
  },
  sb: () => {
    const t = exec('li r1, d\nsb r2, [r1+1]\nli r3, 0xffff\nsb r2, [r3]\nhalt\n.align 4\nd: .byte 0xaa, 0xbb, 0xcc, 0xdd', { r2: 0x12345680 });
    t.expectMem('d', [0xaa, 0x80, 0xcc, 0xdd]).expectMem(0xffff, [0x80]);
  },
  beq: () => branchTest('beq'),
  bne: () => branchTest('bne'),
  blt: () => branchTest('blt'),
  bge: () => branchTest('bge'),
  bltu: () => branchTest('bltu'),
  bgeu: () => branchTest('bgeu'),
  jmp: () => {
    exec('jmp over\nli r1, 1\nover:\nli r2, 2\nhalt').expectRegs({ r1: 0, r2: 2 }).expectIcount(3);
  },
  call: () => {
    const t = runAsm('call f\nhalt\nf:\nli r1, 7\nret').step();
    t.expectPc('f').expectRegs({ sp: STACK_TOP - 4 }).expectWord(STACK_TOP - 4, 4);
    t.run().expectExit('halted').expectRegs({ r1: 7, sp: STACK_TOP }).expectPc(8);
  },
  jr: () => {
    exec('li r1, t\njr r1\nli r2, 1\nt:\nli r3, 3\nhalt').expectRegs({ r2: 0, r3: 3, sp: STACK_TOP }).expectIcount(4);
  },
  callr: () => {
    const t = runAsm('li r4, f\ncallr r4\nhalt\nf:\nli r1, 7\nret').step().step();
    t.expectPc('f').expectRegs({ sp: STACK_TOP - 4 }).expectWord(STACK_TOP - 4, 8);
    t.run().expectExit('halted').expectRegs({ r1: 7, sp: STACK_TOP }).expectPc(12);
  },
  push: () => {
    const t = exec('push r1\npush r0\npush sp\nhalt', { r1: 0xdeadbeef, r0: 0 });
    t.expectRegs({ sp: STACK_TOP - 12 }).expectWord(STACK_TOP - 4, 0xdeadbeef).expectWord(STACK_TOP - 8, 0);
    t.expectWord(STACK_TOP - 12, STACK_TOP - 8); // sp before this push
    // The lowest slot is STACK_LIMIT itself.
    exec('push r1\nhalt', { sp: STACK_LIMIT + 4, r1: 9 }).expectRegs({ sp: STACK_LIMIT }).expectWord(STACK_LIMIT, 9);
  },
  pop: () => {
    exec('push r1\npush r2\npop r3\npop r4\nhalt', { r1: 0xdeadbeef, r2: -5 }).expectRegs({ r3: -5, r4: 0xdeadbeef, sp: STACK_TOP });
    exec('push r1\npop r0\nhalt', { r1: 5 }).expectRegs({ r0: 0, sp: STACK_TOP });
    // `pop sp` loads sp from the stack.
    exec('push r1\npop sp\nhalt', { r1: 0xf800 }).expectRegs({ sp: 0xf800 });
  },
  in: () => {
    const t = exec('nop\nin r1, CLOCK\nin r2, RANDOM\nin r0, RANDOM\nin r3, NIC_RX_LEN\nin r4, DISK_STATUS\nhalt', { r3: -1, r4: -1 });
    t.expectRegs({ r1: PORT.CLOCK * 0x1000, r2: PORT.RANDOM * 0x1000 + 1, r0: 0, r3: 0, r4: 0 });
    // Only the non-deterministic ports reach the host, with the boundary they happen at.
    expect(t.host.events).toEqual([
      { kind: 'nondet', port: PORT.CLOCK, value: PORT.CLOCK * 0x1000, pc: 4, icount: 1 },
      { kind: 'nondet', port: PORT.RANDOM, value: PORT.RANDOM * 0x1000 + 1, pc: 8, icount: 2 },
      { kind: 'nondet', port: PORT.RANDOM, value: PORT.RANDOM * 0x1000 + 2, pc: 12, icount: 3 },
    ]);
  },
  out: () => {
    const t = exec('out CONSOLE, r1\nout CONSOLE, r0\nhalt', { r1: 0x141 });
    expect(t.host.events).toEqual([
      { kind: 'console', byte: 0x41, pc: 0, icount: 0 },
      { kind: 'console', byte: 0, pc: 4, icount: 1 },
    ]);
  },
  setvec: () => {
    const t = exec('setvec IRQ_TIMER, h0\nsetvec IRQ_NIC, h1\nsetvec IRQ_DISK, h2\nsetvec IRQ_NIC, 0\nhalt\nh0: iret\nh1: iret\nh2: iret');
    expect([...t.machine.vectors]).toEqual([t.sym('h0'), 0, t.sym('h2')]);
    expect(t.machine.pending).toBe(0);
  },
};

describe('ISA: one test per OPS row', () => {
  it('the table is consistent: unique opcodes and mnemonics, lookups agree', () => {
    expect(new Set(OPS.map((o) => o.op)).size).toBe(OPS.length);
    expect(new Set(OPS.map((o) => o.mnemonic)).size).toBe(OPS.length);
    for (const o of OPS) {
      expect(OP_BY_CODE.get(o.op)).toBe(o);
      expect(OP_BY_MNEMONIC.get(o.mnemonic)).toBe(o);
      expect(OP[o.mnemonic]).toBe(o.op);
      expect(o.op).toBeGreaterThan(0); // 0x00 must stay invalid: zeroed memory faults
      expect(o.op).toBeLessThan(0x100);
    }
    expect(Object.keys(SEMANTICS).sort()).toEqual(OPS.map((o) => o.mnemonic).sort());
  });

  for (const info of OPS) {
    it(`${info.mnemonic} (0x${info.op.toString(16).padStart(2, '0')}): ${info.doc}`, () => {
      SEMANTICS[info.mnemonic]();
    });
  }
});

// ---------------------------------------------------------------- ports

/** What the guest does with the port and what the host and device state show. */
const PORT_SEMANTICS: { readonly [N in PortName]: () => void } = {
  CONSOLE: () => {
    const t = exec('li r1, 0x48\nout CONSOLE, r1\nli r1, 0x169\nout CONSOLE, r1\nhalt');
    t.expectConsole('Hi');
  },
  TIMER_PERIOD: () => {
    const t = exec('li r1, 10\nout TIMER_PERIOD, r1\nout TIMER_PERIOD, r0\nhalt');
    expect(t.host.timerSettings).toEqual([10, 0]);
    expect(t.host.events[0]).toMatchObject({ kind: 'timer', pc: 4, icount: 1 });
    expect(t.machine.dev.timerPeriod).toBe(0);
  },
  NIC_RX_ADDR: () => {
    const t = exec('li r1, 0x8000\nout NIC_RX_ADDR, r1\nhalt');
    expect(t.machine.dev.nicRxAddr).toBe(0x8000);
    expect(t.machine.dev.nicRxArmed).toBe(false);
    expect(t.host.events).toEqual([]);
  },
  NIC_RX_CAP: () => {
    const t = runAsm('li r1, 0x8000\nout NIC_RX_ADDR, r1\nli r1, 16\nout NIC_RX_CAP, r1\nhalt');
    t.run(3);
    expect(t.machine.canAccept('packet')).toBe(false);
    t.run().expectExit('halted');
    expect(t.machine.dev).toMatchObject({ nicRxCap: 16, nicRxArmed: true });
    expect(t.host.events).toEqual([]);
  },
  NIC_RX_LEN: () => {
    const t = runAsm('li r1, 0x8000\nout NIC_RX_ADDR, r1\nli r1, 16\nout NIC_RX_CAP, r1\nwait: jmp wait\nin r2, NIC_RX_LEN\nhalt');
    t.run(10);
    t.inject({ kind: 'packet', frame: new Uint8Array([1, 2, 3, 4, 5]) });
    t.machine.pc = t.sym('wait') + 4;
    t.run().expectExit('halted').expectRegs({ r2: 5 }).expectMem(0x8000, [1, 2, 3, 4, 5, 0]);
  },
  NIC_TX_ADDR: () => {
    const t = exec('li r1, 0x9000\nout NIC_TX_ADDR, r1\nhalt');
    expect(t.machine.dev.nicTxAddr).toBe(0x9000);
    expect(t.host.events).toEqual([]);
  },
  NIC_TX_SEND: () => {
    const t = runAsm('li r1, frame\nout NIC_TX_ADDR, r1\nli r2, 3\nout NIC_TX_SEND, r2\nsb r0, [r1]\nout NIC_TX_SEND, r0\nhalt\nframe: .byte 7, 8, 9, 10');
    t.run().expectExit('halted');
    // The host gets a copy: the guest overwriting the buffer afterwards does not change it.
    expect(t.host.sent.map((f) => [...f])).toEqual([[7, 8, 9], []]);
    expect(t.host.events[0]).toMatchObject({ kind: 'send', pc: 12, icount: 3 });
  },
  DISK_ADDR: () => {
    const t = exec('li r1, 0x8000\nout DISK_ADDR, r1\nhalt');
    expect(t.machine.dev.diskAddr).toBe(0x8000);
    expect(t.host.events).toEqual([]);
  },
  DISK_BLOCK: () => {
    const t = exec('li r1, 1023\nout DISK_BLOCK, r1\nhalt');
    expect(t.machine.dev.diskBlock).toBe(1023);
    expect(t.host.events).toEqual([]);
  },
  DISK_CMD: () => {
    const src = `
      li r1, buf
      out DISK_ADDR, r1
      li r1, 5
      out DISK_BLOCK, r1
      li r1, DISK_WRITE
      out DISK_CMD, r1
      sb r0, [buf]       ; too late: the request carries a copy
      halt
      .align 4
    buf: .byte 1, 2, 3
    `;
    const t = exec(src);
    const [req] = t.host.diskRequests;
    expect(req).toMatchObject({ op: 'write', block: 5, addr: t.sym('buf') });
    expect(req!.data!.length).toBe(DISK_BLOCK_SIZE);
    expect([...req!.data!.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(t.machine.dev.diskPending).toMatchObject({ op: 'write', block: 5, addr: t.sym('buf') });
    expect([...t.machine.dev.diskPending!.data!.subarray(0, 4)]).toEqual([1, 2, 3, 0]); // the bounce buffer
    const r = exec('li r1, 0x8000\nout DISK_ADDR, r1\nli r1, 2\nout DISK_BLOCK, r1\nli r1, DISK_READ\nout DISK_CMD, r1\nhalt');
    expect(r.host.diskRequests).toEqual([{ op: 'read', block: 2, addr: 0x8000 }]);
  },
  DISK_STATUS: () => {
    const t = runAsm('in r1, DISK_STATUS\nli r2, DISK_READ\nout DISK_CMD, r2\nin r3, DISK_STATUS\nwait: jmp wait\nin r4, DISK_STATUS\nhalt');
    t.run(10);
    t.inject({ kind: 'disk', ok: false });
    t.machine.pc = t.sym('wait') + 4;
    t.run().expectExit('halted').expectRegs({ r1: 0, r3: 1, r4: 2 });
  },
  CLOCK: () => {
    const t = runAsm('in r1, CLOCK\nhalt');
    t.host.nondet = (port) => (port === PORT.CLOCK ? 1_700_000_123 : -1);
    t.run().expectExit('halted').expectRegs({ r1: 1_700_000_123 });
    expect(t.host.nondetReads).toEqual([{ port: PORT.CLOCK, value: 1_700_000_123 }]);
  },
  RANDOM: () => {
    const t = runAsm('in r1, RANDOM\nin r2, RANDOM\nhalt');
    const values = [0xfedcba98, 7];
    t.host.nondet = (_port, i) => values[i]!;
    t.run().expectExit('halted').expectRegs({ r1: 0xfedcba98, r2: 7 });
    expect(t.host.nondetReads.map((r) => r.port)).toEqual([PORT.RANDOM, PORT.RANDOM]);
  },
};

describe('ports: one test per PORTS row', () => {
  it('the table is consistent and every port is predefined for the assembler', () => {
    expect(new Set(PORTS.map((p) => p.port)).size).toBe(PORTS.length);
    for (const p of PORTS) expect(PREDEFINED_SYMBOLS.get(p.name)).toBe(p.port);
    expect(Object.keys(PORT_SEMANTICS).sort()).toEqual(PORTS.map((p) => p.name).sort());
  });

  for (const p of PORTS) {
    it(`${p.name} (0x${p.port.toString(16)}, ${p.dir}, ${p.door})`, () => {
      PORT_SEMANTICS[p.name]();
      // The other direction is not a port.
      const wrong = p.dir === 'in' ? `out ${p.name}, r1` : `in r1, ${p.name}`;
      runAsm(wrong).run().expectExit('faulted').expectFault(`no ${p.dir === 'in' ? 'output' : 'input'} port`, { pc: 0, icount: 0 });
    });
  }
});

describe('isa helpers', () => {
  it('encode packs fields as imm16<<16 | rs<<12 | rd<<8 | op and masks each field', () => {
    expect(encode(0x20, 1, 2, -1) >>> 0).toBe(0xffff2120);
    expect(encode(0x13, 15, 15, 15) >>> 0).toBe(0x000fff13);
    expect(encode(0x1ff, 16, 17, 0x12345) >>> 0).toBe(0x23451000 | 0xff);
  });
  it('registerName calls r15 sp', () => {
    expect(registerName(SP)).toBe('sp');
    expect(registerName(3)).toBe('r3');
  });
  it('constants are consistent', () => {
    expect(STACK_TOP).toBe(MEM_SIZE);
    expect(STACK_LIMIT % 4).toBe(0);
    expect(IRQ.TIMER < IRQ.NIC && IRQ.NIC < IRQ.DISK).toBe(true);
  });
});
