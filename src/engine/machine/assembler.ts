// Two-pass assembler for the tiny machine (syntax in docs/isa.md). It reports every error it
// finds as `line:col: message` and never throws, whatever the input.

import {
  MEM_SIZE,
  OP_BY_MNEMONIC,
  PREDEFINED_SYMBOLS,
  SP,
  STACK_LIMIT,
  encode,
  immRange,
  type ImmKind,
  type OpInfo,
} from './isa';

export interface AsmError {
  /** Source file name for errors inside an `.include`d file; undefined for the main source. */
  readonly file?: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export interface AsmResult {
  readonly ok: true;
  readonly image: Uint8Array;
  readonly symbols: ReadonlyMap<string, number>;
  /** Source line (1-based, main file) of each instruction or data item, by address. */
  readonly lines: ReadonlyMap<number, number>;
}

export interface AsmFailure {
  readonly ok: false;
  readonly errors: readonly AsmError[];
}

export interface AsmOptions {
  /** Resolves `.include "name"` to source text (undefined: not found). */
  readonly include?: (name: string) => string | undefined;
}

export function formatAsmError(e: AsmError): string {
  return `${e.file ? `${e.file}:` : ''}${e.line}:${e.col}: ${e.message}`;
}

// ---------------------------------------------------------------- tokens

type TokKind = 'id' | 'num' | 'str' | 'punct';
interface Tok {
  readonly kind: TokKind;
  readonly text: string;
  readonly value: number; // numbers and char literals
  readonly str: string; // decoded string literal
  readonly col: number;
}

const PUNCT2 = new Set(['<<', '>>']);
const PUNCT1 = new Set([',', '[', ']', '(', ')', '+', '-', '*', '/', '%', '&', '|', '^', '~', ':', '=']);
const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, '"': 34, "'": 39 };

/** Thrown after an error was already recorded elsewhere: unwind without reporting again. */
class ReportedError extends Error {}

class LineError extends Error {
  constructor(
    readonly col: number,
    message: string,
  ) {
    super(message);
  }
}

function decodeEscapes(body: string, col: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c !== 92) {
      if (c > 255) throw new LineError(col + i, 'only 8-bit (Latin-1) characters are allowed in strings');
      out.push(c);
      continue;
    }
    const e = body[++i];
    if (e === 'x') {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new LineError(col + i, 'expected two hex digits after \\x');
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (e !== undefined && e in ESCAPES) {
      out.push(ESCAPES[e]!);
    } else {
      throw new LineError(col + i, `unknown escape \\${e ?? ''}`);
    }
  }
  return out;
}

function tokenize(line: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    const col = i + 1;
    if (c === ';' || c === '#') break;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (/[A-Za-z_.]/.test(c)) {
      let j = i + 1;
      while (j < line.length && /[A-Za-z0-9_.]/.test(line[j]!)) j++;
      toks.push({ kind: 'id', text: line.slice(i, j), value: 0, str: '', col });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < line.length && /[0-9A-Za-z_]/.test(line[j]!)) j++;
      const text = line.slice(i, j);
      const clean = text.replace(/_/g, '');
      let value: number;
      if (/^0x[0-9a-f]+$/i.test(clean)) value = parseInt(clean.slice(2), 16);
      else if (/^0b[01]+$/i.test(clean)) value = parseInt(clean.slice(2), 2);
      else if (/^[0-9]+$/.test(clean)) value = parseInt(clean, 10);
      else throw new LineError(col, `bad number '${text}'`);
      if (value > 0xffffffff) throw new LineError(col, `number '${text}' does not fit 32 bits`);
      toks.push({ kind: 'num', text, value, str: '', col });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) throw new LineError(col, c === '"' ? 'unterminated string' : 'unterminated character');
      const bytes = decodeEscapes(line.slice(i + 1, j), col + 1);
      if (c === "'") {
        if (bytes.length !== 1) throw new LineError(col, 'a character literal holds exactly one character');
        toks.push({ kind: 'num', text: line.slice(i, j + 1), value: bytes[0]!, str: '', col });
      } else {
        toks.push({ kind: 'str', text: line.slice(i, j + 1), value: 0, str: String.fromCharCode(...bytes), col });
      }
      i = j + 1;
      continue;
    }
    const two = line.slice(i, i + 2);
    if (PUNCT2.has(two)) {
      toks.push({ kind: 'punct', text: two, value: 0, str: '', col });
      i += 2;
      continue;
    }
    if (PUNCT1.has(c)) {
      toks.push({ kind: 'punct', text: c, value: 0, str: '', col });
      i++;
      continue;
    }
    throw new LineError(col, `unexpected character '${c}'`);
  }
  return toks;
}

