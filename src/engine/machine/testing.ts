// A CPU test runner in the style of 6502.ts: assemble a snippet, run it on a recording stub host,
// and check registers, memory and what came out of the doors, fluently:
//
//   runAsm('li r1, 5\n addi r2, r1, -7\n halt').run().expectRegs({ r1: 5, r2: -2 }).expectExit('halted');
//
// Assertions throw plain Errors (no test framework dependency), so any runner reports them.

import { assemble, formatAsmError, type AsmOptions } from './assembler';
import { SP } from './isa';
import { Machine, type DiskRequest, type Fault, type MachineHost, type MachineInput, type MachineStatus, type RunExit } from './machine';

/** One call the machine made on its host, with the machine's pc and icount at that boundary. */
export type HostEvent =
  | { readonly kind: 'nondet'; readonly port: number; readonly value: number; readonly pc: number; readonly icount: number }
  | { readonly kind: 'console'; readonly byte: number; readonly pc: number; readonly icount: number }
  | { readonly kind: 'send'; readonly frame: Uint8Array; readonly pc: number; readonly icount: number }
  | { readonly kind: 'disk'; readonly req: DiskRequest; readonly pc: number; readonly icount: number }
  | { readonly kind: 'timer'; readonly periodMs: number; readonly pc: number; readonly icount: number };

/** A host that serves nothing by itself: it records every door the guest goes through. */
export class RecordingHost implements MachineHost {
  readonly events: HostEvent[] = [];
  /** Set after the machine is built, so events can carry pc and icount. */
  machine: Machine | null = null;
  /** What a CLOCK or RANDOM read returns (default: port * 0x1000 + number of nondet reads so far). */
  nondet: (port: number, readIndex: number) => number = (port, i) => port * 0x1000 + i;

  private _where(): { pc: number; icount: number } {
    return { pc: this.machine?.pc ?? -1, icount: this.machine?.icount ?? -1 };
  }

  readNondet(port: number): number {
    const value = this.nondet(port, this.nondetReads.length);
    this.events.push({ kind: 'nondet', port, value, ...this._where() });
    return value;
  }
  consoleWrite(byte: number): void {
    this.events.push({ kind: 'console', byte, ...this._where() });
  }
  netSend(frame: Uint8Array): void {
    this.events.push({ kind: 'send', frame, ...this._where() });
  }
  diskStart(req: DiskRequest): void {
    this.events.push({ kind: 'disk', req, ...this._where() });
  }
  timerSet(periodMs: number): void {
    this.events.push({ kind: 'timer', periodMs, ...this._where() });
  }

  get consoleBytes(): number[] {
    return this.events.flatMap((e) => (e.kind === 'console' ? [e.byte] : []));
  }
  get consoleText(): string {
    return String.fromCharCode(...this.consoleBytes);
  }
  get sent(): Uint8Array[] {
    return this.events.flatMap((e) => (e.kind === 'send' ? [e.frame] : []));
  }
  get diskRequests(): DiskRequest[] {
    return this.events.flatMap((e) => (e.kind === 'disk' ? [e.req] : []));
  }
  get timerSettings(): number[] {
    return this.events.flatMap((e) => (e.kind === 'timer' ? [e.periodMs] : []));
  }
  get nondetReads(): { port: number; value: number }[] {
    return this.events.flatMap((e) => (e.kind === 'nondet' ? [{ port: e.port, value: e.value }] : []));
  }
}

export type RegName = `r${number}` | 'sp';
type Addr = number | string;

