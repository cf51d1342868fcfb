// One VM: its role (shape and word, not colour alone), icount, state, disassembly around pc,
// registers, log buffer and held outputs, and its console.
import type { VmInspect } from '../workers/protocol';
import { Console } from './Console';

const hex = (v: number, d = 8): string => `0x${(v >>> 0).toString(16).padStart(d, '0')}`;
const ROLE_MARK: Record<string, string> = { primary: '★', backup: '◆', live: '★', halted: '■', dead: '✖' };

function stateText(v: VmInspect): { text: string; why: string } {
  if (v.role === 'dead') return { text: 'dead', why: v.haltReason || 'killed (fail-stop): it stopped at once, and whatever it had not sent is lost' };
  if (v.role === 'halted') return { text: 'halted', why: v.haltReason };
  if (v.paused) return { text: 'paused', why: 'paused by a fault: it neither runs nor hears its peer' };
  if (v.stall === 'log-full') return { text: 'stalled: log buffer full', why: 'the primary waits until the backup frees log buffer space (FT paper §3.2)' };
  if (v.stall === 'log-empty') return { text: 'waiting for log', why: `the backup has replayed everything it was told (up to entry #${v.receivedSeq}) and may not run ahead of the primary` };
  if (v.stall === 'waiting-tas') return { text: 'waiting for test-and-set', why: 'it suspects its peer failed and must win test-and-set on shared storage before going live' };
  if (v.status === 'idle') return { text: 'idle (wfi)', why: 'the guest waits for an interrupt; no instructions retire' };
  if (v.status === 'halted') return { text: 'guest halted', why: 'the guest program ran its halt instruction: nothing more runs' };
  if (v.status === 'faulted') return { text: 'guest fault', why: v.haltReason };
  return { text: 'running', why: '' };
}

export function VmPanel({ vm }: { vm: VmInspect }) {
  const st = stateText(vm);
  const fill = vm.bufferCapacity > 0 ? vm.buffer.length / vm.bufferCapacity : 0;
  const primaryLike = vm.role === 'primary' || vm.role === 'live';
  return (
    <section className={`panel vm role-${vm.role}`} aria-label={`VM ${vm.id} (${vm.role})`} data-vm={vm.id} data-role={vm.role} data-panel={`vm-${vm.id}${primaryLike ? ' vm-primary' : vm.role === 'backup' ? ' vm-backup' : ''}`}>
      <header className="vm-head">
        <span className={`role-badge role-${vm.role}`}>
          <span aria-hidden="true">{ROLE_MARK[vm.role]}</span> {vm.role.toUpperCase()}
        </span>
        <span className="vm-id">VM {vm.id}</span>
        <span className="vm-state" title={st.why} tabIndex={0} aria-label={`${st.text}${st.why ? `. Why: ${st.why}` : ''}`}>
          {st.text}
          {st.why && <span className="why"> — {st.why}</span>}
        </span>
      </header>
      <div className="icount">
        <span className="caption">instructions retired</span>
        <output className="icount-value" data-testid={`icount-${vm.id}`}>
          {vm.icount.toLocaleString('en-US')}
        </output>
        {vm.role === 'backup' && (
          <span className="lag">
            replayed #{vm.consumedSeq} of #{vm.receivedSeq} received
          </span>
        )}
        {vm.role === 'primary' && (
          <span className="lag">
            lag {vm.lagMs.toFixed(2)} ms{vm.status === 'running' ? ` · CPU ${(vm.cpu * 100).toFixed(0)}%` : ''}
          </span>
        )}
      </div>
      <div className="buffers">
        <label className="gauge" data-panel="log-buffer">
          {vm.role === 'backup' ? 'log buffer (received, not replayed)' : 'log buffer (not yet sent)'}
          <meter min={0} max={1} value={fill} aria-label={`log buffer of ${vm.id}`} />
          <span>
            {vm.buffer.length} / {vm.bufferCapacity}
          </span>
        </label>
        {primaryLike && (
          <div className="held" data-panel="held-outputs" aria-label={`outputs held by ${vm.id}`}>
            outputs held by the Output Rule: <strong>{vm.heldCount}</strong>
            {vm.held.slice(0, 4).map((h) => (
              <span
                key={h.seq}
                className="held-item"
                tabIndex={0}
                title={`Why? Held by the Output Rule until the backup acknowledges log entry #${h.seq}`}
                aria-label={`${h.kind} output held by the Output Rule until the backup acknowledges log entry #${h.seq}`}
              >
                {h.kind} waits for ack of #{h.seq}
              </span>
            ))}
          </div>
        )}
      </div>
      <div className="vm-body">
      <div className="vm-code">
      <div className="cpu-grid">
        <ol className="disasm" aria-label={`Disassembly around pc of ${vm.id}`}>
          {vm.disasm.slice(0, 9).map((l) => (
            <li key={l.addr} className={l.current ? 'current' : undefined} aria-current={l.current ? 'step' : undefined}>
              <span className="addr">{hex(l.addr, 4)}</span> {l.text}
            </li>
          ))}
        </ol>
        <details className="regs-box">
          <summary>registers</summary>
          <table className="regs">
            <tbody>
              {vm.regs.map((r, i) => (
                <tr key={i}>
                  <th>{i === 15 ? 'sp' : `r${i}`}</th>
                  <td>{hex(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </div>
      <details className="mem-box">
        <summary>memory at {hex(vm.memory.addr, 4)}</summary>
        <pre className="memory" aria-label={`Memory of ${vm.id} from ${hex(vm.memory.addr, 4)}`}>
          {Array.from({ length: Math.ceil(vm.memory.bytes.length / 16) }, (_, row) => {
            const bytes = Array.from(vm.memory.bytes.slice(row * 16, row * 16 + 16));
            const ascii = bytes.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
            return `${hex(vm.memory.addr + row * 16, 4)}  ${bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}  ${ascii}\n`;
          }).join('')}
        </pre>
      </details>
      </div>
      <div className="console-box" data-panel="console">
        <Console vm={vm.id} label={`Console of VM ${vm.id}`} />
      </div>
      </div>
    </section>
  );
}
