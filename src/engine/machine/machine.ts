// The tiny machine: a deterministic function of its state and of the inputs injected into it at
// instruction boundaries. Every way the outside world gets in (non-deterministic reads, device
// inputs) or out (console, network, disk) is a call on its host: those calls are the "doors" the
// FT hypervisor logs (FT paper §2.1). No exception ever escapes: bad guest behaviour faults.

import * as isa from './isa';

// Module-local copies of the ISA constants the interpreter reads. Under tsx and Vitest an imported
// binding is a getter on the module object; read once per instruction it cost a third of the
// interpreter's time (bench/machine.ts profile). A module-level const is still a load from the
// closure's context, though, so run()'s hot loop spells the few it uses as literals (checked below).
const MEM_SIZE = isa.MEM_SIZE;
const SP = isa.SP;
const STACK_LIMIT = isa.STACK_LIMIT;
const STACK_TOP = isa.STACK_TOP;
const NUM_IRQS = isa.NUM_IRQS;
const DISK_BLOCK_SIZE = isa.DISK_BLOCK_SIZE;
const DISK_READ = isa.DISK_CMD.READ;
const DISK_WRITE = isa.DISK_CMD.WRITE;
const DISK_READY = isa.DISK_STATUS.READY;
const DISK_BUSY = isa.DISK_STATUS.BUSY;
const DISK_ERROR = isa.DISK_STATUS.ERROR;
const OP_IN = isa.OP.in;
const OP_SETVEC = isa.OP.setvec;
const P_CONSOLE = isa.PORT.CONSOLE;
const P_TIMER_PERIOD = isa.PORT.TIMER_PERIOD;
const P_NIC_RX_ADDR = isa.PORT.NIC_RX_ADDR;
const P_NIC_RX_CAP = isa.PORT.NIC_RX_CAP;
const P_NIC_RX_LEN = isa.PORT.NIC_RX_LEN;
const P_NIC_TX_ADDR = isa.PORT.NIC_TX_ADDR;
const P_NIC_TX_SEND = isa.PORT.NIC_TX_SEND;
const P_DISK_ADDR = isa.PORT.DISK_ADDR;
const P_DISK_BLOCK = isa.PORT.DISK_BLOCK;
const P_DISK_CMD = isa.PORT.DISK_CMD;
const P_DISK_STATUS = isa.PORT.DISK_STATUS;
/** Per port code: 1 = an input port, 2 = an output port, 0 = none. */
const PORT_DIR = new Uint8Array(0x10000);
for (const p of isa.PORTS) PORT_DIR[p.port] = p.dir === 'in' ? 1 : 2;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('Lockstep machine needs a little-endian host');
}


/** Memory is hashed in pages of 1 KiB (see stateHash). */
const PAGE_SHIFT = 10;
const PAGE_WORDS = (1 << PAGE_SHIFT) >>> 2;
const PAGES = MEM_SIZE >>> PAGE_SHIFT;
if ((MEM_SIZE & (MEM_SIZE - 1)) !== 0) throw new Error('the interpreter\'s address checks need a power-of-two MEM_SIZE');
// The literals run() uses in place of these (see above).
if (MEM_SIZE !== 0x10000 || SP !== 15 || STACK_TOP !== 0x10000 || STACK_LIMIT !== 0xf000 || PAGE_SHIFT !== 10) {
  throw new Error('run() hard-codes MEM_SIZE 0x10000, SP 15, the stack at 0xf000..0x10000 and 1 KiB pages');
}
export interface DiskRequest {
  readonly op: 'read' | 'write';
  readonly block: number;
  /** Guest memory address of the block buffer. */
  readonly addr: number;
  /** The block's bytes for a write (a copy: the bounce buffer of FT paper §3.4). */
  readonly data?: Uint8Array;
}

/** The machine's only ways out. The bare-metal host serves them directly; FT hypervisors log them. */
export interface MachineHost {
  /** A non-deterministic read (CLOCK or RANDOM port). */
  readNondet(port: number): number;
  consoleWrite(byte: number): void;
  netSend(frame: Uint8Array): void;
  diskStart(req: DiskRequest): void;
  /** The guest set the timer period (ms; 0 = off). The host decides when ticks arrive. */
  timerSet(periodMs: number): void;
}

