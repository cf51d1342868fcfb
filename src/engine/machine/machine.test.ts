// The CPU beyond single instructions: faults, interrupts and devices, determinism and snapshots.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from './assembler';
import { DISK_BLOCK_SIZE, IRQ, MEM_SIZE, OP, OPS, STACK_LIMIT, STACK_TOP, encode } from './isa';
import { Machine, type MachineInput, type MachineSnapshot } from './machine';
import { RecordingHost, runAsm, type AsmRun } from './testing';

function image(src: string): Uint8Array {
  const r = assemble(src);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.image;
}

// ---------------------------------------------------------------- faults

interface FaultCase {
  readonly name: string;
  readonly src: string;
  readonly regs?: Parameters<AsmRun['setRegs']>[0];
  readonly mem?: readonly [number, readonly number[]];
  readonly reason: string;
  /** Label (or address) of the faulting instruction, and instructions retired before it. */
  readonly pc: string | number;
  readonly icount: number;
}

const word = (w: number): string => `.word 0x${(w >>> 0).toString(16)}`;

const FAULTS: readonly FaultCase[] = [
  { name: 'opcode 0x00: running into zeroed memory', src: 'nop\nnop', reason: 'invalid opcode 0x00', pc: 8, icount: 2 },
  { name: 'opcode 0xff', src: `nop\nbad: ${word(0xff)}`, reason: 'invalid opcode 0xff', pc: 'bad', icount: 1 },
  { name: 'opcode 0x08 (a gap in the table)', src: `bad: ${word(0x08)}`, reason: 'invalid opcode 0x08', pc: 'bad', icount: 0 },
  { name: 'lw past the end of memory', src: 'li32 r1, 0x10000\nbad: lw r2, [r1]', reason: 'lw address 0x10000 is outside memory', pc: 'bad', icount: 2 },
  { name: 'lw at a negative address', src: 'bad: lw r2, [r0-4]', reason: 'lw address 0xfffffffc is outside memory', pc: 'bad', icount: 0 },
  { name: 'lw at a huge address (int32 overflow of rs+imm)', src: 'li32 r1, 0x7fffffff\nbad: lw r2, [r1+1]', reason: 'outside memory', pc: 'bad', icount: 2 },
  { name: 'lw misaligned', src: 'li r1, 2\nbad: lw r2, [r1]', reason: 'lw address 0x2 is not 4-aligned', pc: 'bad', icount: 1 },
  { name: 'sw past the end of memory', src: 'li r1, 0xfffc\nbad: sw r2, [r1+4]', reason: 'sw address 0x10000 is outside memory', pc: 'bad', icount: 1 },
  { name: 'sw misaligned', src: 'li r1, 0x8001\nbad: sw r2, [r1]', reason: 'sw address 0x8001 is not 4-aligned', pc: 'bad', icount: 1 },
  { name: 'lb past the end (0xffff is fine)', src: 'li r1, 0xffff\nlb r2, [r1]\nbad: lb r3, [r1+1]', reason: 'lb address 0x10000 is outside memory', pc: 'bad', icount: 2 },
  { name: 'lbu at a negative address', src: 'bad: lbu r3, [r0-1]', reason: 'lbu address 0xffffffff is outside memory', pc: 'bad', icount: 0 },
  { name: 'sb past the end', src: 'li r1, 0xffff\nbad: sb r3, [r1+1]', reason: 'sb address 0x10000 is outside memory', pc: 'bad', icount: 1 },
  { name: 'push below STACK_LIMIT', src: 'li sp, STACK_LIMIT + 4\npush r1\nbad: push r1', reason: 'stack overflow in push', pc: 'bad', icount: 2 },
  { name: 'unbounded recursion overflows in call', src: 'bad: call bad', reason: 'stack overflow in call', pc: 'bad', icount: (STACK_TOP - STACK_LIMIT) / 4 },
  { name: 'callr below STACK_LIMIT', src: 'li sp, STACK_LIMIT\nbad: callr r1', reason: 'stack overflow in callr', pc: 'bad', icount: 1 },
  { name: 'pop on an empty stack', src: 'bad: pop r1', reason: 'stack underflow in pop', pc: 'bad', icount: 0 },
  { name: 'ret on an empty stack', src: 'push r1\npop r1\nbad: ret', reason: 'stack underflow in ret', pc: 'bad', icount: 2 },
  { name: 'iret on an empty stack', src: 'bad: iret', reason: 'stack underflow in iret', pc: 'bad', icount: 0 },
  { name: 'pop with sp below the stack', src: 'li sp, 0x1000\nbad: pop r1', reason: 'stack underflow in pop', pc: 'bad', icount: 1 },
  { name: 'divu by zero', src: 'li r1, 5\nbad: divu r2, r1, r0', reason: 'division by zero', pc: 'bad', icount: 1 },
  { name: 'remu by zero', src: 'li r1, 5\nbad: remu r2, r1, r3', reason: 'division by zero', pc: 'bad', icount: 1 },
  { name: 'in from a port that does not exist', src: 'nop\nbad: in r1, 0x99', reason: 'no input port 0x99', pc: 'bad', icount: 1 },
  { name: 'out to a port that does not exist', src: 'bad: out 0x99, r1', reason: 'no output port 0x99', pc: 'bad', icount: 0 },
  { name: 'in from an output port', src: 'bad: in r1, CONSOLE', reason: 'no input port 0x1', pc: 'bad', icount: 0 },
  { name: 'out to an input port', src: 'bad: out CLOCK, r1', reason: 'no output port 0x40', pc: 'bad', icount: 0 },
  { name: 'setvec of a source that does not exist', src: `bad: ${word(encode(OP.setvec, 3, 0, 0x40))}`, reason: 'no interrupt source 3', pc: 'bad', icount: 0 },
  { name: 'jr to a misaligned pc', src: 'li r1, 6\njr r1', reason: 'pc 0x6 is not a valid instruction address', pc: 6, icount: 2 },
  { name: 'jr outside memory', src: 'li32 r1, 0x10000\njr r1', reason: 'pc 0x10000 is not a valid instruction address', pc: 0x10000, icount: 3 },
  { name: 'jr to a negative pc', src: 'li r1, -4\njr r1', reason: 'pc 0xfffffffc is not a valid instruction address', pc: 0xfffffffc, icount: 2 },
  {
    name: 'running off the end of memory',
    src: 'li r1, 0xfffc\njr r1',
    mem: [0xfffc, [OP.nop, 0, 0, 0]],
    reason: 'pc 0x10000 is not a valid instruction address',
    pc: 0x10000,
    icount: 3,
  },
  { name: 'ret to a misaligned address', src: 'li r1, 2\npush r1\nret', reason: 'pc 0x2 is not a valid instruction address', pc: 2, icount: 3 },
  { name: 'bad disk command', src: 'li r1, 3\nbad: out DISK_CMD, r1', reason: 'bad disk command 3', pc: 'bad', icount: 1 },
  {
    name: 'disk buffer past the end of memory',
    src: 'li r1, 0xffc1\nout DISK_ADDR, r1\nli r1, DISK_READ\nbad: out DISK_CMD, r1',
    reason: 'disk buffer out of memory',
    pc: 'bad',
    icount: 3,
  },
  { name: 'receive buffer of size 0', src: 'bad: out NIC_RX_CAP, r0', reason: 'receive buffer out of memory', pc: 'bad', icount: 0 },
  {
    name: 'receive buffer past the end of memory',
    src: 'li r1, 0xfff0\nout NIC_RX_ADDR, r1\nli r1, 17\nbad: out NIC_RX_CAP, r1',
    reason: 'receive buffer out of memory',
    pc: 'bad',
    icount: 3,
  },
  {
    name: 'moving an armed receive buffer past the end of memory',
    src: 'li r1, 0x100\nout NIC_RX_ADDR, r1\nli r1, 0x100\nout NIC_RX_CAP, r1\nli r1, 0xff80\nbad: out NIC_RX_ADDR, r1',
    reason: 'receive buffer out of memory',
    pc: 'bad',
    icount: 5,
  },
  {
    name: 'transmit frame past the end of memory',
    src: 'li r1, 0xfff0\nout NIC_TX_ADDR, r1\nli r1, 17\nbad: out NIC_TX_SEND, r1',
    reason: 'transmit frame out of memory',
    pc: 'bad',
    icount: 3,
  },
  { name: 'transmit frame of negative size', src: 'li r1, -1\nbad: out NIC_TX_SEND, r1', reason: 'transmit frame out of memory', pc: 'bad', icount: 1 },
];

