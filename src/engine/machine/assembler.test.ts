// The assembler: directives, expressions, pseudo-instructions, operands, and errors reported as
// `line:col: message`, all at once, without ever throwing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROGRAM_NAMES, PROGRAM_SOURCES, includeProgramFile } from '../programs';
import { MAX_EXPR_DEPTH, MAX_EXPR_TERMS, assemble, formatAsmError, type AsmError, type AsmOptions, type AsmResult } from './assembler';
import { OP, STACK_LIMIT, encode } from './isa';
import { runAsm } from './testing';

function ok(src: string, options?: AsmOptions): AsmResult {
  const r = assemble(src, options);
  if (!r.ok) throw new Error(`expected to assemble:\n${r.errors.map(formatAsmError).join('\n')}`);
  return r;
}

function errors(src: string, options?: AsmOptions): readonly AsmError[] {
  const r = assemble(src, options);
  if (r.ok) throw new Error(`expected errors, but it assembled: ${JSON.stringify(src)}`);
  return r.errors;
}

/** The only error of a source, formatted. */
function error(src: string, options?: AsmOptions): string {
  const es = errors(src, options);
  expect(es.map(formatAsmError)).toHaveLength(1);
  return formatAsmError(es[0]!);
}

const bytes = (r: AsmResult): number[] => [...r.image];
const words = (r: AsmResult): number[] => [...new Uint32Array(r.image.buffer, 0, r.image.length >> 2)];
const le = (...ws: number[]): number[] => ws.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
const value = (expr: string): number => ok(`X = ${expr}`).symbols.get('X')!;