/** Inputs the host injects at the current instruction boundary. */
export type MachineInput =
  | { readonly kind: 'timer' }
  | { readonly kind: 'packet'; readonly frame: Uint8Array }
  | { readonly kind: 'disk'; readonly ok: boolean; readonly data?: Uint8Array };

export interface Fault {
  readonly pc: number;
  readonly icount: number;
  readonly reason: string;
}

export type MachineStatus = 'running' | 'idle' | 'halted' | 'faulted';

/** Why run() returned. */
export type RunExit = 'budget' | 'idle' | 'halted' | 'faulted';

export interface DeviceState {
  timerPeriod: number;
  nicRxAddr: number;
  nicRxCap: number;
  nicRxArmed: boolean;
  nicRxLen: number;
  nicTxAddr: number;
  diskAddr: number;
  diskBlock: number;
  diskStatus: number;
  /**
   * The disk request in flight (started, not completed), if any. A write keeps its bytes as they
   * were when it started (the hypervisor's bounce buffer, FT paper §3.4), so it can be re-issued.
   */
  diskPending: { op: 'read' | 'write'; block: number; addr: number; data?: Uint8Array } | null;
}

export interface MachineSnapshot {
  readonly version: 1;
  readonly mem: Uint8Array;
  readonly regs: Int32Array;
  readonly pc: number;
  readonly icount: number;
  readonly ie: boolean;
  readonly waiting: boolean;
  readonly pending: number;
  readonly vectors: Uint16Array;
  readonly halted: boolean;
  readonly fault: Fault | null;
  readonly dev: DeviceState;
}

function freshDevices(): DeviceState {
  return {
    timerPeriod: 0,
    nicRxAddr: 0,
    nicRxCap: 0,
    nicRxArmed: false,
    nicRxLen: 0,
    nicTxAddr: 0,
    diskAddr: 0,
    diskBlock: 0,
    diskStatus: DISK_READY,
    diskPending: null,
  };
}

const IRQ_TIMER = isa.IRQ.TIMER;
const IRQ_NIC = isa.IRQ.NIC;
const IRQ_DISK = isa.IRQ.DISK;

export class Machine {
  /**
   * Memory, the registers and the dirty-page flags share one buffer, so that run() reaches all
   * three through one typed array (`_mem32`: memory words, then 16 registers from word
   * MEM_SIZE / 4, then a flag word per page). V8 checks and loads a typed array's map, length and
   * base on each access it cannot prove repeated: one array instead of four in the hot loop saves
   * that on most instructions. Guest accesses are bounds-checked to MEM_SIZE as before.
   */
  private readonly _buf = new ArrayBuffer(MEM_SIZE + 16 * 4 + PAGES * 4);
  readonly mem = new Uint8Array(this._buf, 0, MEM_SIZE);
  private readonly _mem32 = new Int32Array(this._buf);
  /**
   * Pages written since their hash was last taken. stateHash() runs every few virtual ms on both
   * VMs; rehashing only what changed keeps it from dominating a run. Every write to memory goes
   * through this class and marks its page (`mem` is read-only to everyone else).
   */
  private readonly _dirty = new Int32Array(this._buf, MEM_SIZE + 16 * 4, PAGES).fill(1);
  private readonly _pageH1 = new Int32Array(PAGES);
  private readonly _pageH2 = new Int32Array(PAGES);
  readonly regs = new Int32Array(this._buf, MEM_SIZE, 16);
  pc = 0;
  /** Retired instructions: the clock of deterministic replay. */
  icount = 0;
  /** Interrupts enabled. */
  ie = false;
  /** Idle in wfi until an interrupt is delivered. */
  waiting = false;
  /** Bit per interrupt source raised and not yet delivered. */
  pending = 0;
  readonly vectors = new Uint16Array(NUM_IRQS);
  halted = false;
  fault: Fault | null = null;
  dev: DeviceState = freshDevices();
  host: MachineHost;

  constructor(host: MachineHost) {
    this.host = host;
    this.regs[SP] = STACK_TOP;
  }

