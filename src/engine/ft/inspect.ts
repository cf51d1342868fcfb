// What the UI can see of one VM, built from its hypervisor: one function for both runtimes
// (a VM worker, the in-page simulator), so the panels never care which one runs.

import { disassemble } from '../machine/disassembler';
import type { Hypervisor } from './hypervisor';
import type { LogEntryKind, OutputKind } from './log';
import type { NodeId } from './messages';
import type { Role, StallReason } from './trace';

export interface EntryView {
  readonly seq: number;
  readonly icount: number;
  readonly kind: LogEntryKind;
}

/** What the UI can see of one VM (polled, at most once per frame). */
export interface VmInspect {
  readonly id: NodeId;
  readonly role: Role;
  readonly peer: NodeId | null;
  readonly paused: boolean;
  readonly status: string;
  readonly stall: StallReason | null;
  readonly haltReason: string;
  readonly icount: number;
  readonly pc: number;
  readonly regs: readonly number[];
  readonly disasm: readonly { addr: number; text: string; current: boolean }[];
  /** The VM's log buffer: the primary's unsent entries, or the backup's received, unreplayed ones. */
  readonly buffer: readonly EntryView[];
  readonly bufferCapacity: number;
  /** The first outputs held by the Output Rule (at most 64: a guest may hold thousands), and how many in all. */
  readonly held: readonly { seq: number; kind: OutputKind; heldAt: number }[];
  readonly heldCount: number;
  readonly ackedSeq: number;
  readonly receivedSeq: number;
  readonly consumedSeq: number;
  readonly lagMs: number;
  readonly cpu: number;
  readonly virtualMs: number;
  readonly behindMs: number;
  readonly stats: { entries: number; logBytes: number; outputs: number };
  readonly memory: { readonly addr: number; readonly bytes: Uint8Array };
}

/** A view of `hv` now; `virtualMs` and `behindMs` come from the runtime that drives it. */
export function inspectVm(hv: Hypervisor, clock: { virtualMs: number; behindMs: number }, memAddr = 0, memLen = 64): VmInspect {
  const m = hv.machine;
  const start = Math.max(0, (m.pc & ~3) - 16);
  const a = Math.max(0, Math.min(m.mem.length - memLen, memAddr));
  // A halted guest's pc is past its halt: mark the halt it stopped at (instructions are 4 bytes).
  const at = m.status === 'halted' ? m.pc - 4 : m.pc;
  return {
    id: hv.id,
    role: hv.role,
    peer: hv.peer,
    paused: hv.paused,
    status: m.status,
    stall: hv.stall,
    haltReason: hv.haltReason,
    icount: m.icount,
    pc: m.pc,
    regs: Array.from(m.regs),
    disasm: disassemble(m.mem, start, 48).map((l) => ({ addr: l.addr, text: l.text, current: l.addr === at })),
    buffer: hv.bufferedEntries(64).map((e) => ({ seq: e.seq, icount: e.icount, kind: e.kind })),
    bufferCapacity: hv.role === 'backup' ? hv.config.backupLogCapacity : hv.config.primaryLogCapacity,
    held: hv.heldOutputs.slice(0, 64).map((h) => ({ seq: h.seq, kind: h.kind, heldAt: h.heldAt })),
    heldCount: hv.heldOutputs.length,
    ackedSeq: hv.ackedSeq,
    receivedSeq: hv.receivedSeq,
    consumedSeq: hv.consumedSeq,
    lagMs: hv.lagMs,
    cpu: hv.cpuFactor,
    virtualMs: clock.virtualMs,
    behindMs: clock.behindMs,
    stats: { entries: hv.stats.entries, logBytes: hv.stats.logBytes, outputs: hv.stats.outputs },
    memory: { addr: a, bytes: m.mem.slice(a, a + memLen) },
  };
}