describe('directives', () => {
  it('.word: 32-bit little-endian values, negative ones, labels; aligned to 4', () => {
    expect(bytes(ok('.word 1, -1, 0xdeadbeef, here\nhere:'))).toEqual(le(1, 0xffffffff, 0xdeadbeef, 16));
    expect(bytes(ok('.byte 7\n.word 0x11223344'))).toEqual([7, 0, 0, 0, 0x44, 0x33, 0x22, 0x11]);
    expect(bytes(ok('.word -0x80000000, 0xffffffff'))).toEqual(le(0x80000000, 0xffffffff));
  });

  it('.byte: numbers, negative numbers, strings and characters', () => {
    expect(bytes(ok(`.byte 1, 255, -128, "ab", 'c', "", 0x7f`))).toEqual([1, 255, 128, 97, 98, 99, 0x7f]);
    expect(error('.byte 256')).toBe('1:7: 256 does not fit a byte');
    expect(error('.byte 1, -129')).toBe('1:10: -129 does not fit a byte');
  });

  it('.string / .asciz add a NUL, .ascii does not; escapes decode', () => {
    expect(bytes(ok('.string "a\\n"'))).toEqual([97, 10, 0]);
    expect(bytes(ok('.asciz "hi"'))).toEqual([104, 105, 0]);
    expect(bytes(ok('.ascii "hi"'))).toEqual([104, 105]);
    expect(bytes(ok(String.raw`.ascii "\n\t\r\0\\\"\'\x41\xfF;#"`))).toEqual([10, 9, 13, 0, 92, 34, 39, 0x41, 0xff, 59, 35]);
    expect(bytes(ok('.ascii "\'é"'))).toEqual([39, 0xe9]);
    expect(error('.string "\\q"')).toBe('1:11: unknown escape \\q');
    expect(error('.string "\\x4"')).toBe('1:11: expected two hex digits after \\x');
    expect(error('.string "a€"')).toBe('1:11: only 8-bit (Latin-1) characters are allowed in strings');
    expect(error('.string 5')).toBe('1:9: .string needs a "string"');
  });

  it('.space / .zero with an optional fill', () => {
    expect(bytes(ok('.byte 1\n.space 3\n.byte 2'))).toEqual([1, 0, 0, 0, 2]);
    expect(bytes(ok('.space 2, 0xaa\n.zero 1\n.byte 2'))).toEqual([0xaa, 0xaa, 0, 2]);
    expect(error('.space -1')).toBe('1:8: .space size -1 is out of range');
    expect(error('.space N\nN = 3')).toBe("1:8: 'N' must be defined before it is used here");
  });

  it('.align pads to a power of two', () => {
    expect(bytes(ok('.byte 1\n.align 8\n.byte 2'))).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(bytes(ok('.byte 1, 2, 3, 4\n.align 4\n.byte 5'))).toEqual([1, 2, 3, 4, 5]);
    expect(error('.align 3')).toBe('1:8: .align needs a power of two up to 4096');
  });

  it('.org moves forward, never back', () => {
    const r = ok('nop\n.org 0x10\nthere: halt');
    expect(r.symbols.get('there')).toBe(0x10);
    expect(words(r)).toEqual([OP.nop, 0, 0, 0, OP.halt]);
    expect(error('.space 8\n.org 4')).toBe('2:6: .org 0x4 is behind the current address 0x8');
  });

  it('.equ, .set and NAME = expr define constants usable anywhere, even before their definition', () => {
    const r = ok('li r1, Z\n.equ X, 5\n.set Y, X * 2\nZ = Y + 1\n');
    expect(r.symbols.get('X')).toBe(5);
    expect(r.symbols.get('Y')).toBe(10);
    expect(r.symbols.get('Z')).toBe(11);
    expect(words(r)).toEqual([encode(OP.li, 1, 0, 11)]);
    expect(error('A = A + 1')).toBe("1:5: 'A' is defined in terms of itself");
    expect(error('.equ 5, 3')).toBe('1:6: .equ needs a name');
  });

  it('.include pulls in a file from the resolver; errors inside it name the file', () => {
    const files: Record<string, string> = {
      defs: 'SIX = 6\nputc:\n    out CONSOLE, r1\n    ret\n',
      bad: 'nop\n    frob r1\n    jmp nowhere\n',
      self: '.include "self"\n',
    };
    const include = (name: string): string | undefined => files[name];
    const r = ok('li r1, SIX + 0x3a\ncall putc\nhalt\n.include "defs"', { include });
    expect(r.symbols.get('putc')).toBe(12);
    // Source lines are recorded for the main file only.
    expect([...r.lines]).toEqual([[0, 1], [4, 2], [8, 3]]);
    runAsm('li r1, SIX + 0x3a\ncall putc\nhalt\n.include "defs"', { include }).run().expectExit('halted').expectConsole('@');

    const es = errors('nop\n.include "bad"\nfoo r2', { include });
    expect(es.map(formatAsmError)).toEqual(["3:1: unknown instruction 'foo'", "bad:2:5: unknown instruction 'frob'", "bad:3:9: undefined symbol 'nowhere'"]);
    expect(es[1]).toEqual({ file: 'bad', line: 2, col: 5, message: "unknown instruction 'frob'" });
    expect(error('.include "missing"', { include })).toBe('1:10: cannot find include file "missing"');
    expect(error('.include "defs"')).toBe('1:10: cannot find include file "defs"'); // no resolver
    expect(error('.include "self"', { include })).toBe('self:1:10: "self" includes itself');
  });

  it('unknown directives are errors', () => {
    expect(error('  .frob 1')).toBe("1:3: unknown directive '.frob'");
  });
});