  /** Load a program image at address 0 and reset the CPU. */
  load(image: Uint8Array): void {
    this.mem.fill(0);
    this.mem.set(image.subarray(0, MEM_SIZE));
    this._dirty.fill(1);
    this.regs.fill(0);
    this.regs[SP] = STACK_TOP;
    this.pc = 0;
    this.icount = 0;
    this.ie = false;
    this.waiting = false;
    this.pending = 0;
    this.vectors.fill(0);
    this.halted = false;
    this.fault = null;
    this.dev = freshDevices();
  }

  get status(): MachineStatus {
    if (this.fault) return 'faulted';
    if (this.halted) return 'halted';
    if (this.waiting && !this._deliverable()) return 'idle';
    return 'running';
  }

  get stopped(): boolean {
    return this.halted || this.fault !== null;
  }

  /** Can an input of this kind be injected now? (A packet needs an armed receive buffer.) */
  canAccept(kind: MachineInput['kind']): boolean {
    if (this.stopped) return false;
    if (kind === 'packet') return this.dev.nicRxArmed;
    if (kind === 'disk') return this.dev.diskPending !== null;
    return true;
  }

  /**
   * Inject an input at the current instruction boundary: DMA its data into guest memory and
   * raise its interrupt. Returns false (and changes nothing) if the machine cannot take it now.
   */
  inject(input: MachineInput): boolean {
    if (!this.canAccept(input.kind)) return false;
    const d = this.dev;
    if (input.kind === 'packet') {
      const f = input.frame;
      const n = Math.min(f.length, d.nicRxCap);
      this.mem.set(n === f.length ? f : f.subarray(0, n), d.nicRxAddr); // no view made per packet
      this._touch(d.nicRxAddr, n);
      d.nicRxLen = n;
      d.nicRxArmed = false;
    } else if (input.kind === 'disk') {
      const p = d.diskPending!;
      if (input.ok && p.op === 'read' && input.data) {
        const b = input.data;
        this.mem.set(b.length <= DISK_BLOCK_SIZE ? b : b.subarray(0, DISK_BLOCK_SIZE), p.addr);
        this._touch(p.addr, DISK_BLOCK_SIZE);
      }
      d.diskStatus = input.ok ? DISK_READY : DISK_ERROR;
      d.diskPending = null;
    }
    // A branch rather than a table keyed by the kind string (a keyed load on every input).
    this.pending |= 1 << (input.kind === 'packet' ? IRQ_NIC : input.kind === 'disk' ? IRQ_DISK : IRQ_TIMER);
    return true;
  }

  private _yieldNow = false;
  /** From inside a door (a host callback): return from run() right after this instruction. */
  yieldAfterDoor(): void {
    this._yieldNow = true;
  }

