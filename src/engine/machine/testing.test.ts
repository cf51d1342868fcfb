// The test runner itself: its checks must fail when the machine disagrees.

import { describe, expect, it } from 'vitest';
import { runAsm } from './testing';

describe('runAsm', () => {
  it('refuses a snippet that does not assemble, with the errors', () => {
    expect(() => runAsm('nop\nfrob')).toThrow(/2:1: unknown instruction 'frob'/);
  });

  it('passes on matching state and fails on every kind of mismatch', () => {
    const t = runAsm('li r1, 5\nout CONSOLE, r1\nsw r1, [d]\nhalt\nd: .word 0').setRegs({ r2: -1 }).run();
    t.expectExit('halted').expectStatus('halted').expectRegs({ r1: 5, r2: 0xffffffff }).expectIcount(4).expectPc(16);
    t.expectMem('d', [5, 0, 0, 0]).expectWord('d', 5).expectConsole('\x05');
    expect(() => t.expectExit('budget')).toThrow(/expected run\(\) to return 'budget', got 'halted'/);
    expect(() => t.expectStatus('running')).toThrow(/status/);
    expect(() => t.expectRegs({ r1: 6 })).toThrow(/r1: expected 0x6 \(6\), got 0x5 \(5\)/);
    expect(() => t.expectRegs({ sp: 0 })).toThrow(/sp/);
    expect(() => t.expectIcount(3)).toThrow(/icount/);
    expect(() => t.expectPc(12)).toThrow(/pc/);
    expect(() => t.expectMem('d', [5, 1])).toThrow(/memory at 0x10/);
    expect(() => t.expectWord('d', 4)).toThrow(/word at 0x10/);
    expect(() => t.expectConsole('x')).toThrow(/console/);
    expect(() => t.expectFault('anything')).toThrow(/halted/);
    expect(() => t.sym('nope')).toThrow(/no symbol/);
    expect(() => t.setRegs({ r16: 1 })).toThrow(/no register/);
  });

  it('checks faults by reason, pc and icount', () => {
    const t = runAsm('nop\nbad: divu r1, r1, r0').run().expectExit('faulted');
    expect(t.expectFault('division', { pc: 'bad', icount: 1 })).toEqual({ pc: 4, icount: 1, reason: 'division by zero' });
    t.expectFault(/^division by zero$/);
    expect(() => t.expectFault('overflow')).toThrow(/got 'division by zero'/);
    expect(() => t.expectFault('division', { pc: 0 })).toThrow(/pc/);
    expect(() => t.expectFault('division', { icount: 0 })).toThrow(/icount/);
  });

  it('run(n) runs at most n more instructions; inject must be accepted', () => {
    const t = runAsm('spin: jmp spin').run(10).expectExit('budget').expectIcount(10);
    t.run(5).expectIcount(15);
    expect(() => t.inject({ kind: 'packet', frame: new Uint8Array(1) })).toThrow(/refused/);
  });

  it('the recording host logs every door with its boundary', () => {
    const t = runAsm('in r1, CLOCK\nli r2, 1\nout TIMER_PERIOD, r2\nout NIC_TX_SEND, r0\nhalt').run();
    expect(t.host.events.map((e) => [e.kind, e.pc, e.icount])).toEqual([
      ['nondet', 0, 0],
      ['timer', 8, 2],
      ['send', 12, 3],
    ]);
    expect(t.host.nondetReads).toEqual([{ port: 0x40, value: 0x40000 }]);
    expect(t.host.timerSettings).toEqual([1]);
    expect(t.host.sent).toEqual([new Uint8Array(0)]);
    expect(t.host.diskRequests).toEqual([]);
  });
});