describe('expressions', () => {
  it('precedence: * / % over + - over << >> over & over ^ over |', () => {
    expect(value('1 + 2 * 3')).toBe(7);
    expect(value('(1 + 2) * 3')).toBe(9);
    expect(value('1 << 2 + 1')).toBe(8);
    expect(value('6 & 3 | 8')).toBe(10);
    expect(value('1 | 2 ^ 3')).toBe(1);
    expect(value('3 ^ 1 & 2')).toBe(3);
    expect(value('10 - 2 - 3')).toBe(5);
    expect(value('100 / 10 / 2')).toBe(5);
    expect(value('7 % 4 * 2')).toBe(6);
    expect(value('0x100 >> 4 >> 1')).toBe(8);
    expect(value('((((2))))')).toBe(2);
  });

  it('unary minus, plus and complement', () => {
    expect(value('-2 * 3')).toBe(-6);
    expect(value('- -5')).toBe(5);
    expect(value('~0 & 0xff')).toBe(255);
    expect(value('+4')).toBe(4);
    expect(value('2 - -2')).toBe(4);
    expect(value('-7 / 2')).toBe(-3); // truncates toward zero
  });

  it('literals: hex, binary, decimal with _, characters with escapes', () => {
    expect(value('0x1F')).toBe(31);
    expect(value('0XfF')).toBe(255);
    expect(value('0b1010')).toBe(10);
    expect(value('1_000_000')).toBe(1_000_000);
    expect(value("'a' + 1")).toBe(98);
    expect(value("'\\n'")).toBe(10);
    expect(value("'\\''")).toBe(39);
    expect(value("';'")).toBe(59);
    expect(value('0xffffffff')).toBe(0xffffffff);
    expect(error('X = 12ab')).toBe("1:5: bad number '12ab'");
    expect(error('X = 0x1_0000_0000')).toBe("1:5: number '0x1_0000_0000' does not fit 32 bits");
    expect(error("X = 'ab'")).toBe('1:5: a character literal holds exactly one character');
    expect(error("X = 'a")).toBe('1:5: unterminated character');
  });

  it('labels, predefined symbols and forward references', () => {
    const r = ok('li r1, later + 4\njmp later\n.word later - here\nhere: nop\nlater: halt');
    expect(r.symbols.get('later')).toBe(16);
    expect(words(r)).toEqual([encode(OP.li, 1, 0, 20), encode(OP.jmp, 0, 0, 16), 4, OP.nop, OP.halt]);
    expect(value('CONSOLE + IRQ_DISK + STACK_LIMIT')).toBe(1 + 2 + STACK_LIMIT);
    expect(value('DISK_BLOCK_SIZE * DISK_BLOCKS')).toBe(64 * 1024);
  });

  it('expression errors', () => {
    expect(error('X = 1 / 0')).toBe('1:7: division by zero in expression');
    expect(error('X = (1 + 2')).toBe("1:11: expected ')' to close the parenthesis");
    expect(error('X = 1 +')).toBe('1:8: expected an expression');
    expect(error('X = 1 + ,')).toBe("1:9: expected an expression, found ','");
    expect(error('X = r1 + 1')).toBe('1:5: register r1 cannot be used in an expression');
    expect(error('X = 1 @ 2')).toBe("1:7: unexpected character '@'");
    expect(error('X = 1 2')).toBe("1:7: unexpected '2' after the expression");
  });
});