  /** Run until icount reaches `untilIcount`, the machine idles in wfi, halts or faults. */
  run(untilIcount: number): RunExit {
    if (this.fault) return 'faulted';
    if (this.halted) return 'halted';
    this._yieldNow = false; // a request made outside run() is not for this one
    // Every access goes through M32, even to bytes (the host is little-endian, checked above).
    const M32 = this._mem32; // memory words, then the registers at RB and the dirty flags at DB
    const RB = 0x4000; // = MEM_SIZE / 4
    const DB = 0x4010; // the dirty-page flags, after the registers
    let pc = this.pc;
    let ic = this.icount;
    let exit: RunExit = 'budget';

    outer: while (ic < untilIcount) {
      if (this.pending !== 0 && this.ie) {
        this.pc = pc;
        this.icount = ic;
        if (this._dispatchInterrupt()) {
          pc = this.pc;
          if (this.fault) return 'faulted';
        }
      }
      if (this.waiting) {
        exit = 'idle';
        break;
      }
      // The inner loop runs instructions that cannot change pending, ie, waiting or the vectors;
      // those that can (wfi, ei, di, iret, the doors) go back to the checks above.
      do {
        if ((pc & ~0xfffc) !== 0) { // unaligned or outside memory: one test
          this.pc = pc;
          this.icount = ic;
          return this._fault(`pc 0x${(pc >>> 0).toString(16)} is not a valid instruction address`);
        }
        const w = M32[pc >>> 2]!;
        const rd = (w >>> 8) & 15;
        const rs = (w >>> 12) & 15;
        const imm = w >> 16; // sign-extended
        // From here on pc is the next instruction's address (faults report pc - 4): a separate
        // next-pc variable was one more live value, spilled to the stack on every instruction.
        pc = (pc + 4) | 0;
        // Literal opcodes (checked against isa.ts by the table-driven tests) let V8 build a jump table.
        // A case that writes rd re-zeroes r0 right after, where V8 still holds M32's address: done
        // once per instruction after the switch, it cost a reload of the array's fields each time.
        switch (w & 0xff) {
          case 0x01: // nop
            break;
          case 0x02: // halt
            this.halted = true;
            this.pc = pc;
            this.icount = ic + 1;
            return 'halted';
          case 0x03: // wfi
            this.ie = true;
            this.waiting = true;
            ic++;
            continue outer;
          case 0x04: // ei
            this.ie = true;
            ic++;
            continue outer;
          case 0x05: // di
            this.ie = false;
            ic++;
            continue outer;
          case 0x06: { // iret
            const sp = M32[RB + 15]!;
            if (sp >= 0x10000 || sp < 0xf000) return this._faultAt(pc - 4, ic, 'stack underflow in iret');
            pc = M32[sp >>> 2]!;
            M32[RB + 15] = sp + 4;
            this.ie = true;
            ic++;
            continue outer;
          }
          case 0x07: { // ret
            const sp = M32[RB + 15]!;
            if (sp >= 0x10000 || sp < 0xf000) return this._faultAt(pc - 4, ic, 'stack underflow in ret');
            pc = M32[sp >>> 2]!;
            M32[RB + 15] = sp + 4;
            break;
          }
          case 0x10: // mov
            M32[RB + rd] = M32[RB + rs]!; M32[RB] = 0;
            break;
          case 0x11: // li
            M32[RB + rd] = imm & 0xffff; M32[RB] = 0;
            break;
          case 0x12: // lui
            M32[RB + rd] = imm << 16; M32[RB] = 0;
            break;
          case 0x13: // add
            M32[RB + rd] = M32[RB + rs]! + M32[RB + (imm & 15)]!; M32[RB] = 0;
            break;
          case 0x14: // sub
            M32[RB + rd] = M32[RB + rs]! - M32[RB + (imm & 15)]!; M32[RB] = 0;
            break;
          case 0x15: // mul
            M32[RB + rd] = Math.imul(M32[RB + rs]!, M32[RB + (imm & 15)]!); M32[RB] = 0;
            break;
          case 0x16: { // divu
            const b = M32[RB + (imm & 15)]! >>> 0;
            if (b === 0) return this._faultAt(pc - 4, ic, 'division by zero');
            M32[RB + rd] = (M32[RB + rs]! >>> 0) / b; M32[RB] = 0;
            break;
          }
          case 0x17: { // remu
            const b = M32[RB + (imm & 15)]! >>> 0;
            if (b === 0) return this._faultAt(pc - 4, ic, 'division by zero');
            M32[RB + rd] = (M32[RB + rs]! >>> 0) % b; M32[RB] = 0;
            break;
          }
          case 0x18: // and
            M32[RB + rd] = M32[RB + rs]! & M32[RB + (imm & 15)]!; M32[RB] = 0;
            break;
          case 0x19: // or
            M32[RB + rd] = M32[RB + rs]! | M32[RB + (imm & 15)]!; M32[RB] = 0;
            break;
          case 0x1a: // xor
            M32[RB + rd] = M32[RB + rs]! ^ M32[RB + (imm & 15)]!; M32[RB] = 0;
            break;
          case 0x1b: // shl
            M32[RB + rd] = M32[RB + rs]! << M32[RB + (imm & 15)]!; M32[RB] = 0;
            break;
          case 0x1c: // shr
            M32[RB + rd] = M32[RB + rs]! >>> M32[RB + (imm & 15)]!; M32[RB] = 0;
            break;
          case 0x1d: // sar
            M32[RB + rd] = M32[RB + rs]! >> M32[RB + (imm & 15)]!; M32[RB] = 0;
            break;
          case 0x1e: // slt
            M32[RB + rd] = M32[RB + rs]! < M32[RB + (imm & 15)]! ? 1 : 0; M32[RB] = 0;
            break;
          case 0x1f: // sltu
            M32[RB + rd] = M32[RB + rs]! >>> 0 < M32[RB + (imm & 15)]! >>> 0 ? 1 : 0; M32[RB] = 0;
            break;
          case 0x20: // addi
            M32[RB + rd] = M32[RB + rs]! + imm; M32[RB] = 0;
            break;
          case 0x21: // andi
            M32[RB + rd] = M32[RB + rs]! & (imm & 0xffff); M32[RB] = 0;
            break;
          case 0x22: // ori
            M32[RB + rd] = M32[RB + rs]! | (imm & 0xffff); M32[RB] = 0;
            break;
          case 0x23: // xori
            M32[RB + rd] = M32[RB + rs]! ^ (imm & 0xffff); M32[RB] = 0;
            break;
          case 0x24: // shli
            M32[RB + rd] = M32[RB + rs]! << imm; M32[RB] = 0;
            break;
          case 0x25: // shri
            M32[RB + rd] = M32[RB + rs]! >>> imm; M32[RB] = 0;
            break;
          case 0x26: // sari
            M32[RB + rd] = M32[RB + rs]! >> imm; M32[RB] = 0;
            break;
          case 0x27: // slti
            M32[RB + rd] = M32[RB + rs]! < imm ? 1 : 0; M32[RB] = 0;
            break;
          case 0x30: { // lw
            const a = M32[RB + rs]! + imm;
            if ((a & ~0xfffc) !== 0) return this._faultAt(pc - 4, ic, badAccess('lw', a));
            M32[RB + rd] = M32[a >>> 2]!; M32[RB] = 0;
            break;
          }
          case 0x31: { // sw
            const a = M32[RB + rs]! + imm;
            if ((a & ~0xfffc) !== 0) return this._faultAt(pc - 4, ic, badAccess('sw', a));
            M32[a >>> 2] = M32[RB + rd]!;
            M32[DB + (a >>> 10)] = 1;
            break;
          }
          case 0x32: { // lb
            const a = M32[RB + rs]! + imm;
            if ((a & ~0xffff) !== 0) return this._faultAt(pc - 4, ic, badAccess('lb', a));
            M32[RB + rd] = (M32[a >>> 2]! << ((3 - (a & 3)) << 3)) >> 24; M32[RB] = 0; // the byte, sign-extended
            break;
          }
          case 0x33: { // lbu
            const a = M32[RB + rs]! + imm;
            if ((a & ~0xffff) !== 0) return this._faultAt(pc - 4, ic, badAccess('lbu', a));
            M32[RB + rd] = (M32[a >>> 2]! >>> ((a & 3) << 3)) & 0xff; M32[RB] = 0;
            break;
          }
          case 0x34: { // sb
            const a = M32[RB + rs]! + imm;
            if ((a & ~0xffff) !== 0) return this._faultAt(pc - 4, ic, badAccess('sb', a));
            const i = a >>> 2;
            const sh = (a & 3) << 3;
            M32[i] = (M32[i]! & ~(0xff << sh)) | ((M32[RB + rd]! & 0xff) << sh);
            M32[DB + (a >>> 10)] = 1;
            break;
          }
          case 0x38: // beq
            if (M32[RB + rd] === M32[RB + rs]) pc = imm & 0xffff;
            break;
          case 0x39: // bne
            if (M32[RB + rd] !== M32[RB + rs]) pc = imm & 0xffff;
            break;
          case 0x3a: // blt
            if (M32[RB + rd]! < M32[RB + rs]!) pc = imm & 0xffff;
            break;
          case 0x3b: // bge
            if (M32[RB + rd]! >= M32[RB + rs]!) pc = imm & 0xffff;
            break;
          case 0x3c: // bltu
            if (M32[RB + rd]! >>> 0 < M32[RB + rs]! >>> 0) pc = imm & 0xffff;
            break;
          case 0x3d: // bgeu
            if (M32[RB + rd]! >>> 0 >= M32[RB + rs]! >>> 0) pc = imm & 0xffff;
            break;
          case 0x40: // jmp
            pc = imm & 0xffff;
            break;
          case 0x41: { // call
            const sp = M32[RB + 15]! - 4;
            if (sp < 0xf000 || sp >= 0x10000) return this._faultAt(pc - 4, ic, 'stack overflow in call');
            M32[sp >>> 2] = pc;
            M32[DB + (sp >>> 10)] = 1;
            M32[RB + 15] = sp;
            pc = imm & 0xffff;
            break;
          }
          case 0x42: // jr
            pc = M32[RB + rd]!;
            break;
          case 0x43: { // callr
            const sp = M32[RB + 15]! - 4;
            if (sp < 0xf000 || sp >= 0x10000) return this._faultAt(pc - 4, ic, 'stack overflow in callr');
            M32[sp >>> 2] = pc;
            M32[DB + (sp >>> 10)] = 1;
            M32[RB + 15] = sp;
            pc = M32[RB + rd]!;
            break;
          }
          case 0x44: { // push
            const sp = M32[RB + 15]! - 4;
            if (sp < 0xf000 || sp >= 0x10000) return this._faultAt(pc - 4, ic, 'stack overflow in push');
            M32[sp >>> 2] = M32[RB + rd]!;
            M32[DB + (sp >>> 10)] = 1;
            M32[RB + 15] = sp;
            break;
          }
          case 0x45: { // pop
            const sp = M32[RB + 15]!;
            if (sp >= 0x10000 || sp < 0xf000) return this._faultAt(pc - 4, ic, 'stack underflow in pop');
            M32[RB + 15] = sp + 4;
            M32[RB + rd] = M32[sp >>> 2]!; // after the sp update, so `pop sp` loads sp
            M32[RB] = 0;
            break;
          }
          case 0x48: // in
          case 0x49: // out
          case 0x4a: // setvec
            if ((w & 0xff) === 0x49 && (imm & 0xffff) === P_CONSOLE) {
              // The commonest door (a server prints a line per request): no trip through _slowOp.
              this.pc = pc - 4;
              this.icount = ic;
              this.host.consoleWrite(M32[RB + rd]! & 0xff);
              if (this._yieldNow) {
                this._yieldNow = false;
                this.pc = pc;
                this.icount = ic + 1;
                return 'budget';
              }
              ic++;
              continue outer;
            }
            // Doors and rare operations leave the hot loop: the host may look at pc and icount.
            this.pc = pc - 4;
            this.icount = ic;
            if (!this._slowOp(w & 0xff, rd, imm & 0xffff)) return 'faulted';
            if (this._yieldNow) {
              // The host asked to stop after this door (its log buffer just filled).
              this._yieldNow = false;
              M32[RB] = 0;
              this.pc = pc;
              this.icount = ic + 1;
              return 'budget';
            }
            M32[RB] = 0;
            ic++;
            continue outer;
          default:
            return this._faultAt(pc - 4, ic, `invalid opcode 0x${(w & 0xff).toString(16).padStart(2, '0')}`);
        }
        ic++;
      } while (ic < untilIcount);
      break;
    }
    this.pc = pc;
    this.icount = ic;
    return exit;
  }

