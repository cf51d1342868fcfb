// Test helpers: run a shipped program on a bare-metal host and talk to it in frames, on virtual
// time. Used by the programs' tests; small enough to read before the tests that use it.

import { BareMetal, type BareMetalOptions } from '../machine/bareMetal';
import { DISK_BLOCK_SIZE } from '../machine/isa';
import { shippedProgram, type ProgramName } from './index';
import { decodeFrame, encodeFrame, type Frame } from './protocol';

export interface GuestOptions extends BareMetalOptions {
  /** A disk image to start from (copied in before the guest runs). */
  readonly disk?: Uint8Array;
}

/** A shipped program running on its own bare-metal host. */
export class Guest {
  readonly bm: BareMetal;
  readonly symbols: ReadonlyMap<string, number>;
  private readonly _nextReq = new Map<number, number>();

  constructor(name: ProgramName, opts: GuestOptions = {}) {
    const prog = shippedProgram(name);
    this.bm = new BareMetal(prog.image, opts);
    if (opts.disk) this.bm.disk.set(opts.disk);
    this.symbols = prog.symbols;
  }

  get console(): string {
    return this.bm.console;
  }

  /** Complete console lines so far. */
  lines(): string[] {
    const parts = this.bm.console.split('\n');
    parts.pop();
    return parts;
  }

  /** Throw if the guest has stopped (a server never halts). */
  checkAlive(): void {
    const m = this.bm.machine;
    if (m.fault) throw new Error(`guest faulted at pc 0x${m.fault.pc.toString(16)}: ${m.fault.reason}`);
    if (m.halted) throw new Error('guest halted');
  }

  /** Run for `ms` of virtual time. */
  run(ms: number): void {
    this.bm.runFor(ms);
    this.checkAlive();
  }

  /** Run until virtual time `t` (ms). */
  runTo(t: number): void {
    if (t > this.bm.now) this.run(t - this.bm.now);
  }

  /** Run until the console contains `text`; returns the virtual time it took. */
  runUntilConsole(text: string, maxMs = 5_000): number {
    const start = this.bm.now;
    while (!this.bm.console.includes(text)) {
      if (this.bm.now - start >= maxMs) throw new Error(`console never showed ${JSON.stringify(text)} within ${maxMs} ms`);
      this.run(1);
    }
    return this.bm.now - start;
  }

  /** Queue a raw frame for the guest's NIC. */
  sendRaw(frame: Uint8Array): void {
    this.bm.receive(frame);
  }

  /** Send `text` as client `client` and run until the reply comes back; returns the reply text. */
  request(text: string, client = 1, reqId = this._takeReqId(client), maxMs = 1_000): string {
    return this.requestFrame(encodeFrame(client, reqId, text), maxMs).text;
  }

  /** Send a frame and run until the guest replies with the same client and request id. */
  requestFrame(frame: Uint8Array, maxMs = 1_000): Frame {
    const want = decodeFrame(frame);
    if (!want) throw new Error('requestFrame needs a frame with a header');
    const from = this.bm.sent.length;
    this.bm.receive(frame);
    const start = this.bm.now;
    for (;;) {
      for (let i = from; i < this.bm.sent.length; i++) {
        const f = decodeFrame(this.bm.sent[i]!);
        if (f && f.client === want.client && f.reqId === want.reqId) return f;
      }
      if (this.bm.now - start >= maxMs) {
        throw new Error(`no reply to c${want.client}#${want.reqId} ${JSON.stringify(want.text)} within ${maxMs} ms`);
      }
      this.run(1);
    }
  }

  /** Read a word of guest memory at a symbol (e.g. a counter the program keeps). */
  word(symbol: string): number {
    const addr = this.symbols.get(symbol);
    if (addr === undefined) throw new Error(`no symbol ${symbol}`);
    const m = this.bm.machine.mem;
    return (m[addr]! | (m[addr + 1]! << 8) | (m[addr + 2]! << 16) | (m[addr + 3]! << 24)) >>> 0;
  }

  private _takeReqId(client: number): number {
    const id = this._nextReq.get(client) ?? 1;
    this._nextReq.set(client, (id + 1) & 0xffff);
    return id;
  }
}

/** The text of a disk block up to its first NUL byte. */
export function blockText(disk: Uint8Array, block: number): string {
  let s = '';
  const end = (block + 1) * DISK_BLOCK_SIZE;
  for (let i = block * DISK_BLOCK_SIZE; i < end && disk[i] !== 0; i++) s += String.fromCharCode(disk[i]!);
  return s;
}

/** Write `text` NUL-padded into a disk block (to build disk images by hand). */
export function writeBlock(disk: Uint8Array, block: number, text: string): void {
  if (text.length > DISK_BLOCK_SIZE) throw new RangeError(`${text.length} bytes do not fit a block`);
  const off = block * DISK_BLOCK_SIZE;
  disk.fill(0, off, off + DISK_BLOCK_SIZE);
  for (let i = 0; i < text.length; i++) disk[off + i] = text.charCodeAt(i) & 0xff;
}