// ---------------------------------------------------------------- expressions
// Parsed by shunting-yard into postfix and evaluated with explicit stacks: no recursion, so no
// expression, however long or deep, can overflow the call stack (limits in docs/isa.md).

/** Operators and open parentheses pending at once: deeper nesting is refused. */
export const MAX_EXPR_DEPTH = 256;
/** Numbers and symbols in one expression. */
export const MAX_EXPR_TERMS = 10_000;

type RpnItem =
  | { readonly t: 'num'; readonly v: number; readonly col: number }
  | { readonly t: 'sym'; readonly name: string; readonly col: number }
  | { readonly t: 'un'; readonly op: string; readonly col: number }
  | { readonly t: 'bin'; readonly op: string; readonly col: number };

/** An expression in postfix order; `col` is where it starts on its line. */
interface Expr {
  readonly rpn: readonly RpnItem[];
  readonly col: number;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '|': 1,
  '^': 2,
  '&': 3,
  '<<': 4,
  '>>': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

class Cursor {
  i = 0;
  constructor(
    readonly toks: readonly Tok[],
    readonly endCol: number,
  ) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok | undefined {
    return this.toks[this.i++];
  }
  get col(): number {
    return this.peek()?.col ?? this.endCol;
  }
  atEnd(): boolean {
    return this.i >= this.toks.length;
  }
  isPunct(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === 'punct' && t.text === text;
  }
  expectPunct(text: string, what: string): void {
    if (!this.isPunct(text)) throw new LineError(this.col, `expected '${text}' ${what}`);
    this.i++;
  }
}

interface PendingOp {
  readonly t: 'un' | 'bin' | 'paren';
  readonly op: string;
  readonly col: number;
  readonly prec: number;
}

/**
 * An expression from the cursor on; it ends at the first token that cannot continue it (a comma,
 * a bracket, an unmatched ')'). Unary operators bind tighter than binary ones, which are left-associative.
 */
function parseExpr(c: Cursor): Expr {
  const out: RpnItem[] = [];
  const ops: PendingOp[] = [];
  const start = c.col;
  let terms = 0;
  let open = 0;
  const push = (op: PendingOp): void => {
    if (ops.length >= MAX_EXPR_DEPTH) throw new LineError(op.col, `expression nested too deeply (limit ${MAX_EXPR_DEPTH})`);
    ops.push(op);
  };
  for (;;) {
    // An operand, after any unary operators and open parentheses.
    const t = c.next();
    if (!t) throw new LineError(c.endCol, 'expected an expression');
    if (t.kind === 'punct' && (t.text === '-' || t.text === '~' || t.text === '+')) {
      push({ t: 'un', op: t.text, col: t.col, prec: 99 });
      continue;
    }
    if (t.kind === 'punct' && t.text === '(') {
      push({ t: 'paren', op: '(', col: t.col, prec: 0 });
      open++;
      continue;
    }
    if (t.kind === 'num') out.push({ t: 'num', v: t.value, col: t.col });
    else if (t.kind === 'id') {
      if (isRegister(t.text)) throw new LineError(t.col, `register ${t.text} cannot be used in an expression`);
      out.push({ t: 'sym', name: t.text, col: t.col });
    } else throw new LineError(t.col, `expected an expression, found '${t.text}'`);
    if (++terms > MAX_EXPR_TERMS) throw new LineError(t.col, `expression too long (limit ${MAX_EXPR_TERMS} terms)`);
    // Then closing parentheses, and a binary operator or the end.
    for (;;) {
      const n = c.peek();
      if (open > 0 && n?.kind === 'punct' && n.text === ')') {
        c.next();
        let top = ops.pop()!;
        while (top.t !== 'paren') {
          out.push({ t: top.t, op: top.op, col: top.col });
          top = ops.pop()!;
        }
        open--;
        continue;
      }
      const prec = n?.kind === 'punct' ? BINARY_PRECEDENCE[n.text] : undefined;
      if (n === undefined || prec === undefined) {
        if (open > 0) throw new LineError(c.col, `expected ')' to close the parenthesis`);
        for (let k = ops.length - 1; k >= 0; k--) out.push({ t: ops[k]!.t as 'un' | 'bin', op: ops[k]!.op, col: ops[k]!.col });
        return { rpn: out, col: start };
      }
      c.next();
      while (ops.length > 0 && ops[ops.length - 1]!.t !== 'paren' && ops[ops.length - 1]!.prec >= prec) {
        const top = ops.pop()!;
        out.push({ t: top.t as 'un' | 'bin', op: top.op, col: top.col });
      }
      push({ t: 'bin', op: n.text, col: n.col, prec });
      break;
    }
  }
}

/** Where an expression starts on its line. */
function exprCol(e: Expr): number {
  return e.col;
}

function symExpr(name: string, col: number): Expr {
  return { rpn: [{ t: 'sym', name, col }], col };
}

function applyBinary(op: string, a: number, b: number, col: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return Math.imul(a, b);
    case '/':
    case '%':
      if (b === 0) throw new LineError(col, 'division by zero in expression');
      return op === '/' ? Math.trunc(a / b) : a % b;
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
  }
  throw new LineError(col, `unknown operator '${op}'`);
}