  /** Execute exactly one instruction (or deliver a pending interrupt and run its first one). */
  step(): RunExit {
    return this.run(this.icount + 1);
  }

  private _deliverable(): boolean {
    if (this.pending === 0) return false;
    for (let s = 0; s < NUM_IRQS; s++) if (this.pending & (1 << s) && this.vectors[s] !== 0) return true;
    return false;
  }

  /** Deliver the highest-priority pending interrupt that has a vector. Returns true if taken. */
  private _dispatchInterrupt(): boolean {
    for (let s = 0; s < NUM_IRQS; s++) {
      if ((this.pending & (1 << s)) === 0) continue;
      const v = this.vectors[s]!;
      if (v === 0) continue; // no handler: stays pending until one is set
      const sp = this.regs[SP]! - 4;
      if (sp < STACK_LIMIT || sp >= STACK_TOP) {
        this._fault('stack overflow on interrupt entry');
        return true;
      }
      this._mem32[sp >>> 2] = this.pc;
      this._dirty[sp >>> PAGE_SHIFT] = 1;
      this.regs[SP] = sp;
      this.pending &= ~(1 << s);
      this.ie = false;
      this.waiting = false;
      this.pc = v;
      return true;
    }
    return false;
  }

  /** in/out/setvec: state is synced (pc, icount) so the host can log the door at this boundary. */
  private _slowOp(op: number, rd: number, imm: number): boolean {
    const R = this.regs;
    const d = this.dev;
    if (op === OP_SETVEC) {
      if (rd >= NUM_IRQS) return this._deny(`no interrupt source ${rd}`);
      this.vectors[rd] = imm;
      return true;
    }
    const isIn = op === OP_IN;
    if (PORT_DIR[imm] !== (isIn ? 1 : 2)) return this._deny(`no ${isIn ? 'input' : 'output'} port 0x${imm.toString(16)}`);
    if (isIn) {
      let v: number;
      switch (imm) {
        case P_NIC_RX_LEN:
          v = d.nicRxLen;
          break;
        case P_DISK_STATUS:
          v = d.diskStatus;
          break;
        default:
          v = this.host.readNondet(imm) | 0; // CLOCK, RANDOM
      }
      R[rd] = v;
      R[0] = 0;
      return true;
    }
    const v = R[rd]!;
    switch (imm) {
      case P_CONSOLE:
        this.host.consoleWrite(v & 0xff);
        return true;
      case P_TIMER_PERIOD:
        d.timerPeriod = v >>> 0;
        this.host.timerSet(d.timerPeriod);
        return true;
      case P_NIC_RX_ADDR:
        // Moving an armed buffer must keep it inside memory (inject DMAs there).
        if (d.nicRxArmed && (v >>> 0) + d.nicRxCap > MEM_SIZE) return this._deny(`receive buffer out of memory`);
        d.nicRxAddr = v >>> 0;
        return true;
      case P_NIC_RX_CAP:
        if (v <= 0 || d.nicRxAddr + v > MEM_SIZE) return this._deny(`receive buffer out of memory`);
        d.nicRxCap = v;
        d.nicRxArmed = true;
        return true;
      case P_NIC_TX_ADDR:
        d.nicTxAddr = v >>> 0;
        return true;
      case P_NIC_TX_SEND: {
        if (v < 0 || d.nicTxAddr + v > MEM_SIZE) return this._deny(`transmit frame out of memory`);
        this.host.netSend(this.mem.slice(d.nicTxAddr, d.nicTxAddr + v));
        return true;
      }
      case P_DISK_ADDR:
        d.diskAddr = v >>> 0;
        return true;
      case P_DISK_BLOCK:
        d.diskBlock = v >>> 0;
        return true;
      case P_DISK_CMD: {
        if (d.diskPending) return true; // busy: ignored (the guest waits for the completion interrupt)
        if (v !== DISK_READ && v !== DISK_WRITE) return this._deny(`bad disk command ${v}`);
        if (d.diskAddr + DISK_BLOCK_SIZE > MEM_SIZE) return this._deny('disk buffer out of memory');
        const op = v === DISK_READ ? 'read' : 'write';
        const req: DiskRequest =
          op === 'write'
            ? { op, block: d.diskBlock, addr: d.diskAddr, data: this.mem.slice(d.diskAddr, d.diskAddr + DISK_BLOCK_SIZE) }
            : { op, block: d.diskBlock, addr: d.diskAddr };
        d.diskPending = req.data ? { op, block: d.diskBlock, addr: d.diskAddr, data: req.data } : { op, block: d.diskBlock, addr: d.diskAddr };
        d.diskStatus = DISK_BUSY;
        this.host.diskStart(req);
        return true;
      }
    }
    return true;
  }