describe('instructions, operands and pseudo-instructions', () => {
  it('registers: r0..r15, sp, case-insensitive mnemonics and registers', () => {
    expect(words(ok('ADD R1, sp, r15\nMov SP, r0'))).toEqual([encode(OP.add, 1, 15, 15), encode(OP.mov, 15, 0)]);
  });

  it('memory operands [r1], [r1+4], [r1-4], [label], [label+4], [sp+8]', () => {
    const r = ok('lw r2, [r1]\nlw r2, [r1+4]\nsw r2, [r1-4]\nlb r3, [data]\nlbu r3, [data+1]\nsb r3, [sp+8]\nlw r4, [r5 + 2*4]\n.align 4\ndata: .byte 1, 2');
    const d = r.symbols.get('data')!;
    expect(words(r).slice(0, 7)).toEqual(
      [
      encode(OP.lw, 2, 1, 0),
      encode(OP.lw, 2, 1, 4),
      encode(OP.sw, 2, 1, -4),
      encode(OP.lb, 3, 0, d),
      encode(OP.lbu, 3, 0, d + 1),
      encode(OP.sb, 3, 15, 8),
      encode(OP.lw, 4, 5, 8),
      ].map((w) => w >>> 0),
    );
    expect(error('lw r1, [r2 + 40000]')).toBe('1:8: offset 40000 does not fit 16 signed bits (-32768..32767); put the address in a register');
    expect(error('lw r1, r2')).toBe('1:8: lw needs a memory operand like [r1+4] or [label]');
    expect(error('lw r1, [r2')).toBe("1:11: expected ']' to close the memory operand");
  });

  it('every instruction format encodes as imm<<16 | rs<<12 | rd<<8 | op', () => {
    const r = ok(`
      halt
      push r3
      mov r1, r2
      sub r1, r2, r3
      lui r4, 0xabcd
      slti r1, r2, -2
      bge r1, r2, 0x40
      call 0x44
      in r5, RANDOM
      out CONSOLE, r6
      setvec IRQ_DISK, 0x80
      shli r1, r1, 31
    `);
    expect(words(r)).toEqual([
      OP.halt,
      encode(OP.push, 3),
      encode(OP.mov, 1, 2),
      encode(OP.sub, 1, 2, 3),
      encode(OP.lui, 4, 0, 0xabcd),
      encode(OP.slti, 1, 2, -2),
      encode(OP.bge, 1, 2, 0x40),
      encode(OP.call, 0, 0, 0x44),
      encode(OP.in, 5, 0, 0x41),
      encode(OP.out, 6, 0, 0x01),
      encode(OP.setvec, 2, 0, 0x80),
      encode(OP.shli, 1, 1, 31),
    ].map((w) => w >>> 0));
  });

  it('pseudo-instructions: beqz, bnez, la, li32, neg, li with a negative value', () => {
    const r = ok('t:\nbeqz r1, t\nbnez r2, t\nla r3, t\nli32 r4, 0x12345678\nneg r5, r6\nli r7, -5\nli r8, -32768');
    expect(words(r).map((w) => w >>> 0)).toEqual(
      [
        encode(OP.beq, 1, 0, 0),
        encode(OP.bne, 2, 0, 0),
        encode(OP.li, 3, 0, 0),
        encode(OP.lui, 4, 0, 0x1234),
        encode(OP.ori, 4, 4, 0x5678),
        encode(OP.sub, 5, 0, 6),
        encode(OP.addi, 7, 0, -5),
        encode(OP.addi, 8, 0, -32768),
      ].map((w) => w >>> 0),
    );
    runAsm('li32 r1, 0x12345678\nli32 r2, -1\nli32 r3, 0x80000000\nli r4, -5\nneg r5, r4\nli r6, 0\nbeqz r6, z\nli r7, 1\nz: bnez r5, nz\nli r8, 1\nnz: halt')
      .run()
      .expectExit('halted')
      .expectRegs({ r1: 0x12345678, r2: 0xffffffff, r3: 0x80000000, r4: -5, r5: 5, r7: 0, r8: 0 });
    expect(error('li r1, -32769')).toBe('1:8: a 16-bit value (use li32 for 32 bits) -32769 is out of range (0..65535)');
    expect(error('li r1, 0x10000')).toBe('1:8: a 16-bit value (use li32 for 32 bits) 65536 is out of range (0..65535)');
    expect(error('li32 r1, 0xffffffff + 1')).toBe('1:10: 4294967296 does not fit 32 bits');
    expect(error('la r1, -4')).toBe('1:8: an address -4 is out of range (0..65535)');
  });

  it('comments, blank lines, several labels on a line, CRLF line ends', () => {
    const r = ok('; comment\n# also a comment\n\na: b: nop ; trailing\r\nc:\r\n  halt # trailing\r\n');
    expect(r.symbols.get('a')).toBe(0);
    expect(r.symbols.get('b')).toBe(0);
    expect(r.symbols.get('c')).toBe(4);
    expect([...r.lines]).toEqual([[0, 4], [4, 6]]);
  });

  it('a label before an auto-aligned instruction or .word names the aligned address', () => {
    const r = ok('s: .byte 1\nloop: nop\n.byte 2\ntbl:\n  .word 5\nb: .byte 3\n.byte 4\nalone:\n.space 1\nafter: .equ E, 1\nx: jmp loop');
    expect(r.symbols.get('s')).toBe(0);
    expect(r.symbols.get('loop')).toBe(4);
    expect(r.symbols.get('tbl')).toBe(12);
    expect(r.symbols.get('b')).toBe(16);
    expect(r.symbols.get('alone')).toBe(18);
    expect(r.symbols.get('after')).toBe(20); // nothing placed between it and the jmp
    expect(r.symbols.get('x')).toBe(20);
    runAsm('lw r1, [v]\nhalt\n.byte 1\nv: .word 42').run().expectExit('halted').expectRegs({ r1: 42 });
  });
});

