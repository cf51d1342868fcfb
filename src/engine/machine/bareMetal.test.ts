// The bare-metal host: virtual time, timer, disk, NIC queue, seeded random source.

import { describe, expect, it } from 'vitest';
import { assemble, formatAsmError } from './assembler';
import { BareMetal, type BareMetalOptions } from './bareMetal';
import { DISK_BLOCK_SIZE } from './isa';

function boot(src: string, opts: BareMetalOptions = {}): { bm: BareMetal; sym: (name: string) => number } {
  const r = assemble(src);
  if (!r.ok) throw new Error(r.errors.map(formatAsmError).join('\n'));
  return { bm: new BareMetal(r.image, opts), sym: (n) => r.symbols.get(n)! };
}

const words = (bm: BareMetal, addr: number, n: number): number[] => Array.from(new Uint32Array(bm.machine.mem.buffer, addr, n));

/** Record the CLOCK at every timer tick; `idle` is the main loop. */
const TICK_LOG = (idle: string): string => `
    setvec IRQ_TIMER, tick
    li r1, PERIOD
    out TIMER_PERIOD, r1
    li r9, log
    ei
main:
    ${idle}
    jmp main
tick:
    in r8, CLOCK
    sw r8, [r9]
    addi r9, r9, 4
    lw r8, [count]
    addi r8, r8, 1
    sw r8, [count]
    iret
    .align 4
count: .word 0
log: .space 64 * 4
`;

