// Plain-language lines for the event feed: only the events a learner should notice.
import type { TraceEvent } from '../engine/ft/trace';

export function describeEvent(ev: TraceEvent): { text: string; tone: 'info' | 'warn' | 'bad' | 'good' } | null {
  switch (ev.type) {
    case 'fault':
      return { text: `Fault: ${ev.detail}`, tone: 'warn' };
    case 'failure/suspected':
      return { text: `${ev.vm} has heard nothing from ${ev.peer} for ${ev.silentMs.toFixed(0)} ms and suspects it failed`, tone: 'warn' };
    case 'tas/requested':
      return { text: `${ev.vm} asks shared storage for test-and-set before acting alone`, tone: 'info' };
    case 'tas/won':
      if (ev.unarbitrated) return { text: `${ev.vm} goes on alone without asking anyone: test-and-set is OFF`, tone: 'warn' };
      return { text: `${ev.vm} won test-and-set: it may go on alone`, tone: 'good' };
    case 'tas/lost':
      return { text: `${ev.vm} lost test-and-set (held by ${ev.holder ?? '?'}) and halts: no split brain`, tone: 'warn' };
    case 'vm/went-live':
      return { text: `${ev.vm} replayed every acknowledged entry (up to #${ev.consumedSeq}) and went live at icount ${ev.icount}`, tone: 'good' };
    case 'mac/advertised':
      return { text: `${ev.vm} advertised the service MAC: clients now reach it`, tone: 'info' };
    case 'io/reissued':
      return { text: `${ev.vm} re-issued the pending disk ${ev.op} of block ${ev.block}`, tone: 'info' };
    case 'vm/role':
      if (ev.reason === 'started') return null;
      return { text: `${ev.vm} is now ${ev.role}: ${ev.reason}`, tone: ev.role === 'dead' || ev.role === 'halted' ? 'bad' : 'info' };
    case 'divergence':
      return { text: `DIVERGENCE on ${ev.vm} at icount ${ev.icount}: ${ev.detail}`, tone: 'bad' };
    case 'vm/fault':
      return { text: `${ev.vm}'s guest faulted: ${ev.reason}`, tone: 'bad' };
    case 'snapshot/sent':
      return { text: `${ev.vm} sent a snapshot of its machine (icount ${ev.icount}) to new backup ${ev.to}`, tone: 'info' };
    case 'vm/stall':
      if (ev.reason === 'log-full') return { text: `${ev.vm} stalls: its log buffer is full`, tone: 'warn' };
      return null;
    default:
      return null;
  }
}