describe('errors: line:col: message', () => {
  const CASES: readonly (readonly [string, string])[] = [
    ['  foo r1', "1:3: unknown instruction 'foo'"],
    ['nop\n\tconstructor r1', "2:2: unknown instruction 'constructor'"],
    ['__proto__', "1:1: unknown instruction '__proto__'"],
    ['add r1, r2', '1:1: add takes 3 operands: add rd, rs, rt'],
    ['add r1, r2, r3, r4', '1:17: add takes 3 operands: add rd, rs, rt'],
    ['nop r1', '1:5: nop takes no operands'],
    ['push', '1:1: push takes 1 operand: push rd'],
    ['add r1, r16, r2', '1:9: add needs a register (rs) here'],
    ['mov r1, 5', '1:9: mov needs a register (rs) here'],
    ['addi r1, r2, 40000', '1:14: the value 40000 is out of range (-32768..32767)'],
    ['andi r1, r2, -1', '1:14: the value -1 is out of range (0..65535)'],
    ['shli r1, r2, 32', '1:14: the value 32 is out of range (0..31)'],
    ['in r1, 256', '1:8: port 256 is out of range (0..255)'],
    ['setvec 3, 0', '1:8: interrupt source 3 is out of range (0..2)'],
    ['jmp nowhere', "1:5: undefined symbol 'nowhere'"],
    ['    beq r1, r2, nowhere + 4', "1:17: undefined symbol 'nowhere'"],
    ['x: nop\n  x: nop', "2:3: 'x' is already defined (line 1)"],
    ['X = 1\n.equ X, 2', "2:6: 'X' is already defined (line 1)"],
    ['.string "abc', '1:9: unterminated string'],
    ['.byte 1, "a\\"', '1:10: unterminated string'],
    ['jmp 6', '1:5: jump target 0x6 is not 4-aligned'],
    ['bne r1, r2, 2', '1:13: jump target 0x2 is not 4-aligned'],
    ['r1: nop', "1:1: 'r1' is a reserved name"],
    ['  add: nop', "1:3: 'add' is a reserved name"],
    ['CONSOLE = 3', "1:1: 'CONSOLE' is a reserved name"],
    ['.equ SP, 3', "1:6: 'SP' is a reserved name"],
    ['.x: nop', "1:1: a label cannot start with '.'"],
    ['add r1 r2, r3', "1:8: expected ',' between operands"],
    ['add r1, r2,', '1:12: expected an operand after the comma'],
    ['out CONSOLE,   ', '1:16: expected an operand after the comma'],
    ['5: nop', "1:1: expected an instruction, directive or label, found '5'"],
    ['.word 0xffffffff + 1', '1:7: 4294967296 does not fit 32 bits'],
    ['.byte 1, 2 * 200', '1:10: 400 does not fit a byte'],
    ['.org 0x10001', '1:6: .org address is outside memory'],
    [`.space ${STACK_LIMIT}\nnop`, '1:1: program is 61444 bytes and overlaps the stack at 0xf000'],
  ];
  for (const [src, want] of CASES) {
    it(`${JSON.stringify(src)} → ${want}`, () => {
      expect(error(src)).toBe(want);
    });
  }

  it('all errors of a source are reported at once, sorted by line and column', () => {
    const src = ['jmp nowhere', 'nop', 'frob r1', 'add r1, r2, r99', 'x: nop', 'x: nop', '.string "oops'].join('\n');
    expect(errors(src).map(formatAsmError)).toEqual([
      "1:5: undefined symbol 'nowhere'",
      "3:1: unknown instruction 'frob'",
      '4:13: add needs a register (rt) here',
      "6:1: 'x' is already defined (line 5)",
      '7:9: unterminated string',
    ]);
    // Three separate mistakes, three errors.
    expect(errors('li r1, 0x10000\nhalt\nbogus\njmp 2').map((e) => [e.line, e.col])).toEqual([
      [1, 8],
      [3, 1],
      [4, 5],
    ]);
  });

  it('an error in a constant is reported once, at its definition', () => {
    expect(errors('A = B / 0\nB = 1\nli r1, A\nli r2, A').map(formatAsmError)).toEqual(['1:7: division by zero in expression']);
  });

  it('a very long program past 64 KiB reports the overlap, not internal errors', () => {
    const es = errors('.space 0x10000\n.space 0x10000\nnop\n.word 1');
    expect(es.map(formatAsmError)).toEqual(['1:1: program is 131080 bytes and overlaps the stack at 0xf000']);
  });

  it('formatAsmError prefixes the file for included files only', () => {
    expect(formatAsmError({ line: 3, col: 4, message: 'm' })).toBe('3:4: m');
    expect(formatAsmError({ file: 'lib', line: 3, col: 4, message: 'm' })).toBe('lib:3:4: m');
  });
});

// ---------------------------------------------------------------- never throws