function regIndex(name: string): number {
  if (name === 'sp') return SP;
  const m = /^r([0-9]|1[0-5])$/.exec(name);
  if (!m) throw new Error(`testing: no register '${name}'`);
  return Number(m[1]);
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
const bytesOf = (b: ArrayLike<number> | string): number[] =>
  typeof b === 'string' ? [...b].map((c) => c.charCodeAt(0)) : Array.from(b);

export class AsmRun {
  readonly host = new RecordingHost();
  readonly machine = new Machine(this.host);
  readonly symbols: ReadonlyMap<string, number>;
  readonly image: Uint8Array;
  /** What the last run() returned. */
  lastExit: RunExit | null = null;

  constructor(source: string, options: AsmOptions = {}) {
    const r = assemble(source, options);
    if (!r.ok) throw new Error(`testing: the snippet does not assemble:\n${r.errors.map(formatAsmError).join('\n')}`);
    this.symbols = r.symbols;
    this.image = r.image;
    this.host.machine = this.machine;
    this.machine.load(r.image);
  }

  /** A label's or constant's value. */
  sym(name: string): number {
    const v = this.symbols.get(name);
    if (v === undefined) throw new Error(`testing: no symbol '${name}'`);
    return v;
  }

  private _addr(a: Addr): number {
    return typeof a === 'string' ? this.sym(a) : a;
  }

  reg(name: RegName): number {
    return this.machine.regs[regIndex(name)]!;
  }

  setRegs(regs: Partial<Record<RegName, number>>): this {
    for (const [name, v] of Object.entries(regs)) this.machine.regs[regIndex(name)] = v!;
    return this;
  }

  setMem(addr: Addr, bytes: ArrayLike<number> | string): this {
    const b = bytesOf(bytes);
    this.machine.mem.set(b, this._addr(addr));
    this.machine.markWritten(this._addr(addr), b.length);
    return this;
  }

  setWord(addr: Addr, value: number): this {
    new DataView(this.machine.mem.buffer).setUint32(this._addr(addr), value >>> 0, true);
    this.machine.markWritten(this._addr(addr), 4);
    return this;
  }

  word(addr: Addr): number {
    return new DataView(this.machine.mem.buffer).getUint32(this._addr(addr), true);
  }

  /** Run at most `n` more instructions. */
  run(n = 100_000): this {
    this.lastExit = this.machine.run(this.machine.icount + n);
    return this;
  }

  step(): this {
    this.lastExit = this.machine.step();
    return this;
  }

  /** Inject an input; it must be accepted. */
  inject(input: MachineInput): this {
    if (!this.machine.inject(input)) throw new Error(`testing: the machine refused a '${input.kind}' input`);
    return this;
  }

  expectExit(exit: RunExit): this {
    if (this.lastExit !== exit) throw new Error(`expected run() to return '${exit}', got '${this.lastExit}'${this._faultText()}`);
    return this;
  }

  expectStatus(status: MachineStatus): this {
    if (this.machine.status !== status) throw new Error(`expected status '${status}', got '${this.machine.status}'${this._faultText()}`);
    return this;
  }

  /** Registers compare as 32-bit patterns: -1 and 0xffffffff are the same value. */
  expectRegs(regs: Partial<Record<RegName, number>>): this {
    const bad: string[] = [];
    for (const [name, want] of Object.entries(regs)) {
      const got = this.machine.regs[regIndex(name)]!;
      if (got >>> 0 !== want! >>> 0) bad.push(`${name}: expected ${hex(want!)} (${want! | 0}), got ${hex(got)} (${got})`);
    }
    if (bad.length > 0) throw new Error(`register mismatch${this._faultText()}\n  ${bad.join('\n  ')}`);
    return this;
  }

  expectMem(addr: Addr, bytes: ArrayLike<number> | string): this {
    const a = this._addr(addr);
    const want = bytesOf(bytes);
    const got = Array.from(this.machine.mem.subarray(a, a + want.length));
    if (got.length !== want.length || got.some((g, i) => g !== (want[i]! & 0xff))) {
      throw new Error(`memory at ${hex(a)}: expected [${want.map(hex).join(' ')}], got [${got.map(hex).join(' ')}]`);
    }
    return this;
  }

  expectWord(addr: Addr, value: number): this {
    const got = this.word(addr);
    if (got !== value >>> 0) throw new Error(`word at ${hex(this._addr(addr))}: expected ${hex(value)}, got ${hex(got)}`);
    return this;
  }

  expectPc(addr: Addr): this {
    const a = this._addr(addr);
    if (this.machine.pc >>> 0 !== a >>> 0) throw new Error(`expected pc ${hex(a)}, got ${hex(this.machine.pc)}${this._faultText()}`);
    return this;
  }

  expectIcount(n: number): this {
    if (this.machine.icount !== n) throw new Error(`expected icount ${n}, got ${this.machine.icount}${this._faultText()}`);
    return this;
  }

  expectConsole(text: string): this {
    if (this.host.consoleText !== text) throw new Error(`expected console ${JSON.stringify(text)}, got ${JSON.stringify(this.host.consoleText)}`);
    return this;
  }

  /** The machine faulted with a reason matching `reason`, and (if given) at this pc and icount. */
  expectFault(reason: string | RegExp, at: { pc?: Addr; icount?: number } = {}): Fault {
    const f = this.machine.fault;
    if (!f) throw new Error(`expected a fault matching ${String(reason)}, but the machine is ${this.machine.status}`);
    const ok = typeof reason === 'string' ? f.reason.includes(reason) : reason.test(f.reason);
    if (!ok) throw new Error(`expected a fault matching ${String(reason)}, got '${f.reason}'`);
    if (at.pc !== undefined && f.pc !== this._addr(at.pc)) throw new Error(`expected the fault at pc ${hex(this._addr(at.pc))}, got ${hex(f.pc)}`);
    if (at.icount !== undefined && f.icount !== at.icount) throw new Error(`expected the fault at icount ${at.icount}, got ${f.icount}`);
    return f;
  }

  private _faultText(): string {
    const f = this.machine.fault;
    return f ? ` (fault at ${hex(f.pc)}, icount ${f.icount}: ${f.reason})` : '';
  }
}

/** Assemble `source` and load it on a fresh machine with a recording host (not run yet). */
export function runAsm(source: string, options: AsmOptions = {}): AsmRun {
  return new AsmRun(source, options);
}
