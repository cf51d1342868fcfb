// The tiny machine's instruction set as data: the CPU, assembler, disassembler, docs and tests
// all derive from these tables (docs/isa.md describes them in prose).

export const MEM_SIZE = 0x10000; // 64 KiB, byte-addressable
export const STACK_TOP = 0x10000; // sp starts here; the stack grows down
export const STACK_LIMIT = 0xf000; // pushing below this is a stack overflow
export const NUM_REGS = 16; // r0 is hard-wired to zero; r15 is sp
export const SP = 15;
export const DISK_BLOCK_SIZE = 64; // bytes per disk block
export const DISK_BLOCKS = 1024;

/** How the 32-bit instruction word's fields are used: `imm16 | rs<<12 | rd<<8 | op` (see docs/isa.md). */
export type Format =
  | 'none' //       halt
  | 'r' //          push rd
  | 'rr' //         mov rd, rs
  | 'rrr' //        add rd, rs, rt      (rt in imm bits 0..3)
  | 'ri' //         li rd, imm
  | 'rri' //        addi rd, rs, imm
  | 'mem' //        lw rd, [rs+imm]
  | 'branch' //     beq rd, rs, addr
  | 'addr' //       jmp addr
  | 'in' //         in rd, port
  | 'out' //        out port, rd
  | 'vec'; //       setvec source, addr

/** Range of the immediate: signed 16, unsigned 16, absolute address, shift amount, port, source. */
export type ImmKind = 'simm' | 'uimm' | 'addr' | 'shamt' | 'port' | 'irq';

export interface OpInfo {
  readonly op: number;
  readonly mnemonic: string;
  readonly format: Format;
  readonly imm?: ImmKind;
  /** One line for docs and hover help. */
  readonly doc: string;
}

