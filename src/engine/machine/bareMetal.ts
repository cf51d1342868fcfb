// The bare-metal host: one machine, no FT. It serves every door directly on a virtual clock:
// timer ticks, an in-memory disk, a receive queue for frames, a seeded random source. Used by
// tests, the first page and benchmarks; the FT hypervisors replace it with logging hosts.

import { Rng } from '../util/rng';
import { DISK_BLOCKS as ISA_DISK_BLOCKS, DISK_BLOCK_SIZE as ISA_DISK_BLOCK_SIZE, PORT } from './isa';
import { Machine, type DiskRequest, type MachineHost } from './machine';

// Local copies: an imported binding is a getter under tsx and Vitest (see machine.ts).
const DISK_BLOCKS = ISA_DISK_BLOCKS;
const DISK_BLOCK_SIZE = ISA_DISK_BLOCK_SIZE;
const P_CLOCK = PORT.CLOCK;

export interface BareMetalOptions {
  /** Guest instructions per virtual millisecond (the machine's speed). */
  readonly instructionsPerMs?: number;
  /** Virtual ms a disk request takes. */
  readonly diskLatencyMs?: number;
  /** Wall-clock value the CLOCK port reads at virtual time 0. */
  readonly clockBase?: number;
  readonly seed?: number;
}

export class BareMetal implements MachineHost {
  readonly machine: Machine;
  /** Virtual time in ms. */
  now = 0;
  readonly ipms: number;
  readonly diskLatencyMs: number;
  readonly clockBase: number;
  readonly rng: Rng;
  readonly disk = new Uint8Array(DISK_BLOCKS * DISK_BLOCK_SIZE);
  private _console = '';
  /** Bytes printed since `_console` was last brought up to date (a string per byte costs GC). */
  private _conBuf = new Uint8Array(256);
  private _conLen = 0;
  /** Frames the guest sent, in order. */
  readonly sent: Uint8Array[] = [];
  /** Frames waiting for the guest to arm its receive buffer. */
  readonly rxQueue: Uint8Array[] = [];
  onConsole: ((text: string) => void) | null = null;
  onSend: ((frame: Uint8Array) => void) | null = null;
  private _timerPeriod = 0;
  private _nextTick = Infinity;
  private _disk: { at: number; req: DiskRequest } | null = null;

  constructor(image: Uint8Array, opts: BareMetalOptions = {}) {
    this.ipms = opts.instructionsPerMs ?? 1000;
    this.diskLatencyMs = opts.diskLatencyMs ?? 2;
    this.clockBase = opts.clockBase ?? 1_700_000_000;
    this.rng = new Rng(opts.seed ?? 1);
    this.machine = new Machine(this);
    this.machine.load(image);
  }

  readNondet(port: number): number {
    if (port === P_CLOCK) return (this.clockBase + Math.floor(this.now)) | 0;
    return this.rng.nextU32() | 0;
  }

  /** Everything the guest printed. */
  get console(): string {
    if (this._conLen > 0) {
      const buf = this._conBuf;
      let s = '';
      for (let i = 0; i < this._conLen; i += 4096) s += String.fromCharCode(...buf.subarray(i, Math.min(this._conLen, i + 4096)));
      this._console += s;
      this._conLen = 0;
    }
    return this._console;
  }

  consoleWrite(byte: number): void {
    if (this._conLen === this._conBuf.length) {
      const grown = new Uint8Array(this._conBuf.length * 2);
      grown.set(this._conBuf);
      this._conBuf = grown;
    }
    this._conBuf[this._conLen++] = byte;
    if (this.onConsole) this.onConsole(String.fromCharCode(byte));
  }

  netSend(frame: Uint8Array): void {
    this.sent.push(frame);
    this.onSend?.(frame);
  }

  diskStart(req: DiskRequest): void {
    this._disk = { at: this.now + this.diskLatencyMs, req };
  }

  timerSet(periodMs: number): void {
    this._timerPeriod = periodMs;
    this._nextTick = periodMs > 0 ? this.now + periodMs : Infinity;
  }

  /** Queue a frame for the guest's NIC. */
  receive(frame: Uint8Array): void {
    this.rxQueue.push(frame);
  }

  /** Run for `ms` of virtual time (or until the machine halts or faults). */
  runFor(ms: number): void {
    const end = this.now + ms;
    const m = this.machine;
    while (this.now < end && !m.stopped) {
      this._deliverDue();
      const next = Math.min(end, this._nextTick, this._disk?.at ?? Infinity, this.now + 1);
      const budget = Math.max(1, Math.ceil((next - this.now) * this.ipms));
      const before = m.icount;
      const exit = m.run(before + budget);
      const ran = m.icount - before;
      this.now += ran / this.ipms;
      if (exit === 'idle') {
        // Idle: jump to the next event (a queued frame waits for the guest, not for time).
        const wake = Math.min(end, this._nextTick, this._disk?.at ?? Infinity);
        if (this.rxQueue.length > 0 && m.canAccept('packet')) continue;
        this.now = Math.max(this.now, wake);
      }
    }
  }

  /** Run until the guest has sent `n` frames in total (bounded by `maxMs`). */
  runUntilSent(n: number, maxMs = 10_000): void {
    const end = this.now + maxMs;
    while (this.sent.length < n && this.now < end && !this.machine.stopped) this.runFor(1);
  }

  private _deliverDue(): void {
    const m = this.machine;
    if (this._disk && this._disk.at <= this.now) {
      const { req } = this._disk;
      this._disk = null;
      const ok = req.block < DISK_BLOCKS;
      const off = req.block * DISK_BLOCK_SIZE;
      if (ok && req.op === 'write' && req.data) this.disk.set(req.data, off);
      m.inject(ok && req.op === 'read' ? { kind: 'disk', ok, data: this.disk.slice(off, off + DISK_BLOCK_SIZE) } : { kind: 'disk', ok });
    }
    if (this._nextTick <= this.now) {
      m.inject({ kind: 'timer' });
      this._nextTick += this._timerPeriod;
      if (this._nextTick <= this.now) this._nextTick = this.now + this._timerPeriod;
    }
    if (this.rxQueue.length > 0 && m.canAccept('packet')) m.inject({ kind: 'packet', frame: this.rxQueue.shift()! });
  }
}
