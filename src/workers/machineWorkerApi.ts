// The first page's worker: one bare-metal machine, no FT. A thin adapter: it owns the clock that
// maps wall time to virtual time and posts a view of the machine at most once per frame.

import { BareMetal } from '../engine/machine/bareMetal';
import { formatAsmError } from '../engine/machine/assembler';
import { disassemble } from '../engine/machine/disassembler';
import { registerName } from '../engine/machine/isa';
import { PROGRAM_SOURCES, assembleProgram, type ProgramName } from '../engine/programs/index';
import { decodeFrame, encodeFrame } from '../engine/programs/protocol';

export interface DisasmRow {
  readonly addr: number;
  readonly text: string;
  readonly current: boolean;
}

export interface MachineView {
  readonly program: string;
  readonly running: boolean;
  readonly icount: number;
  readonly pc: number;
  readonly regs: readonly { name: string; value: number }[];
  readonly status: string;
  readonly fault: string | null;
  readonly disasm: readonly DisasmRow[];
  /** Console output since the previous view. */
  readonly consoleChunk: string;
  /** Replies since the previous view. */
  readonly replies: readonly { reqId: number; text: string }[];
  readonly virtualMs: number;
  /** Guest instructions per wall-clock second, measured. */
  readonly ips: number;
}

export type LoadResult = { ok: true } | { ok: false; errors: string[] };

const FRAME_MS = 16;

export class MachineWorkerApi {
  private _bm: BareMetal | null = null;
  private _program = '';
  private _running = true;
  /** Virtual ms per wall ms. */
  private _speed = 1;
  private _console = '';
  private _replies: { reqId: number; text: string }[] = [];
  private _listener: ((v: MachineView) => void) | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _reqId = 0;
  private _ips = 0;

  load(name: string, source?: string): LoadResult {
    const text = source ?? PROGRAM_SOURCES[name as ProgramName];
    if (text === undefined) return { ok: false, errors: [`1:1: no program named '${name}'`] };
    const r = assembleProgram(text);
    if (!r.ok) return { ok: false, errors: r.errors.map(formatAsmError) };
    this._bm = new BareMetal(r.image, { instructionsPerMs: 1000, seed: 7 });
    this._bm.onConsole = (ch) => {
      this._console += ch;
    };
    this._bm.onSend = (frame) => {
      const f = decodeFrame(frame);
      if (f) this._replies.push({ reqId: f.reqId, text: f.text });
    };
    this._program = name;
    this._running = true;
    this._console = '';
    this._replies = [];
    this._post();
    return { ok: true };
  }

  subscribe(listener: (v: MachineView) => void): void {
    this._listener = listener;
    this._schedule();
    this._post();
  }

  setRunning(running: boolean): void {
    this._running = running;
    this._post();
  }

  setSpeed(virtualMsPerWallMs: number): void {
    this._speed = Math.max(0.001, Math.min(100, virtualMsPerWallMs));
  }

  step(): void {
    if (!this._bm) return;
    this._running = false;
    this._bm.machine.step();
    this._post();
  }

  /** Send a request frame to the guest as client 1; returns its request id. */
  send(text: string): number {
    const id = ++this._reqId & 0xffff;
    this._bm?.receive(encodeFrame(1, id, text));
    return id;
  }

  private _schedule(): void {
    if (this._timer !== null) return;
    const tick = (): void => {
      this._timer = setTimeout(tick, FRAME_MS);
      if (!this._bm || !this._running || this._bm.machine.stopped) return;
      const before = this._bm.machine.icount;
      const t0 = performance.now();
      this._bm.runFor(FRAME_MS * this._speed);
      const dt = performance.now() - t0;
      const ran = this._bm.machine.icount - before;
      if (dt > 0) this._ips = ran / (FRAME_MS / 1000); // instructions per wall second at this speed
      this._post();
    };
    this._timer = setTimeout(tick, FRAME_MS);
  }

  private _post(): void {
    const bm = this._bm;
    if (!bm || !this._listener) return;
    const m = bm.machine;
    const start = Math.max(0, (m.pc & ~3) - 16);
    const disasm = disassemble(m.mem, start, 40).map((l) => ({ addr: l.addr, text: l.text, current: l.addr === m.pc }));
    const view: MachineView = {
      program: this._program,
      running: this._running && !m.stopped,
      icount: m.icount,
      pc: m.pc,
      regs: Array.from(m.regs, (value, i) => ({ name: registerName(i), value })),
      status: m.status,
      fault: m.fault ? `${m.fault.reason} at pc 0x${m.fault.pc.toString(16)}, icount ${m.fault.icount}` : null,
      disasm,
      consoleChunk: this._console,
      replies: this._replies,
      virtualMs: bm.now,
      ips: this._running ? this._ips : 0,
    };
    this._console = '';
    this._replies = [];
    this._listener(view);
  }
}