// ---------------------------------------------------------------- statements

const REG_RE = /^(?:r([0-9]|1[0-5])|sp)$/i;
function isRegister(s: string): boolean {
  return REG_RE.test(s);
}
function registerNumber(s: string): number {
  const m = REG_RE.exec(s);
  if (!m) return -1;
  return m[1] === undefined ? SP : Number(m[1]);
}

interface Src {
  readonly file: string | undefined;
  readonly line: number;
}

type Operand =
  | { readonly t: 'reg'; readonly r: number; readonly col: number }
  | { readonly t: 'expr'; readonly e: Expr; readonly col: number }
  | { readonly t: 'mem'; readonly base: number; readonly off: Expr | null; readonly col: number };

type Stmt =
  | { readonly t: 'ins'; readonly src: Src; readonly col: number; readonly name: string; readonly ops: readonly Operand[]; addr: number }
  | { readonly t: 'data'; readonly src: Src; readonly col: number; readonly width: 1 | 4; readonly items: readonly (Expr | Tok)[]; addr: number }
  | { readonly t: 'space'; readonly src: Src; readonly col: number; readonly size: number; readonly fill: number; addr: number };

/** Pseudo-instructions: name → size in bytes. */
const PSEUDO_SIZES: Record<string, number> = { beqz: 4, bnez: 4, la: 4, li32: 8, neg: 4 };

function parseOperands(c: Cursor): Operand[] {
  const ops: Operand[] = [];
  if (c.atEnd()) return ops;
  for (;;) {
    const col = c.col;
    const t = c.peek();
    if (!t) throw new LineError(col, 'expected an operand after the comma');
    if (t.kind === 'id' && isRegister(t.text)) {
      c.next();
      ops.push({ t: 'reg', r: registerNumber(t.text), col });
    } else if (t.kind === 'punct' && t.text === '[') {
      c.next();
      const bt = c.peek();
      let base = 0;
      let off: Expr | null = null;
      if (bt && bt.kind === 'id' && isRegister(bt.text)) {
        c.next();
        base = registerNumber(bt.text);
        if (c.isPunct('+')) {
          c.next();
          off = parseExpr(c);
        } else if (c.isPunct('-')) {
          off = parseExpr(c); // the '-' is read as a unary minus
        }
      } else {
        off = parseExpr(c);
      }
      c.expectPunct(']', 'to close the memory operand');
      ops.push({ t: 'mem', base, off, col });
    } else {
      ops.push({ t: 'expr', e: parseExpr(c), col });
    }
    if (c.atEnd()) return ops;
    c.expectPunct(',', 'between operands');
  }
}

// ---------------------------------------------------------------- the assembler

interface SymDef {
  readonly kind: 'label' | 'equ';
  value?: number;
  failed?: boolean;
  readonly expr?: Expr;
  readonly src: Src;
  readonly col: number;
}