describe('faults halt the machine with {pc, icount, reason} and never throw', () => {
  for (const c of FAULTS) {
    it(c.name, () => {
      const t = runAsm(c.src);
      if (c.regs) t.setRegs(c.regs);
      if (c.mem) t.setMem(c.mem[0], c.mem[1]);
      const pc = typeof c.pc === 'string' ? t.sym(c.pc) : c.pc;
      t.run(100_000).expectExit('faulted').expectStatus('faulted');
      const f = t.expectFault(c.reason, { pc, icount: c.icount });
      expect(f).toEqual({ pc, icount: c.icount, reason: expect.any(String) });
      expect(t.machine.pc >>> 0).toBe(pc);
      // A faulted machine stays faulted and does not advance.
      const hash = t.machine.stateHash();
      const events = t.host.events.length;
      for (let i = 0; i < 3; i++) {
        t.run(1000).expectExit('faulted').expectIcount(c.icount);
        t.step().expectExit('faulted').expectIcount(c.icount);
      }
      expect(t.machine.fault).toBe(f);
      expect(t.machine.stopped).toBe(true);
      expect(t.machine.inject({ kind: 'timer' })).toBe(false);
      expect(t.machine.canAccept('timer')).toBe(false);
      expect(t.machine.stateHash()).toBe(hash);
      expect(t.host.events.length).toBe(events);
    });
  }

  it('a fault does not retire the faulting instruction or touch its destination', () => {
    const t = runAsm('li r2, 9\nli r1, 2\nlw r2, [r1]').run().expectExit('faulted');
    t.expectRegs({ r2: 9 }).expectIcount(2);
  });

  it('a stack overflow in push leaves sp and memory below the limit untouched', () => {
    const t = runAsm('li sp, STACK_LIMIT\npush r1').setRegs({ r1: 0x1234 }).run().expectExit('faulted');
    t.expectRegs({ sp: STACK_LIMIT }).expectWord(STACK_LIMIT - 4, 0);
  });

  it('fuzz: random instruction streams, registers and inputs never throw', () => {
    const opcodes = [...OPS.map((o) => o.op), 0x00, 0x08, 0xff];
    const insn = fc
      .tuple(fc.constantFrom(...opcodes), fc.nat(15), fc.nat(15), fc.oneof(fc.nat(0xffff), fc.constantFrom(0, 4, 8, 0xfffc, 0x20, 0x21, 0x24, 0x32, 0x40)))
      .map(([op, rd, rs, imm]) => encode(op, rd, rs, imm));
    const input: fc.Arbitrary<MachineInput> = fc.oneof(
      fc.constant({ kind: 'timer' } as const),
      fc.uint8Array({ maxLength: 80 }).map((frame) => ({ kind: 'packet', frame }) as const),
      fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 80 })).map(([ok, data]) => ({ kind: 'disk', ok, data }) as const),
    );
    const host = new RecordingHost();
    const m = new Machine(host);
    host.machine = m;
    fc.assert(
      fc.property(
        fc.array(insn, { minLength: 1, maxLength: 64 }),
        fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { minLength: 15, maxLength: 15 }),
        fc.array(fc.tuple(fc.nat(50), input), { maxLength: 6 }),
        (words, regs, inputs) => {
          host.events.length = 0;
          m.load(new Uint8Array(new Uint32Array(words).buffer));
          regs.forEach((v, i) => (m.regs[i + 1] = i + 1 === 15 ? STACK_TOP - ((v >>> 0) % 64) * 4 : v));
          m.vectors.set([4, 8, 12]);
          for (const [gap, inp] of inputs) {
            const exit = m.run(m.icount + gap);
            expect(['budget', 'idle', 'halted', 'faulted']).toContain(exit);
            m.inject(inp);
          }
          const before = m.icount;
          const exit = m.run(m.icount + 2000);
          expect(m.icount).toBeGreaterThanOrEqual(before);
          if (exit === 'faulted') {
            expect(m.fault).not.toBeNull();
            expect(m.fault!.icount).toBe(m.icount);
            expect(m.run(m.icount + 10)).toBe('faulted');
          }
          expect(m.regs[0]).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------- interrupts

describe('interrupts', () => {
  const TICKER = `
      setvec IRQ_TIMER, tick
      ei
  loop:
      addi r1, r1, 1
      jmp loop
  tick:
      addi r10, r10, 1
      iret
  `;

  it('an enabled interrupt is delivered at the next boundary: push pc, disable, jump to the vector', () => {
    const t = runAsm(TICKER).run(5);
    const pc = t.machine.pc;
    t.inject({ kind: 'timer' });
    expect(t.machine.pending).toBe(1 << IRQ.TIMER);
    t.step(); // delivery + the handler's first instruction
    t.expectPc(t.sym('tick') + 4).expectRegs({ r10: 1, sp: STACK_TOP - 4 }).expectWord(STACK_TOP - 4, pc).expectIcount(6);
    expect(t.machine.ie).toBe(false);
    expect(t.machine.pending).toBe(0);
    t.step(); // iret
    t.expectPc(pc).expectRegs({ sp: STACK_TOP });
    expect(t.machine.ie).toBe(true); // iret re-enables
  });

  it('di holds an interrupt pending; ei lets it in', () => {
    const t = runAsm('ei\ndi\nsetvec IRQ_TIMER, tick\nli r1, 0\nspin: addi r1, r1, 1\nli r2, 20\nbne r1, r2, spin\nei\nnop\nhalt\ntick: mov r5, r1\niret');
    t.run(3).inject({ kind: 'timer' }).run(100_000).expectExit('halted');
    t.expectRegs({ r5: 20 }); // delivered only after ei, when r1 had reached 20
  });

  it('a pending interrupt without a vector stays pending until one is set', () => {
    const src = `
        li r1, 0x8000
        out NIC_RX_ADDR, r1
        li r1, 4
        out NIC_RX_CAP, r1
        ei
        li r1, 0
    spin:
        addi r1, r1, 1
        li r2, 10
        bne r1, r2, spin
        setvec IRQ_NIC, h
        nop
        halt
    h:  mov r5, r1
        li r6, 1
        iret
    `;
    const t = runAsm(src).run(5);
    t.inject({ kind: 'packet', frame: new Uint8Array([1]) });
    t.run(20);
    expect(t.machine.pending).toBe(1 << IRQ.NIC);
    t.run().expectExit('halted').expectRegs({ r5: 10, r6: 1 });
    expect(t.machine.pending).toBe(0);
  });

  it('wfi with a pending interrupt that has no vector idles', () => {
    const t = runAsm('wfi\nhalt').inject({ kind: 'timer' }).run().expectExit('idle').expectStatus('idle').expectIcount(1);
    expect(t.machine.pending).toBe(1);
  });

  it('priority: timer over NIC over disk', () => {
    const src = `
        setvec IRQ_TIMER, t
        setvec IRQ_NIC, n
        setvec IRQ_DISK, d
        li r13, log
        li r1, 0x8000
        out NIC_RX_ADDR, r1
        li r1, 16
        out NIC_RX_CAP, r1
        li r1, DISK_READ
        out DISK_CMD, r1
    ready:
        ei
        nop
        nop
        nop
        halt
    t:  li r2, 'T'
        jmp record
    n:  li r2, 'N'
        jmp record
    d:  li r2, 'D'
    record:
        sb r2, [r13]
        addi r13, r13, 1
        iret
        .align 4
    log: .space 4
    `;
    const t = runAsm(src);
    t.run(t.sym('ready') / 4);
    t.inject({ kind: 'disk', ok: true });
    t.inject({ kind: 'packet', frame: new Uint8Array([9]) });
    t.inject({ kind: 'timer' });
    expect(t.machine.pending).toBe(0b111);
    t.run().expectExit('halted').expectMem('log', 'TND\0');
  });

  it('an interrupt handler is not interrupted until iret', () => {
    const src = `
        setvec IRQ_TIMER, t
        setvec IRQ_DISK, d
        ei
    spin: jmp spin
    d:  li r2, 1
        nop
        nop
        li r3, 1
        iret
    t:  sub r4, r3, r2      ; 0 if the disk handler completed
        halt
    `;
    const t = runAsm(src);
    t.machine.dev.diskPending = { op: 'write', block: 0, addr: 0 };
    t.run(4).inject({ kind: 'disk', ok: true }).step().step(); // into the disk handler
    t.inject({ kind: 'timer' }).run().expectExit('halted').expectRegs({ r2: 1, r3: 1, r4: 0 });
  });

  it('wfi idles without retiring instructions and wakes on inject', () => {
    const src = `
        setvec IRQ_TIMER, tick
        wfi
        li r5, 1
        halt
    tick:
        li r6, 1
        iret
    `;
    const t = runAsm(src).run().expectExit('idle').expectIcount(2).expectStatus('idle');
    const hash = t.machine.stateHash();
    for (let i = 0; i < 5; i++) t.run(1000).expectExit('idle').expectIcount(2);
    t.step().expectExit('idle').expectIcount(2);
    expect(t.machine.stateHash()).toBe(hash);
    t.inject({ kind: 'timer' }).expectStatus('running');
    t.run().expectExit('halted').expectRegs({ r5: 1, r6: 1 });
    // wfi (1) + setvec (1) + handler (2) + li, halt (2)
    t.expectIcount(6);
  });

  it('the race-free idle loop (di … wfi) never loses a wakeup; ei … wfi does', () => {
    const loop = (enable: string): string => `
        setvec IRQ_TIMER, tick
    idle:
        ${enable}
        lw r1, [flag]
    check:
        bnez r1, got
        wfi
        jmp idle
    got:
        li r2, 1
        halt
    tick:
        li r3, 1
        sw r3, [flag]
        iret
        .align 4
    flag: .word 0
    `;
    // The input arrives just after the flag was read as 0 and before wfi.
    const good = runAsm(loop('di'));
    good.run(good.sym('check') / 4).expectPc('check').inject({ kind: 'timer' });
    good.run(1000).expectExit('halted').expectRegs({ r2: 1 });

    const racy = runAsm(loop('ei'));
    racy.run(racy.sym('check') / 4).expectPc('check').inject({ kind: 'timer' });
    racy.run(1000).expectExit('idle').expectRegs({ r2: 0 }).expectWord('flag', 1); // lost wakeup
  });

  it('packet DMA into the armed buffer: truncated to capacity, disarms, sets NIC_RX_LEN', () => {
    const src = `
        setvec IRQ_NIC, rx
        li r1, buf
        out NIC_RX_ADDR, r1
        li r1, 8
    arm:
        out NIC_RX_CAP, r1
        ei
    spin: jmp spin
    rx: in r5, NIC_RX_LEN
        halt
        .align 4
    buf: .space 12, 0xee
    `;
    const t = runAsm(src);
    expect(t.machine.canAccept('packet')).toBe(false);
    expect(t.machine.inject({ kind: 'packet', frame: new Uint8Array([1]) })).toBe(false);
    t.run(t.sym('arm') / 4);
    expect(t.machine.canAccept('packet')).toBe(false); // address set, not armed yet
    t.step();
    expect(t.machine.canAccept('packet')).toBe(true);
    const frame = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
    expect(t.machine.inject({ kind: 'packet', frame })).toBe(true);
    expect(t.machine.canAccept('packet')).toBe(false);
    expect(t.machine.inject({ kind: 'packet', frame })).toBe(false);
    t.expectMem('buf', [1, 2, 3, 4, 5, 6, 7, 8, 0xee, 0xee, 0xee, 0xee]);
    t.run().expectExit('halted').expectRegs({ r5: 8 });
    // A shorter frame sets the length it had.
    const u = runAsm(src).run(100);
    u.inject({ kind: 'packet', frame: new Uint8Array([7, 7, 7]) }).run().expectRegs({ r5: 3 }).expectMem('buf', [7, 7, 7, 0xee]);
  });

  it('disk read: memory changes only at completion; data is truncated to one block', () => {
    const src = `
        setvec IRQ_DISK, done
        li r1, buf
        out DISK_ADDR, r1
        li r1, 7
        out DISK_BLOCK, r1
        li r1, DISK_READ
        out DISK_CMD, r1
        ei
    spin: jmp spin
    done:
        in r5, DISK_STATUS
        halt
        .align 4
    buf: .space DISK_BLOCK_SIZE + 4, 0xee
    `;
    const t = runAsm(src);
    expect(t.machine.canAccept('disk')).toBe(false);
    t.run(50);
    expect(t.host.diskRequests).toEqual([{ op: 'read', block: 7, addr: t.sym('buf') }]);
    expect(t.machine.dev.diskStatus).toBe(1);
    t.expectMem('buf', [0xee, 0xee]);
    expect(t.machine.canAccept('disk')).toBe(true);
    const data = Uint8Array.from({ length: DISK_BLOCK_SIZE + 4 }, (_, i) => i);
    t.inject({ kind: 'disk', ok: true, data });
    expect(t.machine.canAccept('disk')).toBe(false);
    t.expectMem(t.sym('buf'), data.subarray(0, DISK_BLOCK_SIZE)).expectMem(t.sym('buf') + DISK_BLOCK_SIZE, [0xee, 0xee, 0xee, 0xee]);
    t.run().expectExit('halted').expectRegs({ r5: 0 });
    // A failed read sets the error status and does not touch memory.
    const f = runAsm(src).run(50);
    f.inject({ kind: 'disk', ok: false, data }).run().expectRegs({ r5: 2 }).expectMem('buf', [0xee, 0xee]);
  });

  it('a disk command while busy is ignored', () => {
    const src = `
        li r1, 0x8000
        out DISK_ADDR, r1
        li r1, 7
        out DISK_BLOCK, r1
        li r1, DISK_READ
        out DISK_CMD, r1
        li r1, 9
        out DISK_BLOCK, r1
        li r1, DISK_WRITE
        out DISK_CMD, r1
        li r1, 5            ; even a bad command: ignored while busy
        out DISK_CMD, r1
        halt
    `;
    const t = runAsm(src).run().expectExit('halted');
    expect(t.host.diskRequests).toEqual([{ op: 'read', block: 7, addr: 0x8000 }]);
    expect(t.machine.dev.diskPending).toEqual({ op: 'read', block: 7, addr: 0x8000 });
    expect(t.machine.dev.diskStatus).toBe(1);
  });

  it('stack overflow on interrupt entry faults at the interrupted boundary', () => {
    const t = runAsm('setvec IRQ_TIMER, h\nli sp, STACK_LIMIT\nei\nspin: jmp spin\nh: iret').run(10);
    const { pc, icount } = t.machine;
    t.inject({ kind: 'timer' }).run().expectExit('faulted');
    t.expectFault('stack overflow on interrupt entry', { pc, icount });
    t.expectRegs({ sp: STACK_LIMIT });
    t.run().expectExit('faulted').expectIcount(icount);
  });

  it('inject refuses disk completions with nothing pending and anything once halted', () => {
    const t = runAsm('halt');
    expect(t.machine.inject({ kind: 'disk', ok: true })).toBe(false);
    expect(t.machine.pending).toBe(0);
    t.run().expectExit('halted');
    expect(t.machine.canAccept('timer')).toBe(false);
    expect(t.machine.inject({ kind: 'timer' })).toBe(false);
    expect(t.machine.pending).toBe(0);
  });

  it('the same interrupt raised twice before delivery is delivered once', () => {
    const t = runAsm('setvec IRQ_TIMER, h\nwfi\nhalt\nh: addi r5, r5, 1\niret').run().expectExit('idle');
    t.inject({ kind: 'timer' }).inject({ kind: 'timer' }).run().expectExit('halted').expectRegs({ r5: 1 });
  });
});

// ---------------------------------------------------------------- determinism

const WORKLOAD = `
    setvec IRQ_TIMER, tick
    setvec IRQ_NIC, rx
    setvec IRQ_DISK, disk
    li r1, 10
    out TIMER_PERIOD, r1
    li r1, rxbuf
    out NIC_RX_ADDR, r1
    li r1, 32
    out NIC_RX_CAP, r1
    li r1, dbuf
    out DISK_ADDR, r1
    ei
main:
    in r2, RANDOM
    in r3, CLOCK
    xor r4, r4, r2
    add r4, r4, r3
    shli r5, r4, 3
    sub r4, r5, r4          ; r4 = r4 * 7
    sw r4, [acc]
    andi r6, r4, 63
    addi r6, r6, 32
    out CONSOLE, r6
    li r7, DISK_READ
    out DISK_CMD, r7        ; ignored while busy
    jmp main
tick:
    lw r8, [ticks]
    addi r8, r8, 1
    sw r8, [ticks]
    iret
rx:
    push r1
    in r1, NIC_RX_LEN
    li r9, rxbuf
    out NIC_TX_ADDR, r9
    out NIC_TX_SEND, r1     ; echo
    li r1, 32
    out NIC_RX_CAP, r1      ; re-arm
    pop r1
    iret
disk:
    lw r8, [dbuf]
    add r4, r4, r8
    iret
    .align 4
acc:   .word 0
ticks: .word 0
rxbuf: .space 32
dbuf:  .space DISK_BLOCK_SIZE
`;

interface Scheduled {
  readonly at: number;
  readonly input: MachineInput;
}

/** The outside world as a pure function of where the guest is: replays see the same values. */
function worldFor(m: Machine): (port: number) => number {
  return (port) => Math.imul(port + 1, 0x9e3779b1) ^ m.icount;
}

function mkMachine(): { m: Machine; host: RecordingHost } {
  const host = new RecordingHost();
  const m = new Machine(host);
  host.machine = m;
  host.nondet = worldFor(m);
  m.load(image(WORKLOAD));
  return { m, host };
}

/** Run the workload, injecting the schedule, and hash at each checkpoint. */
function runSchedule(m: Machine, schedule: readonly Scheduled[], checkpoints: readonly number[]): string[] {
  const events = [...schedule.map((s) => ({ at: s.at, s })), ...checkpoints.map((at) => ({ at, s: null }))].sort((a, b) => a.at - b.at);
  const hashes: string[] = [];
  for (const e of events) {
    m.run(e.at);
    if (e.s) m.inject(e.s.input);
    else hashes.push(m.stateHash());
  }
  return hashes;
}

const SCHEDULE: readonly Scheduled[] = [
  { at: 100, input: { kind: 'timer' } },
  { at: 250, input: { kind: 'packet', frame: new Uint8Array([1, 2, 3, 4, 5]) } },
  { at: 400, input: { kind: 'disk', ok: true, data: new Uint8Array(DISK_BLOCK_SIZE).fill(3) } },
  { at: 555, input: { kind: 'timer' } },
  { at: 700, input: { kind: 'packet', frame: new Uint8Array(40).fill(9) } },
];
const CHECKPOINTS = [50, 150, 300, 450, 600, 800, 1000];

describe('determinism', () => {
  it('same program + same inputs at the same icounts ⇒ same stateHash at every checkpoint and same outputs', () => {
    const a = mkMachine();
    const b = mkMachine();
    const ha = runSchedule(a.m, SCHEDULE, CHECKPOINTS);
    const hb = runSchedule(b.m, SCHEDULE, CHECKPOINTS);
    expect(a.m.fault).toBeNull();
    expect(ha).toEqual(hb);
    expect(new Set(ha).size).toBe(ha.length); // the state moves on
    expect(a.host.events).toEqual(b.host.events);
    expect(a.host.sent.length).toBe(2); // both packets echoed
    expect(a.host.diskRequests.length).toBeGreaterThanOrEqual(2);
  });

  it('the same input one instruction later gives a different state', () => {
    const moved = SCHEDULE.map((s, i) => (i === 1 ? { ...s, at: s.at + 1 } : s));
    const ha = runSchedule(mkMachine().m, SCHEDULE, CHECKPOINTS);
    const hb = runSchedule(mkMachine().m, moved, CHECKPOINTS);
    expect(hb.slice(0, 2)).toEqual(ha.slice(0, 2));
    expect(hb[2]).not.toBe(ha[2]);
  });

  it('property: any schedule replays to identical hashes', () => {
    const input: fc.Arbitrary<MachineInput> = fc.oneof(
      fc.constant({ kind: 'timer' } as const),
      fc.uint8Array({ maxLength: 40 }).map((frame) => ({ kind: 'packet', frame }) as const),
      fc.boolean().map((ok) => ({ kind: 'disk', ok, data: new Uint8Array(DISK_BLOCK_SIZE).fill(ok ? 1 : 2) }) as const),
    );
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(2000), input }), { maxLength: 12 }), (schedule) => {
        const cps = [300, 900, 1500, 2100];
        const a = mkMachine();
        const b = mkMachine();
        expect(runSchedule(a.m, schedule, cps)).toEqual(runSchedule(b.m, schedule, cps));
        expect(a.host.events).toEqual(b.host.events);
      }),
      { numRuns: 25 },
    );
  });

  it('snapshot → run → restore → run gives the same hash and the same outputs', () => {
    const { m, host } = mkMachine();
    runSchedule(m, SCHEDULE.slice(0, 3), []);
    const snap = m.snapshot();
    const h0 = m.stateHash();
    const n0 = host.events.length;
    const rest = SCHEDULE.slice(3);
    const first = runSchedule(m, rest, CHECKPOINTS.slice(4));
    const out1 = host.events.slice(n0);
    m.restore(snap);
    expect(m.stateHash()).toBe(h0);
    const n1 = host.events.length;
    const second = runSchedule(m, rest, CHECKPOINTS.slice(4));
    expect(second).toEqual(first);
    expect(host.events.slice(n1)).toEqual(out1);
  });

  it('restoring into a fresh Machine reproduces execution', () => {
    const a = mkMachine();
    runSchedule(a.m, SCHEDULE.slice(0, 2), []);
    const snap = a.m.snapshot();
    const n0 = a.host.events.length;
    const hostB = new RecordingHost();
    const b = new Machine(hostB);
    hostB.machine = b;
    hostB.nondet = worldFor(b);
    b.restore(snap);
    expect(b.stateHash()).toBe(a.m.stateHash());
    const ha = runSchedule(a.m, SCHEDULE.slice(2), CHECKPOINTS.slice(2));
    const hb = runSchedule(b, SCHEDULE.slice(2), CHECKPOINTS.slice(2));
    expect(hb).toEqual(ha);
    expect(hostB.events).toEqual(a.host.events.slice(n0));
  });

  it('property: the page-cached hash always equals a from-scratch hash (every write path marks its page)', () => {
    const opcodes = [...OPS.map((o) => o.op)];
    const insn = fc
      .tuple(fc.constantFrom(...opcodes), fc.nat(15), fc.nat(15), fc.oneof(fc.nat(0xffff), fc.constantFrom(0, 4, 0x400, 0x7fc, 0xfffc)))
      .map(([op, rd, rs, imm]) => encode(op, rd, rs, imm));
    const input: fc.Arbitrary<MachineInput> = fc.oneof(
      fc.constant({ kind: 'timer' } as const),
      fc.uint8Array({ minLength: 1, maxLength: 80 }).map((frame) => ({ kind: 'packet', frame }) as const),
      fc.uint8Array({ minLength: DISK_BLOCK_SIZE, maxLength: DISK_BLOCK_SIZE }).map((data) => ({ kind: 'disk', ok: true, data }) as const),
    );
    const host = new RecordingHost();
    const m = new Machine(host);
    host.machine = m;
    const fresh = (): string => {
      const f = new Machine(new RecordingHost());
      f.restore(m.snapshot());
      return f.stateHash();
    };
    fc.assert(
      fc.property(fc.array(insn, { minLength: 1, maxLength: 64 }), fc.array(fc.tuple(fc.nat(40), input), { maxLength: 8 }), (words, inputs) => {
        m.load(new Uint8Array(new Uint32Array(words).buffer));
        m.vectors.set([4, 8, 12]);
        m.regs[1] = 0x4000;
        m.regs[2] = 0x8000;
        for (const [gap, inp] of inputs) {
          m.run(m.icount + gap);
          expect(m.stateHash()).toBe(fresh());
          // A disk read in flight, so the completion's DMA lands somewhere (random programs rarely start one).
          if (inp.kind === 'disk' && !m.dev.diskPending) m.dev.diskPending = { op: 'read', block: 0, addr: (gap * 1000) & 0xffc0 };
          // Likewise an armed receive buffer for a packet's DMA.
          if (inp.kind === 'packet' && !m.dev.nicRxArmed) Object.assign(m.dev, { nicRxArmed: true, nicRxAddr: (gap * 1500) & 0xff00, nicRxCap: 80 });
          m.inject(inp);
          expect(m.stateHash()).toBe(fresh());
        }
        m.run(m.icount + 500);
        expect(m.stateHash()).toBe(fresh());
      }),
      { numRuns: 300 },
    );
    // The check has teeth: a write that bypasses the machine is invisible until it is marked.
    m.load(new Uint8Array(64));
    const before = m.stateHash();
    m.mem[0x1234] = 0x5a;
    expect(m.stateHash()).toBe(before);
    expect(fresh()).not.toBe(before);
    m.markWritten(0x1234, 1);
    expect(m.stateHash()).toBe(fresh());
  });

  it('each way the guest writes memory marks its page for the hash', () => {
    const fresh = (m: Machine): string => {
      const f = new Machine(new RecordingHost());
      f.restore(m.snapshot());
      return f.stateHash();
    };
    const cases: Record<string, string> = {
      sw: 'li r1, 0x5000\nli r2, 7\nsw r2, [r1]',
      sb: 'li r1, 0x5001\nli r2, 7\nsb r2, [r1]',
      push: 'li r2, 7\npush r2',
      call: 'call f\nf: nop',
      callr: 'li r3, g\ncallr r3\ng: nop',
    };
    for (const [name, src] of Object.entries(cases)) {
      const t = runAsm(src);
      t.machine.stateHash(); // every page hashed and clean before the program runs
      t.run(20);
      expect(t.machine.stateHash(), name).toBe(fresh(t.machine));
    }
  });

  it('property: changing any one memory byte changes the hash', () => {
    const { m } = mkMachine();
    m.run(500);
    const h = m.stateHash();
    fc.assert(
      fc.property(fc.nat(MEM_SIZE - 1), fc.integer({ min: 1, max: 255 }), (addr, delta) => {
        const old = m.mem[addr]!;
        m.mem[addr] = (old + delta) & 0xff;
        m.markWritten(addr, 1);
        const changed = m.stateHash();
        m.mem[addr] = old;
        m.markWritten(addr, 1);
        expect(changed).not.toBe(h);
        expect(m.stateHash()).toBe(h);
      }),
      { numRuns: 150 },
    );
  });

  it('every piece of state that determines the future is in the hash', () => {
    const base = (): Machine => {
      const { m } = mkMachine();
      m.run(120);
      m.dev.diskPending = { op: 'read', block: 3, addr: 0x9000 };
      return m;
    };
    const h = base().stateHash();
    expect(base().stateHash()).toBe(h);
    const mutations: Record<string, (m: Machine) => void> = {
      reg: (m) => (m.regs[14] = m.regs[14]! ^ 1),
      sp: (m) => (m.regs[15] = m.regs[15]! - 4),
      pc: (m) => (m.pc += 4),
      icount: (m) => (m.icount += 1),
      icountHigh: (m) => (m.icount += 0x100000000),
      ie: (m) => (m.ie = !m.ie),
      waiting: (m) => (m.waiting = !m.waiting),
      halted: (m) => (m.halted = true),
      fault: (m) => (m.fault = { pc: 0, icount: 0, reason: 'x' }),
      pending: (m) => (m.pending ^= 4),
      vector: (m) => (m.vectors[2] = m.vectors[2]! ^ 4),
      timerPeriod: (m) => (m.dev.timerPeriod += 1),
      nicRxAddr: (m) => (m.dev.nicRxAddr += 4),
      nicRxCap: (m) => (m.dev.nicRxCap += 1),
      nicRxArmed: (m) => (m.dev.nicRxArmed = !m.dev.nicRxArmed),
      nicRxLen: (m) => (m.dev.nicRxLen += 1),
      nicTxAddr: (m) => (m.dev.nicTxAddr += 1),
      diskAddr: (m) => (m.dev.diskAddr += 1),
      diskBlock: (m) => (m.dev.diskBlock += 1),
      diskStatus: (m) => (m.dev.diskStatus = 2),
      diskPendingOp: (m) => (m.dev.diskPending = { op: 'write', block: 3, addr: 0x9000 }),
      diskPendingBlock: (m) => (m.dev.diskPending = { op: 'read', block: 4, addr: 0x9000 }),
      diskPendingBlockHigh: (m) => (m.dev.diskPending = { op: 'read', block: 3 + 2 ** 30, addr: 0x9000 }),
      diskPendingAddr: (m) => (m.dev.diskPending = { op: 'read', block: 3, addr: 0x9040 }),
      diskPendingNone: (m) => (m.dev.diskPending = null),
    };
    for (const [name, mutate] of Object.entries(mutations)) {
      const m = base();
      mutate(m);
      expect(m.stateHash(), name).not.toBe(h);
    }
  });

  it('a snapshot is a deep copy, and restore copies too', () => {
    const { m } = mkMachine();
    runSchedule(m, SCHEDULE.slice(0, 3), []);
    m.dev.diskPending = { op: 'read', block: 1, addr: 0x8000 };
    const snap = m.snapshot();
    const copy = structuredClone(snap) as MachineSnapshot;
    const h = m.stateHash();
    // Mutate everything the machine owns.
    m.run(m.icount + 300);
    m.mem.fill(0x55);
    m.markWritten();
    m.regs.fill(7);
    m.vectors.fill(4);
    m.dev.diskPending!.block = 99;
    m.dev.timerPeriod = 1234;
    expect(snap).toEqual(copy);
    m.restore(snap);
    expect(m.stateHash()).toBe(h);
    // Changing the machine after restore does not reach into the snapshot, nor the other way.
    m.dev.diskPending!.addr = 0;
    m.mem[0] = m.mem[0]! ^ 0xff;
    (snap.mem as Uint8Array)[4] = snap.mem[4]! ^ 0xff;
    (snap.dev.diskPending as { block: number }).block = 5;
    expect(snap.mem[0]).toBe(copy.mem[0]);
    expect(snap.dev.diskPending).toEqual({ op: 'read', block: 5, addr: 0x8000 });
    expect(m.mem[4]).toBe(copy.mem[4]);
    expect(m.dev.diskPending).toEqual({ op: 'read', block: 1, addr: 0 });
  });

  it('load resets everything to the same state', () => {
    const img = image(WORKLOAD);
    const a = mkMachine().m;
    const h0 = a.stateHash();
    runSchedule(a, SCHEDULE, CHECKPOINTS);
    a.load(img);
    expect(a.stateHash()).toBe(h0);
    expect(a.status).toBe('running');
  });
});