function checkResult(src: string, options: AsmOptions = {}, files: Record<string, string> = {}): void {
  const r = assemble(src, options);
  if (r.ok) {
    expect(r.image.length).toBeLessThanOrEqual(STACK_LIMIT);
    return;
  }
  expect(r.errors.length).toBeGreaterThanOrEqual(1);
  for (const e of r.errors) {
    const text = e.file === undefined ? src : files[e.file];
    expect(text, `error names an unknown file: ${formatAsmError(e)}`).toBeDefined();
    const lines = text!.split('\n');
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines.length);
    expect(e.col).toBeGreaterThanOrEqual(1);
    expect(e.col).toBeLessThanOrEqual(lines[e.line - 1]!.length + 1);
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message).not.toMatch(/internal assembler error/);
  }
}

const ASM_CHARS = [...'abcdefghijklmnopqrstuvwxyz ABCXYZ_.0123456789,[]()+-*/%&|^~:=;#"\'\\\t\n@$é'];
const SNIPPETS = [
  'start:\n  li r1, msg\n  call puts\n  halt\nputs:\n  lbu r2, [r1]\n  beqz r2, done\n  out CONSOLE, r2\n  addi r1, r1, 1\n  jmp puts\ndone: ret\nmsg: .string "hi\\n"\n',
  'N = 4\n.equ M, N * 2 + 1\n  li32 r3, 0xdeadbeef\n  lw r1, [r2+M-1]\n  sw r1, [sp-4]\n  .align 8\ntab: .word N, M, tab\n.byte 1, "x", \'y\'\n.space 3, 0xff\n.org 0x100\n',
  ...PROGRAM_NAMES.map((n) => PROGRAM_SOURCES[n]),
];

type Mutation =
  | { readonly t: 'delChar' | 'dupChar' | 'delLine' | 'dupLine'; readonly at: number }
  | { readonly t: 'setChar'; readonly at: number; readonly c: string }
  | { readonly t: 'swapLines'; readonly at: number; readonly with: number };

function mutate(src: string, ms: readonly Mutation[]): string {
  let s = src;
  for (const m of ms) {
    const i = s.length === 0 ? 0 : m.at % s.length;
    const lines = s.split('\n');
    const k = m.at % lines.length;
    switch (m.t) {
      case 'delChar':
        s = s.slice(0, i) + s.slice(i + 1);
        break;
      case 'dupChar':
        s = s.slice(0, i) + s.slice(i, i + 1) + s.slice(i);
        break;
      case 'setChar':
        s = s.slice(0, i) + m.c + s.slice(i + 1);
        break;
      case 'delLine':
        lines.splice(k, 1);
        s = lines.join('\n');
        break;
      case 'dupLine':
        lines.splice(k, 0, lines[k]!);
        s = lines.join('\n');
        break;
      case 'swapLines': {
        const j = m.with % lines.length;
        [lines[k], lines[j]] = [lines[j]!, lines[k]!];
        s = lines.join('\n');
        break;
      }
    }
  }
  return s;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ t: fc.constantFrom('delChar', 'dupChar', 'delLine', 'dupLine'), at: fc.nat() }),
  fc.record({ t: fc.constant('setChar'), at: fc.nat(), c: fc.constantFrom(...ASM_CHARS) }),
  fc.record({ t: fc.constant('swapLines'), at: fc.nat(), with: fc.nat() }),
) as fc.Arbitrary<Mutation>;