export const OPS = [
  { op: 0x01, mnemonic: 'nop', format: 'none', doc: 'do nothing' },
  { op: 0x02, mnemonic: 'halt', format: 'none', doc: 'stop the machine (normal end)' },
  { op: 0x03, mnemonic: 'wfi', format: 'none', doc: 'enable interrupts and idle until one is delivered' },
  { op: 0x04, mnemonic: 'ei', format: 'none', doc: 'enable interrupts' },
  { op: 0x05, mnemonic: 'di', format: 'none', doc: 'disable interrupts' },
  { op: 0x06, mnemonic: 'iret', format: 'none', doc: 'return from interrupt: pop pc, enable interrupts' },
  { op: 0x07, mnemonic: 'ret', format: 'none', doc: 'pop pc' },
  { op: 0x10, mnemonic: 'mov', format: 'rr', doc: 'rd = rs' },
  { op: 0x11, mnemonic: 'li', format: 'ri', imm: 'uimm', doc: 'rd = imm (zero-extended 16 bits)' },
  { op: 0x12, mnemonic: 'lui', format: 'ri', imm: 'uimm', doc: 'rd = imm << 16' },
  { op: 0x13, mnemonic: 'add', format: 'rrr', doc: 'rd = rs + rt' },
  { op: 0x14, mnemonic: 'sub', format: 'rrr', doc: 'rd = rs - rt' },
  { op: 0x15, mnemonic: 'mul', format: 'rrr', doc: 'rd = rs * rt (low 32 bits)' },
  { op: 0x16, mnemonic: 'divu', format: 'rrr', doc: 'rd = rs / rt (unsigned; rt = 0 faults)' },
  { op: 0x17, mnemonic: 'remu', format: 'rrr', doc: 'rd = rs % rt (unsigned; rt = 0 faults)' },
  { op: 0x18, mnemonic: 'and', format: 'rrr', doc: 'rd = rs & rt' },
  { op: 0x19, mnemonic: 'or', format: 'rrr', doc: 'rd = rs | rt' },
  { op: 0x1a, mnemonic: 'xor', format: 'rrr', doc: 'rd = rs ^ rt' },
  { op: 0x1b, mnemonic: 'shl', format: 'rrr', doc: 'rd = rs << (rt & 31)' },
  { op: 0x1c, mnemonic: 'shr', format: 'rrr', doc: 'rd = rs >>> (rt & 31)' },
  { op: 0x1d, mnemonic: 'sar', format: 'rrr', doc: 'rd = rs >> (rt & 31) (arithmetic)' },
  { op: 0x1e, mnemonic: 'slt', format: 'rrr', doc: 'rd = rs < rt ? 1 : 0 (signed)' },
  { op: 0x1f, mnemonic: 'sltu', format: 'rrr', doc: 'rd = rs < rt ? 1 : 0 (unsigned)' },
  { op: 0x20, mnemonic: 'addi', format: 'rri', imm: 'simm', doc: 'rd = rs + imm (signed 16 bits)' },
  { op: 0x21, mnemonic: 'andi', format: 'rri', imm: 'uimm', doc: 'rd = rs & imm (zero-extended)' },
  { op: 0x22, mnemonic: 'ori', format: 'rri', imm: 'uimm', doc: 'rd = rs | imm (zero-extended)' },
  { op: 0x23, mnemonic: 'xori', format: 'rri', imm: 'uimm', doc: 'rd = rs ^ imm (zero-extended)' },
  { op: 0x24, mnemonic: 'shli', format: 'rri', imm: 'shamt', doc: 'rd = rs << imm' },
  { op: 0x25, mnemonic: 'shri', format: 'rri', imm: 'shamt', doc: 'rd = rs >>> imm' },
  { op: 0x26, mnemonic: 'sari', format: 'rri', imm: 'shamt', doc: 'rd = rs >> imm (arithmetic)' },
  { op: 0x27, mnemonic: 'slti', format: 'rri', imm: 'simm', doc: 'rd = rs < imm ? 1 : 0 (signed)' },
  { op: 0x30, mnemonic: 'lw', format: 'mem', imm: 'simm', doc: 'rd = word at rs + imm (4-aligned)' },
  { op: 0x31, mnemonic: 'sw', format: 'mem', imm: 'simm', doc: 'word at rs + imm = rd (4-aligned)' },
  { op: 0x32, mnemonic: 'lb', format: 'mem', imm: 'simm', doc: 'rd = byte at rs + imm (sign-extended)' },
  { op: 0x33, mnemonic: 'lbu', format: 'mem', imm: 'simm', doc: 'rd = byte at rs + imm (zero-extended)' },
  { op: 0x34, mnemonic: 'sb', format: 'mem', imm: 'simm', doc: 'byte at rs + imm = rd & 255' },
  { op: 0x38, mnemonic: 'beq', format: 'branch', imm: 'addr', doc: 'if rd == rs jump to addr' },
  { op: 0x39, mnemonic: 'bne', format: 'branch', imm: 'addr', doc: 'if rd != rs jump to addr' },
  { op: 0x3a, mnemonic: 'blt', format: 'branch', imm: 'addr', doc: 'if rd < rs (signed) jump to addr' },
  { op: 0x3b, mnemonic: 'bge', format: 'branch', imm: 'addr', doc: 'if rd >= rs (signed) jump to addr' },
  { op: 0x3c, mnemonic: 'bltu', format: 'branch', imm: 'addr', doc: 'if rd < rs (unsigned) jump to addr' },
  { op: 0x3d, mnemonic: 'bgeu', format: 'branch', imm: 'addr', doc: 'if rd >= rs (unsigned) jump to addr' },
  { op: 0x40, mnemonic: 'jmp', format: 'addr', imm: 'addr', doc: 'jump to addr' },
  { op: 0x41, mnemonic: 'call', format: 'addr', imm: 'addr', doc: 'push return address, jump to addr' },
  { op: 0x42, mnemonic: 'jr', format: 'r', doc: 'jump to the address in rd' },
  { op: 0x43, mnemonic: 'callr', format: 'r', doc: 'push return address, jump to the address in rd' },
  { op: 0x44, mnemonic: 'push', format: 'r', doc: 'sp -= 4; word at sp = rd' },
  { op: 0x45, mnemonic: 'pop', format: 'r', doc: 'rd = word at sp; sp += 4' },
  { op: 0x48, mnemonic: 'in', format: 'in', imm: 'port', doc: 'rd = read device port' },
  { op: 0x49, mnemonic: 'out', format: 'out', imm: 'port', doc: 'write rd to device port' },
  { op: 0x4a, mnemonic: 'setvec', format: 'vec', imm: 'addr', doc: 'interrupt source rd jumps to addr (0 = none)' },
] as const satisfies readonly OpInfo[];

export type Mnemonic = (typeof OPS)[number]['mnemonic'];

/** Opcode numbers by mnemonic, for the CPU's switch and tests. */
export const OP = Object.fromEntries(OPS.map((o) => [o.mnemonic, o.op])) as { readonly [M in Mnemonic]: number };

export const OP_BY_MNEMONIC: ReadonlyMap<string, OpInfo> = new Map(OPS.map((o) => [o.mnemonic, o]));
export const OP_BY_CODE: ReadonlyMap<number, OpInfo> = new Map(OPS.map((o) => [o.op, o]));

/** Interrupt sources; a lower number has priority. */
export const IRQ = { TIMER: 0, NIC: 1, DISK: 2 } as const;
export const NUM_IRQS = 3;

