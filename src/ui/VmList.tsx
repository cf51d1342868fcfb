// The VM panels: the current pair in full; VMs that died or halted before them (a kill and a
// restarted backup, many times over) collapse to one compact row each in a short history list,
// so the live pair stays on screen and the page's size stays bounded however often VMs are replaced.
import type { VmInspect } from '../workers/protocol';
import { VmPanel } from './VmPanel';

/** Earlier VMs listed by name; older ones are only counted. */
const HISTORY_ROWS = 6;

const gone = (v: VmInspect): boolean => v.role === 'dead' || v.role === 'halted';

/** The VMs shown in full: every VM still running, then the most recent dead or halted ones up to a pair. */
export function splitVms(vms: readonly VmInspect[]): { full: VmInspect[]; earlier: VmInspect[] } {
  const room = Math.max(0, 2 - vms.filter((v) => !gone(v)).length);
  const shown = new Set(room > 0 ? vms.filter(gone).slice(-room) : []);
  return { full: vms.filter((v) => !gone(v) || shown.has(v)), earlier: vms.filter((v) => gone(v) && !shown.has(v)) };
}

export function VmList({ vms }: { vms: readonly VmInspect[] }) {
  const { full, earlier } = splitVms(vms);
  const rows = earlier.slice(-HISTORY_ROWS).reverse();
  return (
    <>
      <div className="vms">
        {full.map((v) => (
          <VmPanel key={v.id} vm={v} />
        ))}
      </div>
      {earlier.length > 0 && (
        <section className="vm-history" aria-label="Earlier VMs">
          <h2>Earlier VMs ({earlier.length})</h2>
          <ul>
            {rows.map((v) => (
              <li key={v.id} className={`role-${v.role}`} data-vm={v.id} data-role={v.role}>
                <span aria-hidden="true">{v.role === 'dead' ? '✖' : '■'}</span> VM {v.id} {v.role} at icount {v.icount.toLocaleString('en-US')}
                {v.haltReason && <span className="why"> — {v.haltReason}</span>}
              </li>
            ))}
          </ul>
          {earlier.length > rows.length && <p className="hint">and {earlier.length - rows.length} earlier</p>}
        </section>
      )}
    </>
  );
}