describe('limits: huge expressions are clear errors or work, never a stack overflow', () => {
  it('an expression of 49,000 terms is refused at the term past the limit', () => {
    const src = 'X = 1' + ' + 1'.repeat(48_999);
    // 'X = 1' then ' + 1' per term: the term past the limit starts at column 6 + 4 * (limit - 1) + 3.
    expect(error(src)).toBe(`1:${5 + 4 * MAX_EXPR_TERMS}: expression too long (limit ${MAX_EXPR_TERMS} terms)`);
  });

  it('an expression of exactly the limit of terms evaluates (iteratively)', () => {
    expect(value('1' + ' + 1'.repeat(MAX_EXPR_TERMS - 1))).toBe(MAX_EXPR_TERMS);
    expect(value('1' + ' - 1'.repeat(MAX_EXPR_TERMS - 1))).toBe(2 - MAX_EXPR_TERMS);
  });

  it('20,000 nested parentheses: nested too deeply, at the first one past the limit', () => {
    expect(error('X = ' + '('.repeat(20_000) + '1' + ')'.repeat(20_000))).toBe(`1:${5 + MAX_EXPR_DEPTH}: expression nested too deeply (limit ${MAX_EXPR_DEPTH})`);
  });

  it('40,000 unary minus signs: nested too deeply', () => {
    expect(error('X = ' + '-'.repeat(40_000) + '1')).toBe(`1:${5 + MAX_EXPR_DEPTH}: expression nested too deeply (limit ${MAX_EXPR_DEPTH})`);
    expect(error('  li r1, ' + '~'.repeat(40_000) + '1')).toMatch(/^1:\d+: expression nested too deeply/);
  });

  it('nesting up to the limit works', () => {
    expect(value('('.repeat(MAX_EXPR_DEPTH - 1) + '7' + ')'.repeat(MAX_EXPR_DEPTH - 1))).toBe(7);
    expect(value('-'.repeat(MAX_EXPR_DEPTH) + '7')).toBe(7);
  });

  it('a chain of 8,000 constants, each defined by the one before, resolves', () => {
    const lines = ['a0 = 0'];
    for (let i = 1; i <= 8000; i++) lines.push(`a${i} = a${i - 1} + 1`);
    expect(ok(lines.join('\n')).symbols.get('a8000')).toBe(8000);
    // Defined last to first: every use is a forward reference, resolved through the whole chain at once.
    const backward = ['.word a8000'];
    for (let i = 8000; i >= 1; i--) backward.push(`.equ a${i}, a${i - 1} + 1`);
    backward.push('a0 = 5');
    expect(words(ok(backward.join('\n')))).toEqual([8005]);
  });

  it('an error at the bottom of a long chain is reported once, at the definition that fails', () => {
    const lines = ['a0 = 1 / 0'];
    for (let i = 1; i <= 8000; i++) lines.push(`a${i} = a${i - 1} + 1`);
    lines.push('.word a8000');
    expect(errors(lines.join('\n')).map(formatAsmError)).toEqual(['1:8: division by zero in expression']);
    const cycle = ['a0 = a8000'];
    for (let i = 1; i <= 8000; i++) cycle.push(`a${i} = a${i - 1} + 1`);
    expect(errors(cycle.join('\n')).map(formatAsmError)).toEqual(["2:6: 'a0' is defined in terms of itself"]);
  });

  it('18,000 bad lines: every error reported, none internal', () => {
    const src = 'bogus r1\n'.repeat(18_000);
    const es = errors(src);
    expect(es).toHaveLength(18_000);
    expect(es.every((e) => e.message === "unknown instruction 'bogus'")).toBe(true);
  });
});

describe('assemble never throws', () => {
  it('property: arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.string({ unit: fc.constantFrom(...ASM_CHARS), maxLength: 300 })), (src) => {
        checkResult(src);
      }),
      { numRuns: 400 },
    );
  });

  it('property: mutations of valid programs (deleting, duplicating, replacing characters and lines)', () => {
    // Remember every shared file the programs include, to check the lines of errors inside them.
    const files: Record<string, string> = {};
    const include = (name: string): string | undefined => {
      const text = includeProgramFile(name);
      if (text !== undefined) files[name] = text;
      return text;
    };
    fc.assert(
      fc.property(fc.constantFrom(...SNIPPETS), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), (src, ms) => {
        checkResult(mutate(src, ms), { include }, files);
      }),
      { numRuns: 300 },
    );
  });

  it('property: mutations of an included file report errors in that file', () => {
    const lib = includeProgramFile('lib')!;
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (ms) => {
        const bad = mutate(lib, ms);
        const files = { lib: bad };
        checkResult('call putc\nhalt\n.include "lib"', { include: (n) => (n === 'lib' ? bad : undefined) }, files);
      }),
      { numRuns: 100 },
    );
  });

  it('pathological inputs', () => {
    checkResult('');
    checkResult('\n\n\n');
    checkResult('"'.repeat(1000));
    checkResult('.byte ' + '1,'.repeat(5000) + '1');
    checkResult('X = ' + '-'.repeat(2000) + '1');
    checkResult('constructor:\nhasOwnProperty = 3\n__proto__: nop\ntoString r1\n.equ valueOf, 1');
  });
});