  private _deny(reason: string): false {
    this._fault(reason);
    return false;
  }

  private _faultAt(pc: number, ic: number, reason: string): RunExit {
    this.pc = pc;
    this.icount = ic;
    return this._fault(reason);
  }

  private _fault(reason: string): RunExit {
    this.fault = { pc: this.pc >>> 0, icount: this.icount, reason };
    return 'faulted';
  }

  snapshot(): MachineSnapshot {
    return {
      version: 1,
      mem: this.mem.slice(),
      regs: this.regs.slice(),
      pc: this.pc,
      icount: this.icount,
      ie: this.ie,
      waiting: this.waiting,
      pending: this.pending,
      vectors: this.vectors.slice(),
      halted: this.halted,
      fault: this.fault,
      dev: { ...this.dev, diskPending: this.dev.diskPending && { ...this.dev.diskPending } },
    };
  }

  restore(s: MachineSnapshot): void {
    this.mem.set(s.mem);
    this._dirty.fill(1);
    this.regs.set(s.regs);
    this.pc = s.pc;
    this.icount = s.icount;
    this.ie = s.ie;
    this.waiting = s.waiting;
    this.pending = s.pending;
    this.vectors.set(s.vectors);
    this.halted = s.halted;
    this.fault = s.fault;
    this.dev = { ...s.dev, diskPending: s.dev.diskPending && { ...s.dev.diskPending } };
  }