describe('BareMetal', () => {
  for (const [what, idle] of [
    ['an idle guest (wfi)', 'wfi'],
    ['a busy guest', 'nop'],
  ] as const) {
    it(`timer ticks arrive every period of virtual time, for ${what}`, () => {
      const { bm, sym } = boot(`PERIOD = 10\n${TICK_LOG(idle)}`, { clockBase: 5000 });
      bm.runFor(55);
      expect(bm.now).toBeCloseTo(55, 6);
      expect(words(bm, sym('count'), 1)).toEqual([5]);
      expect(words(bm, sym('log'), 5)).toEqual([5010, 5020, 5030, 5040, 5050]);
      bm.runFor(30);
      expect(words(bm, sym('count'), 1)).toEqual([8]);
      expect(words(bm, sym('log') + 20, 3)).toEqual([5060, 5070, 5080]);
      expect(bm.machine.fault).toBeNull();
    });
  }

  it('a guest that is always busy runs instructionsPerMs instructions per virtual ms', () => {
    const { bm } = boot('spin: jmp spin', { instructionsPerMs: 250 });
    bm.runFor(4);
    expect(bm.machine.icount).toBe(1000);
    expect(bm.now).toBeCloseTo(4, 9);
  });

  it('an idle guest with no events lets time jump to the end', () => {
    const { bm } = boot('wfi\nhalt');
    bm.runFor(1000);
    expect(bm.now).toBe(1000);
    expect(bm.machine.icount).toBe(1);
    expect(bm.machine.status).toBe('idle');
  });

  it('setting the timer period to 0 stops the ticks', () => {
    const src = `
        setvec IRQ_TIMER, tick
        li r1, 5
        out TIMER_PERIOD, r1
    idle:
        wfi
        jmp idle
    tick:                   ; stop the timer at the second tick
        lw r8, [count]
        addi r8, r8, 1
        sw r8, [count]
        li r7, 2
        bne r8, r7, back
        out TIMER_PERIOD, r0
    back:
        iret
        .align 4
    count: .word 0
    `;
    const { bm, sym } = boot(src);
    bm.runFor(100);
    expect(words(bm, sym('count'), 1)).toEqual([2]);
    expect(bm.machine.status).toBe('idle');
    expect(bm.now).toBe(100);
  });

  it('a disk write then read round-trips, each completing diskLatencyMs later', () => {
    const src = `
        setvec IRQ_DISK, done
        li r1, out_buf             ; fill out_buf with i * 3
        li r2, 0
    fill:
        li r3, 3
        mul r3, r2, r3
        sb r3, [r1]
        addi r1, r1, 1
        addi r2, r2, 1
        li r3, DISK_BLOCK_SIZE
        bne r2, r3, fill
        in r10, CLOCK
        li r1, out_buf
        out DISK_ADDR, r1
        li r1, 5
        out DISK_BLOCK, r1
        li r1, DISK_WRITE
        call io
        li r1, in_buf
        out DISK_ADDR, r1
        li r1, DISK_READ
        call io
        in r11, CLOCK
        in r12, DISK_STATUS
        halt
    io:                            ; start command r1 and wait for completion (race-free)
        sw r0, [flag]
        out DISK_CMD, r1
    wait:
        di
        lw r2, [flag]
        bnez r2, io_done
        wfi
        jmp wait
    io_done:
        ret
    done:
        push r1
        li r1, 1
        sw r1, [flag]
        pop r1
        iret
        .align 4
    flag: .word 0
    out_buf: .space DISK_BLOCK_SIZE
    in_buf: .space DISK_BLOCK_SIZE
    `;
    const { bm, sym } = boot(src, { diskLatencyMs: 3, clockBase: 0 });
    bm.runFor(100);
    expect(bm.machine.status).toBe('halted');
    const pattern = Array.from({ length: DISK_BLOCK_SIZE }, (_, i) => (i * 3) & 0xff);
    expect([...bm.disk.subarray(5 * DISK_BLOCK_SIZE, 6 * DISK_BLOCK_SIZE)]).toEqual(pattern);
    expect([...bm.disk.subarray(4 * DISK_BLOCK_SIZE, 5 * DISK_BLOCK_SIZE)]).toEqual(new Array(DISK_BLOCK_SIZE).fill(0));
    const a = sym('in_buf');
    expect([...bm.machine.mem.subarray(a, a + DISK_BLOCK_SIZE)]).toEqual(pattern);
    const r = bm.machine.regs;
    expect(r[11]! - r[10]!).toBe(6); // two requests, 3 ms each
    expect(r[12]).toBe(0);
  });

  it('a request for a block past the disk ends with the error status', () => {
    const src = `
        setvec IRQ_DISK, done
        li r1, DISK_BLOCKS
        out DISK_BLOCK, r1
        li r1, 0x8000
        out DISK_ADDR, r1
        li r1, DISK_READ
        out DISK_CMD, r1
    idle: wfi
        jmp idle
    done:
        in r5, DISK_STATUS
        halt
    `;
    const { bm } = boot(src);
    bm.runFor(10);
    expect(bm.machine.status).toBe('halted');
    expect(bm.machine.regs[5]).toBe(2);
  });

  const ECHO = `
        setvec IRQ_NIC, rx
        setvec IRQ_TIMER, tick
        li r1, 10
        out TIMER_PERIOD, r1
    idle:
        wfi
        jmp idle
    tick:                        ; arm the receive buffer at every tick
        push r1
        li r1, buf
        out NIC_RX_ADDR, r1
        li r1, 16
        out NIC_RX_CAP, r1
        pop r1
        iret
    rx:                          ; send back what came in
        push r1
        push r2
        in r1, NIC_RX_LEN
        li r2, buf
        out NIC_TX_ADDR, r2
        out NIC_TX_SEND, r1
        pop r2
        pop r1
        iret
        .align 4
    buf: .space 16
  `;

  it('frames queue until the guest arms its receive buffer, one frame per arming', () => {
    const { bm } = boot(ECHO);
    const seen: number[][] = [];
    bm.onSend = (f) => seen.push([...f]);
    bm.receive(new Uint8Array([1, 2, 3]));
    bm.receive(Uint8Array.from({ length: 20 }, (_, i) => i));
    bm.runFor(5);
    expect(bm.rxQueue.length).toBe(2);
    expect(bm.sent).toEqual([]);
    bm.runFor(10); // the tick at 10 ms arms
    expect(bm.rxQueue.length).toBe(1);
    expect(bm.sent.map((f) => [...f])).toEqual([[1, 2, 3]]);
    bm.runFor(10); // the tick at 20 ms arms again
    expect(bm.rxQueue.length).toBe(0);
    expect(bm.sent.map((f) => [...f])).toEqual([
      [1, 2, 3],
      Array.from({ length: 16 }, (_, i) => i), // truncated to the buffer
    ]);
    expect(seen).toEqual(bm.sent.map((f) => [...f]));
  });

  it('runUntilSent stops once the guest has sent enough frames', () => {
    const { bm } = boot(ECHO);
    bm.receive(new Uint8Array([7]));
    bm.runUntilSent(1);
    expect(bm.sent.length).toBe(1);
    expect(bm.now).toBeGreaterThanOrEqual(10);
    expect(bm.now).toBeLessThan(12);
  });

  it('console output is collected and streamed; CLOCK and RANDOM come from virtual time and the seed', () => {
    const src = 'li r1, 0x48\nout CONSOLE, r1\nli r1, 0x69\nout CONSOLE, r1\nin r2, RANDOM\nin r3, RANDOM\nin r4, CLOCK\nhalt';
    const chunks: string[] = [];
    const a = boot(src, { seed: 9, clockBase: 123 }).bm;
    a.onConsole = (t) => chunks.push(t);
    a.runFor(5);
    expect(a.console).toBe('Hi');
    expect(chunks).toEqual(['H', 'i']);
    expect(a.machine.regs[4]).toBe(123);
    const b = boot(src, { seed: 9 }).bm;
    b.runFor(5);
    const c = boot(src, { seed: 10 }).bm;
    c.runFor(5);
    expect([b.machine.regs[2], b.machine.regs[3]]).toEqual([a.machine.regs[2], a.machine.regs[3]]);
    expect([c.machine.regs[2], c.machine.regs[3]]).not.toEqual([a.machine.regs[2], a.machine.regs[3]]);
    expect(a.machine.regs[2]).not.toBe(a.machine.regs[3]);
  });

  it('runFor stops early when the machine faults', () => {
    const { bm } = boot('nop\n.word 0');
    bm.runFor(1000);
    expect(bm.machine.status).toBe('faulted');
    expect(bm.now).toBeLessThan(1);
    bm.runFor(1000);
    expect(bm.machine.icount).toBe(1);
  });
});