class Assembly {
  readonly errors: AsmError[] = [];
  readonly stmts: Stmt[] = [];
  readonly syms = new Map<string, SymDef>();
  pc = 0;
  private readonly _resolving = new Set<string>();
  /** Labels defined since the last statement that placed anything: they follow its auto-alignment. */
  private readonly _unplaced: SymDef[] = [];
  private readonly _includeStack: string[] = [];

  constructor(readonly options: AsmOptions) {}

  error(src: Src, col: number, message: string): void {
    const e: AsmError = src.file === undefined ? { line: src.line, col, message } : { file: src.file, line: src.line, col, message };
    this.errors.push(e);
  }

  // Pass 1: parse, place labels, size everything.
  parseSource(text: string, file: string | undefined): void {
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      const src: Src = { file, line: n + 1 };
      const raw = lines[n]!;
      try {
        this.parseLine(raw, src);
      } catch (err) {
        if (err instanceof LineError) this.error(src, err.col, err.message);
        else if (!(err instanceof ReportedError)) this.error(src, 1, `internal assembler error: ${String(err)}`);
      }
    }
  }

  private defineSymbol(name: string, def: SymDef): void {
    if (PREDEFINED_SYMBOLS.has(name) || isRegister(name) || OP_BY_MNEMONIC.has(name.toLowerCase())) {
      throw new LineError(def.col, `'${name}' is a reserved name`);
    }
    const prev = this.syms.get(name);
    if (prev) {
      const where = `${prev.src.file ? `${prev.src.file}:` : ''}${prev.src.line}`;
      throw new LineError(def.col, `'${name}' is already defined (line ${where})`);
    }
    this.syms.set(name, def);
  }

  private parseLine(raw: string, src: Src): void {
    const toks = tokenize(raw);
    const c = new Cursor(toks, raw.length + 1);
    // Labels: `name:` (any number of them).
    while (toks.length - c.i >= 2 && c.peek()!.kind === 'id' && toks[c.i + 1]!.kind === 'punct' && toks[c.i + 1]!.text === ':') {
      const t = c.next()!;
      c.next();
      if (t.text.startsWith('.')) throw new LineError(t.col, `a label cannot start with '.'`);
      const def: SymDef = { kind: 'label', value: this.pc, src, col: t.col };
      this.defineSymbol(t.text, def);
      this._unplaced.push(def);
    }
    if (c.atEnd()) return;
    const head = c.next()!;
    if (head.kind !== 'id') throw new LineError(head.col, `expected an instruction, directive or label, found '${head.text}'`);
    // Constant: `NAME = expr`.
    if (c.isPunct('=')) {
      c.next();
      const e = parseExpr(c);
      if (!c.atEnd()) throw new LineError(c.col, `unexpected '${c.peek()!.text}' after the expression`);
      this.defineSymbol(head.text, { kind: 'equ', expr: e, src, col: head.col });
      return;
    }
    if (head.text.startsWith('.')) {
      this.directive(head, c, src);
      const d = head.text.toLowerCase();
      if (d !== '.equ' && d !== '.set' && d !== '.include') this._unplaced.length = 0;
      return;
    }
    const name = head.text.toLowerCase();
    const info = OP_BY_MNEMONIC.get(name);
    const size = info ? 4 : Object.hasOwn(PSEUDO_SIZES, name) ? PSEUDO_SIZES[name] : undefined;
    if (size === undefined) throw new LineError(head.col, `unknown instruction '${head.text}'`);
    const ops = parseOperands(c);
    this.alignTo(4, src, head.col, true);
    this._unplaced.length = 0;
    this.stmts.push({ t: 'ins', src, col: head.col, name, ops, addr: this.pc });
    this.pc += size;
  }

  /** Pad to a multiple of n; `moveLabels`: labels just before an auto-aligned item point at the item. */
  private alignTo(n: number, src: Src, col: number, moveLabels = false): void {
    const pad = (n - (this.pc % n)) % n;
    if (pad > 0) {
      this.stmts.push({ t: 'space', src, col, size: pad, fill: 0, addr: this.pc });
      this.pc += pad;
      if (moveLabels) for (const def of this._unplaced) def.value = this.pc;
    }
  }

  private directive(head: Tok, c: Cursor, src: Src): void {
    const d = head.text.toLowerCase();
    switch (d) {
      case '.equ':
      case '.set': {
        const t = c.next();
        if (!t || t.kind !== 'id') throw new LineError(t?.col ?? c.endCol, `${d} needs a name`);
        c.expectPunct(',', 'after the name');
        const e = parseExpr(c);
        this.expectEnd(c);
        this.defineSymbol(t.text, { kind: 'equ', expr: e, src, col: t.col });
        return;
      }
      case '.word':
      case '.byte': {
        const width = d === '.word' ? 4 : 1;
        const items: (Expr | Tok)[] = [];
        for (;;) {
          const t = c.peek();
          if (t && t.kind === 'str' && width === 1) {
            c.next();
            items.push(t);
          } else items.push(parseExpr(c));
          if (c.atEnd()) break;
          c.expectPunct(',', 'between values');
        }
        if (width === 4) this.alignTo(4, src, head.col, true);
        let size = 0;
        for (const it of items) size += 'kind' in it ? it.str.length : width;
        this.stmts.push({ t: 'data', src, col: head.col, width, items, addr: this.pc });
        this.pc += size;
        return;
      }
      case '.string':
      case '.ascii':
      case '.asciz': {
        const t = c.next();
        if (!t || t.kind !== 'str') throw new LineError(t?.col ?? c.endCol, `${d} needs a "string"`);
        this.expectEnd(c);
        const zero = d !== '.ascii';
        const tok: Tok = zero ? { ...t, str: t.str + '\0' } : t;
        this.stmts.push({ t: 'data', src, col: head.col, width: 1, items: [tok], addr: this.pc });
        this.pc += tok.str.length;
        return;
      }
      case '.space':
      case '.zero': {
        const col = c.col;
        const size = this.evalNow(parseExpr(c), src);
        let fill = 0;
        if (c.isPunct(',')) {
          c.next();
          fill = this.evalNow(parseExpr(c), src) & 0xff;
        }
        this.expectEnd(c);
        if (size < 0 || size > MEM_SIZE) throw new LineError(col, `${d} size ${size} is out of range`);
        this.stmts.push({ t: 'space', src, col: head.col, size, fill, addr: this.pc });
        this.pc += size;
        return;
      }
      case '.align': {
        const col = c.col;
        const n = this.evalNow(parseExpr(c), src);
        this.expectEnd(c);
        if (n <= 0 || n > 4096 || (n & (n - 1)) !== 0) throw new LineError(col, '.align needs a power of two up to 4096');
        this.alignTo(n, src, head.col);
        return;
      }
      case '.org': {
        const col = c.col;
        const a = this.evalNow(parseExpr(c), src);
        this.expectEnd(c);
        if (a < this.pc) throw new LineError(col, `.org 0x${a.toString(16)} is behind the current address 0x${this.pc.toString(16)}`);
        if (a > MEM_SIZE) throw new LineError(col, `.org address is outside memory`);
        this.stmts.push({ t: 'space', src, col: head.col, size: a - this.pc, fill: 0, addr: this.pc });
        this.pc = a;
        return;
      }
      case '.include': {
        const t = c.next();
        if (!t || t.kind !== 'str') throw new LineError(t?.col ?? c.endCol, '.include needs a "file name"');
        this.expectEnd(c);
        const text = this.options.include?.(t.str);
        if (text === undefined) throw new LineError(t.col, `cannot find include file "${t.str}"`);
        if (this._includeStack.includes(t.str) || this._includeStack.length > 16) {
          throw new LineError(t.col, `"${t.str}" includes itself`);
        }
        this._includeStack.push(t.str);
        this.parseSource(text, t.str);
        this._includeStack.pop();
        return;
      }
      default:
        throw new LineError(head.col, `unknown directive '${head.text}'`);
    }
  }

  private expectEnd(c: Cursor): void {
    if (!c.atEnd()) throw new LineError(c.col, `unexpected '${c.peek()!.text}'`);
  }

  /** Evaluate an expression that must be known in pass 1 (sizes): no forward labels. */
  private evalNow(e: Expr, src: Src): number {
    return this.evaluate(e, src, true);
  }

  /**
   * The value of an expression. A constant defined through other constants is evaluated on an
   * explicit stack of frames, one per constant being resolved, so a long chain cannot overflow.
   */
  evaluate(e: Expr, _src: Src, early = false): number {
    interface Frame {
      readonly code: readonly RpnItem[];
      pc: number;
      readonly vals: number[];
      /** The constant this frame resolves, or null for the expression asked for. */
      readonly name: string | null;
      readonly def: SymDef | null;
    }
    const frames: Frame[] = [{ code: e.rpn, pc: 0, vals: [], name: null, def: null }];
    try {
      for (;;) {
        const f = frames[frames.length - 1]!;
        if (f.pc === f.code.length) {
          const v = f.vals.pop()!;
          frames.pop();
          if (f.def) {
            f.def.value = v;
            this._resolving.delete(f.name!);
          }
          if (frames.length === 0) return v;
          frames[frames.length - 1]!.vals.push(v);
          continue;
        }
        const it = f.code[f.pc++]!;
        switch (it.t) {
          case 'num':
            f.vals.push(it.v);
            break;
          case 'sym': {
            const pre = PREDEFINED_SYMBOLS.get(it.name);
            if (pre !== undefined) {
              f.vals.push(pre);
              break;
            }
            const def = this.syms.get(it.name);
            if (!def) throw new LineError(it.col, early ? `'${it.name}' must be defined before it is used here` : `undefined symbol '${it.name}'`);
            if (def.value !== undefined) {
              f.vals.push(def.value);
              break;
            }
            if (def.failed) throw new ReportedError();
            if (this._resolving.has(it.name)) throw new LineError(it.col, `'${it.name}' is defined in terms of itself`);
            this._resolving.add(it.name);
            frames.push({ code: def.expr!.rpn, pc: 0, vals: [], name: it.name, def });
            break;
          }
          case 'un': {
            const a = f.vals.pop()!;
            f.vals.push(it.op === '-' ? -a : it.op === '~' ? ~a : a);
            break;
          }
          case 'bin': {
            const b = f.vals.pop()!;
            const a = f.vals.pop()!;
            f.vals.push(applyBinary(it.op, a, b, it.col));
            break;
          }
        }
      }
    } catch (err) {
      // An error inside a constant's definition belongs to the innermost definition's line, once;
      // the constants defined through it fail with it, silently (so none is walked again).
      let out = err;
      for (let i = frames.length - 1; i >= 0; i--) {
        const f = frames[i]!;
        if (!f.def) continue;
        this._resolving.delete(f.name!);
        if (early) continue; // a forward reference in pass 1: the constant may still resolve later
        if (out instanceof LineError) {
          this.error(f.def.src, out.col, out.message);
          out = new ReportedError();
        }
        if (out instanceof ReportedError) f.def.failed = true;
      }
      throw out;
    }
  }

  /** Every symbol's value; constants that cannot be evaluated are reported at their definition. */
  resolveAll(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, def] of this.syms) {
      try {
        out.set(name, this.evaluate(symExpr(name, def.col), def.src));
      } catch (err) {
        if (err instanceof LineError) this.error(def.src, err.col, err.message);
        else if (!(err instanceof ReportedError)) throw err;
      }
    }
    return out;
  }

  // Pass 2: evaluate and emit.
  emit(): { image: Uint8Array; lines: Map<number, number> } {
    const image = new Uint8Array(Math.min(this.pc, MEM_SIZE));
    const view = new DataView(image.buffer);
    const lines = new Map<number, number>();
    for (const s of this.stmts) {
      try {
        if (s.src.file === undefined && s.t !== 'space') lines.set(s.addr, s.src.line);
        if (s.t === 'space') {
          if (s.fill !== 0) image.fill(s.fill, s.addr, Math.min(s.addr + s.size, image.length));
        } else if (s.t === 'data') {
          let a = s.addr;
          for (const it of s.items) {
            if ('kind' in it) {
              for (let k = 0; k < it.str.length; k++) image[a++] = it.str.charCodeAt(k);
              continue;
            }
            const v = this.evaluate(it, s.src);
            if (s.width === 4) {
              if (v < -0x80000000 || v > 0xffffffff) throw new LineError(exprCol(it), `${v} does not fit 32 bits`);
              if (a + 4 <= image.length) view.setUint32(a, v >>> 0, true); // else: past memory, already reported
            } else {
              if (v < -128 || v > 255) throw new LineError(exprCol(it), `${v} does not fit a byte`);
              image[a] = v & 0xff;
            }
            a += s.width;
          }
        } else {
          const words = this.encodeIns(s);
          words.forEach((w, k) => {
            if (s.addr + 4 * k + 4 <= image.length) view.setUint32(s.addr + 4 * k, w >>> 0, true); // else: past memory, already reported
          });
        }
      } catch (err) {
        if (err instanceof LineError) this.error(s.src, err.col, err.message);
        else if (!(err instanceof ReportedError)) this.error(s.src, s.col, `internal assembler error: ${String(err)}`);
      }
    }
    return { image, lines };
  }

  private imm(o: Operand | undefined, kind: ImmKind, s: Stmt & { t: 'ins' }, what: string): number {
    if (!o || o.t !== 'expr') throw new LineError(o?.col ?? s.col, `${s.name} needs ${what} here`);
    const v = this.evaluate(o.e, s.src);
    const [lo, hi] = immRange(kind);
    if (v < lo || v > hi) {
      throw new LineError(o.col, `${what} ${v} is out of range (${lo}..${hi})`);
    }
    return v;
  }

  private reg(o: Operand | undefined, s: Stmt & { t: 'ins' }, what: string): number {
    if (!o || o.t !== 'reg') throw new LineError(o?.col ?? s.col, `${s.name} needs a register (${what}) here`);
    return o.r;
  }

  private arity(s: Stmt & { t: 'ins' }, n: number, usage: string): void {
    if (s.ops.length !== n) {
      throw new LineError(s.ops[n]?.col ?? s.col, `${s.name} takes ${n === 0 ? 'no operands' : `${n} operand${n > 1 ? 's' : ''}: ${usage}`}`);
    }
  }

  private encodeIns(s: Stmt & { t: 'ins' }): number[] {
    const o = s.ops;
    // Pseudo-instructions expand to real ones.
    switch (s.name) {
      case 'beqz':
      case 'bnez': {
        this.arity(s, 2, `${s.name} rd, label`);
        const op = OP_BY_MNEMONIC.get(s.name === 'beqz' ? 'beq' : 'bne')!.op;
        return [encode(op, this.reg(o[0], s, 'rd'), 0, this.imm(o[1], 'addr', s, 'an address'))];
      }
      case 'la':
        this.arity(s, 2, 'la rd, label');
        return [encode(OP_BY_MNEMONIC.get('li')!.op, this.reg(o[0], s, 'rd'), 0, this.imm(o[1], 'addr', s, 'an address'))];
      case 'li32': {
        this.arity(s, 2, 'li32 rd, value');
        const rd = this.reg(o[0], s, 'rd');
        const ex = o[1];
        if (!ex || ex.t !== 'expr') throw new LineError(ex?.col ?? s.col, 'li32 needs a value');
        const v = this.evaluate(ex.e, s.src);
        if (v < -0x80000000 || v > 0xffffffff) throw new LineError(ex.col, `${v} does not fit 32 bits`);
        return [encode(OP_BY_MNEMONIC.get('lui')!.op, rd, 0, v >>> 16), encode(OP_BY_MNEMONIC.get('ori')!.op, rd, rd, v & 0xffff)];
      }
      case 'neg': {
        this.arity(s, 2, 'neg rd, rs');
        return [encode(OP_BY_MNEMONIC.get('sub')!.op, this.reg(o[0], s, 'rd'), 0, this.reg(o[1], s, 'rs'))];
      }
    }
    const info = OP_BY_MNEMONIC.get(s.name)!;
    return [this.encodeReal(info, s)];
  }

  private encodeReal(info: OpInfo, s: Stmt & { t: 'ins' }): number {
    const o = s.ops;
    const m = info.mnemonic;
    switch (info.format) {
      case 'none':
        this.arity(s, 0, m);
        return encode(info.op);
      case 'r':
        this.arity(s, 1, `${m} rd`);
        return encode(info.op, this.reg(o[0], s, 'rd'));
      case 'rr':
        this.arity(s, 2, `${m} rd, rs`);
        return encode(info.op, this.reg(o[0], s, 'rd'), this.reg(o[1], s, 'rs'));
      case 'rrr':
        this.arity(s, 3, `${m} rd, rs, rt`);
        return encode(info.op, this.reg(o[0], s, 'rd'), this.reg(o[1], s, 'rs'), this.reg(o[2], s, 'rt'));
      case 'ri': {
        this.arity(s, 2, `${m} rd, value`);
        const rd = this.reg(o[0], s, 'rd');
        // `li rd, -5` is accepted and becomes `addi rd, r0, -5`.
        if (m === 'li' && o[1]?.t === 'expr') {
          const v = this.evaluate(o[1].e, s.src);
          if (v < 0 && v >= -0x8000) return encode(OP_BY_MNEMONIC.get('addi')!.op, rd, 0, v);
        }
        return encode(info.op, rd, 0, this.imm(o[1], info.imm!, s, 'a 16-bit value (use li32 for 32 bits)'));
      }
      case 'rri':
        this.arity(s, 3, `${m} rd, rs, value`);
        return encode(info.op, this.reg(o[0], s, 'rd'), this.reg(o[1], s, 'rs'), this.imm(o[2], info.imm!, s, 'the value'));
      case 'mem': {
        this.arity(s, 2, `${m} rd, [rs+offset]`);
        const rd = this.reg(o[0], s, 'rd');
        const mo = o[1];
        if (!mo || mo.t !== 'mem') throw new LineError(mo?.col ?? s.col, `${m} needs a memory operand like [r1+4] or [label]`);
        const off = mo.off ? this.evaluate(mo.off, s.src) : 0;
        if (off < -0x8000 || off > 0x7fff) {
          throw new LineError(mo.col, `offset ${off} does not fit 16 signed bits (-32768..32767); put the address in a register`);
        }
        return encode(info.op, rd, mo.base, off);
      }
      case 'branch':
        this.arity(s, 3, `${m} rd, rs, label`);
        return encode(info.op, this.reg(o[0], s, 'rd'), this.reg(o[1], s, 'rs'), this.checkTarget(this.imm(o[2], 'addr', s, 'address'), o[2]!));
      case 'addr':
        this.arity(s, 1, `${m} label`);
        return encode(info.op, 0, 0, this.checkTarget(this.imm(o[0], 'addr', s, 'address'), o[0]!));
      case 'in':
        this.arity(s, 2, `${m} rd, PORT`);
        return encode(info.op, this.reg(o[0], s, 'rd'), 0, this.imm(o[1], 'port', s, 'port'));
      case 'out':
        this.arity(s, 2, `${m} PORT, rd`);
        return encode(info.op, this.reg(o[1], s, 'rd'), 0, this.imm(o[0], 'port', s, 'port'));
      case 'vec':
        this.arity(s, 2, `${m} IRQ_SOURCE, label`);
        return encode(info.op, this.imm(o[0], 'irq', s, 'interrupt source'), 0, this.imm(o[1], 'addr', s, 'address'));
    }
  }

  private checkTarget(v: number, o: Operand): number {
    if (v % 4 !== 0) throw new LineError(o.col, `jump target 0x${v.toString(16)} is not 4-aligned`);
    return v;
  }
}

/** Assemble source text into a memory image loaded at address 0. Never throws. */
export function assemble(source: string, options: AsmOptions = {}): AsmResult | AsmFailure {
  const a = new Assembly(options);
  try {
    a.parseSource(source, undefined);
    if (a.pc > STACK_LIMIT) {
      a.error({ file: undefined, line: 1 }, 1, `program is ${a.pc} bytes and overlaps the stack at 0x${STACK_LIMIT.toString(16)}`);
    }
    const { image, lines } = a.emit();
    const symbols = a.resolveAll();
    if (a.errors.length > 0) return { ok: false, errors: sortErrors(a.errors) };
    return { ok: true, image, symbols, lines };
  } catch (err) {
    return { ok: false, errors: [...a.errors, { line: 1, col: 1, message: `internal assembler error: ${String(err)}` }] };
  }
}

function sortErrors(errors: AsmError[]): AsmError[] {
  return [...errors].sort((x, y) => (x.file ?? '').localeCompare(y.file ?? '') || x.line - y.line || x.col - y.col);
}