  /**
   * Code outside the machine that writes `mem` directly (tests, tools) must say so, or stateHash()
   * keeps the old hash of those pages. With no arguments: all of memory.
   */
  markWritten(addr = 0, len = MEM_SIZE): void {
    this._touch(addr, len);
  }

  /** Mark the pages of [addr, addr + len) written (DMA). */
  private _touch(addr: number, len: number): void {
    if (len <= 0) return;
    const last = Math.min(PAGES - 1, (addr + len - 1) >>> PAGE_SHIFT);
    for (let p = addr >>> PAGE_SHIFT; p <= last; p++) this._dirty[p] = 1;
  }

  /** A 64-bit hash (16 hex digits) of everything that determines future execution. */
  stateHash(): string {
    // Two 32-bit lanes over the pages' own two-lane hashes (a page is rehashed only when written).
    const m = this._mem32;
    const D = this._dirty;
    const P1 = this._pageH1;
    const P2 = this._pageH2;
    let h1 = 0x9e3779b9 | 0;
    let h2 = 0x85ebca6b | 0;
    for (let p = 0; p < PAGES; p++) {
      if (D[p] !== 0) {
        let a1 = 0x9e3779b9 | 0;
        let a2 = 0x85ebca6b | 0;
        const end = (p + 1) * PAGE_WORDS;
        for (let i = p * PAGE_WORDS; i < end; i++) {
          const v = m[i]!;
          a1 = Math.imul(a1 ^ v, 0x01000193);
          a2 = Math.imul(a2 + v, 0x5bd1e995) ^ (a2 >>> 13);
        }
        P1[p] = a1;
        P2[p] = a2;
        D[p] = 0;
      }
      h1 = Math.imul(h1 ^ P1[p]!, 0x01000193);
      h2 = Math.imul(h2 + P2[p]!, 0x5bd1e995) ^ (h2 >>> 13);
    }
    const d = this.dev;
    const tail = [
      ...this.regs,
      ...this.vectors,
      this.pc,
      this.icount % 0x100000000,
      Math.floor(this.icount / 0x100000000),
      (this.ie ? 1 : 0) | (this.waiting ? 2 : 0) | (this.halted ? 4 : 0) | (this.fault ? 8 : 0),
      this.pending,
      d.timerPeriod,
      d.nicRxAddr,
      d.nicRxCap,
      d.nicRxArmed ? 1 : 0,
      d.nicRxLen,
      d.nicTxAddr,
      d.diskAddr,
      d.diskBlock,
      d.diskStatus,
      d.diskPending ? (d.diskPending.op === 'read' ? 1 : 2) : 0,
      d.diskPending ? d.diskPending.block : 0,
      d.diskPending ? d.diskPending.addr : 0, // where the completion's DMA will land
    ];
    for (const v of tail) {
      h1 = Math.imul(h1 ^ v, 0x01000193);
      h2 = Math.imul(h2 + v, 0x5bd1e995) ^ (h2 >>> 13);
    }
    h1 ^= h2 >>> 7;
    return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
  }

}

function badAccess(op: string, a: number): string {
  const addr = `0x${(a >>> 0).toString(16)}`;
  if (a >>> 0 >= MEM_SIZE) return `${op} address ${addr} is outside memory`;
  return `${op} address ${addr} is not 4-aligned`;
}