/**
 * What kind of door a port is. `nondet` reads are non-deterministic instructions (logged on the
 * primary, replayed from the log on the backup); `output` writes leave the machine; `device`
 * ports only change device state inside the machine.
 */
export type PortDoor = 'nondet' | 'output' | 'device';

export interface PortInfo {
  readonly port: number;
  readonly name: string;
  readonly dir: 'in' | 'out';
  readonly door: PortDoor;
  readonly doc: string;
}

export const PORTS = [
  { port: 0x01, name: 'CONSOLE', dir: 'out', door: 'output', doc: 'write one character to the console' },
  { port: 0x10, name: 'TIMER_PERIOD', dir: 'out', door: 'device', doc: 'timer interrupt period in ms (0 stops it)' },
  { port: 0x20, name: 'NIC_RX_ADDR', dir: 'out', door: 'device', doc: 'address of the receive buffer' },
  { port: 0x21, name: 'NIC_RX_CAP', dir: 'out', door: 'device', doc: 'receive buffer size; writing it arms receive' },
  { port: 0x22, name: 'NIC_RX_LEN', dir: 'in', door: 'device', doc: 'length of the frame last received' },
  { port: 0x23, name: 'NIC_TX_ADDR', dir: 'out', door: 'device', doc: 'address of the frame to send' },
  { port: 0x24, name: 'NIC_TX_SEND', dir: 'out', door: 'output', doc: 'send a frame of this many bytes' },
  { port: 0x30, name: 'DISK_ADDR', dir: 'out', door: 'device', doc: 'memory address of the block buffer' },
  { port: 0x31, name: 'DISK_BLOCK', dir: 'out', door: 'device', doc: 'block number' },
  { port: 0x32, name: 'DISK_CMD', dir: 'out', door: 'output', doc: '1 = read, 2 = write; completes with a DISK interrupt' },
  { port: 0x33, name: 'DISK_STATUS', dir: 'in', door: 'device', doc: '0 = ready, 1 = busy, 2 = error' },
  { port: 0x40, name: 'CLOCK', dir: 'in', door: 'nondet', doc: 'wall-clock time in ms (non-deterministic)' },
  { port: 0x41, name: 'RANDOM', dir: 'in', door: 'nondet', doc: 'a random 32-bit number (non-deterministic)' },
] as const satisfies readonly PortInfo[];

export type PortName = (typeof PORTS)[number]['name'];
export const PORT = Object.fromEntries(PORTS.map((p) => [p.name, p.port])) as { readonly [N in PortName]: number };
export const PORT_BY_CODE: ReadonlyMap<number, PortInfo> = new Map(PORTS.map((p) => [p.port, p]));

export const DISK_CMD = { READ: 1, WRITE: 2 } as const;
export const DISK_STATUS = { READY: 0, BUSY: 1, ERROR: 2 } as const;

/** Names the assembler knows without a definition: ports, interrupt sources, disk codes, memory layout. */
export const PREDEFINED_SYMBOLS: ReadonlyMap<string, number> = new Map<string, number>([
  ...PORTS.map((p) => [p.name, p.port] as [string, number]),
  ['IRQ_TIMER', IRQ.TIMER],
  ['IRQ_NIC', IRQ.NIC],
  ['IRQ_DISK', IRQ.DISK],
  ['DISK_READ', DISK_CMD.READ],
  ['DISK_WRITE', DISK_CMD.WRITE],
  ['DISK_READY', DISK_STATUS.READY],
  ['DISK_BUSY', DISK_STATUS.BUSY],
  ['DISK_ERROR', DISK_STATUS.ERROR],
  ['DISK_BLOCK_SIZE', DISK_BLOCK_SIZE],
  ['DISK_BLOCKS', DISK_BLOCKS],
  ['STACK_LIMIT', STACK_LIMIT],
  ['MEM_SIZE', MEM_SIZE],
]);

export function immRange(kind: ImmKind): readonly [number, number] {
  switch (kind) {
    case 'simm':
      return [-0x8000, 0x7fff];
    case 'uimm':
    case 'addr':
      return [0, 0xffff];
    case 'shamt':
      return [0, 31];
    case 'port':
      return [0, 0xff];
    case 'irq':
      return [0, NUM_IRQS - 1];
  }
}

export function encode(op: number, rd = 0, rs = 0, imm = 0): number {
  return ((imm & 0xffff) << 16) | ((rs & 15) << 12) | ((rd & 15) << 8) | (op & 0xff);
}

export function registerName(r: number): string {
  return r === SP ? 'sp' : `r${r}`;
}
