// Keyboard shortcuts and the help overlay (? opens it).
import { useEffect, useState } from 'react';
import { currentLab, faultLab, labActions, useLab } from './labStore';
import { nextSpeed } from './speeds';
import { tourStep } from './Tour';

/** Elements that take Space and Enter themselves (a focused button is pressed, not the run paused). */
const TAKES_SPACE = 'button, a[href], summary, [role=button], [role=menuitem], [role=option], [role=checkbox], [role=switch], [role=slider]';

export const SHORTCUTS: { keys: string; what: string; run: () => void }[] = [
  { keys: 'Space', what: 'pause / resume', run: () => (useLab.getState().running ? labActions.pause() : labActions.resume()) },
  { keys: '→', what: 'step (one slice of virtual time)', run: () => labActions.step() },
  { keys: 'k', what: 'kill the primary', run: () => faultLab('you killed the primary')?.kill('primary') },
  { keys: 'b', what: 'kill the backup', run: () => faultLab('you killed the backup')?.kill('backup') },
  { keys: 'o', what: 'power off the primary', run: () => faultLab('you powered off the primary')?.powerOffPrimary() },
  { keys: 'c', what: 'cut the logging channel', run: () => faultLab('you cut the logging channel')?.cutChannel('both') },
  { keys: 'h', what: 'heal every cut', run: () => currentLab()?.heal() },
  { keys: 'r', what: 'restart a backup after a failover (FT VMotion)', run: () => void faultLab('you restarted a backup')?.restartBackup() },
  { keys: '+ / −', what: 'faster / slower', run: () => undefined },
  { keys: 'PageDown / n', what: 'guided tour: next step (a presenter clicker works too)', run: () => void tourStep(1) },
  { keys: 'PageUp / p', what: 'guided tour: previous step', run: () => void tourStep(-1) },
  { keys: '?', what: 'this help', run: () => undefined },
];

const KEYMAP: Record<string, string> = {
  ' ': 'Space',
  ArrowRight: '→',
  k: 'k',
  b: 'b',
  o: 'o',
  c: 'c',
  h: 'h',
  r: 'r',
  PageDown: 'PageDown / n',
  n: 'PageDown / n',
  PageUp: 'PageUp / p',
  p: 'PageUp / p',
};
export function useShortcuts(setHelp: (f: (open: boolean) => boolean) => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      // Typing into the terminal, the editor or a form control is not a shortcut.
      if (t && (t.closest('input, textarea, select, .xterm, [contenteditable]') || e.ctrlKey || e.metaKey || e.altKey)) return;
      // A key the focused element already handled (a message on the stage dropped with Space) is not a shortcut too.
      if (e.defaultPrevented) return;
      if ((e.key === ' ' || e.key === 'Enter') && t?.closest(TAKES_SPACE)) return;
      if (e.key === '?') {
        setHelp((o) => !o);
        e.preventDefault();
        return;
      }
      if (e.key === 'Escape') {
        setHelp(() => false);
        return;
      }
      if (e.key === '+' || e.key === '-' || e.key === '=') {
        labActions.setSpeed(nextSpeed(useLab.getState().speed, e.key === '-' ? -1 : 1));
        return;
      }
      const name = KEYMAP[e.key];
      // Outside a tour, PageDown and PageUp scroll the page as usual.
      if (name?.startsWith('Page') && !useLab.getState().tour) return;
      const sc = SHORTCUTS.find((s) => s.keys === name);
      if (sc) {
        e.preventDefault();
        sc.run();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setHelp]);
}

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const [ref, setRef] = useState<HTMLDivElement | null>(null);
  useEffect(() => {
    if (!ref) return;
    // A modal dialog: focus moves in, stays in (Tab cycles inside), and goes back where it was.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    ref.focus();
    return () => opener?.focus();
  }, [ref]);
  const trap = (e: React.KeyboardEvent<HTMLDivElement>): void => {
    if (e.key !== 'Tab' || !ref) return;
    const all = [...ref.querySelectorAll<HTMLElement>('button, a[href], [tabindex]:not([tabindex="-1"])')];
    if (all.length === 0) return;
    const i = all.indexOf(document.activeElement as HTMLElement);
    const next = e.shiftKey ? (i <= 0 ? all.length - 1 : i - 1) : i < 0 || i === all.length - 1 ? 0 : i + 1;
    all[next]!.focus();
    e.preventDefault();
  };
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" ref={setRef} tabIndex={-1} onClick={onClose} onKeyDown={trap}>
      <div className="overlay-box" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.keys}>
                <th>
                  <kbd>{s.keys}</kbd>
                </th>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Words</h2>
        <dl className="glossary">
          <dt>primary / backup</dt>
          <dd>two VMs running the same program; the backup replays the primary instruction for instruction.</dd>
          <dt>log entry</dt>
          <dd>
            what the backup needs to replay the primary: each non-deterministic input (a packet, a timer tick, a disk completion at the instruction count it happened at; a clock value or random number with its result), and a mark at each output. Lockstep adds state-hash entries, to show the lockstep holding.
          </dd>
          <dt>logging channel</dt>
          <dd>the network connection from primary to backup: log entries one way, acknowledgements the other, heartbeats both ways.</dd>
          <dt>Output Requirement / Output Rule</dt>
          <dd>
            the requirement: if the backup takes over, it goes on consistently with every output the primary sent. The rule that enforces it: an output leaves only after the backup has acknowledged the log entry that produced it.
          </dd>
          <dt>execution lag</dt>
          <dd>how far the backup's replay trails the primary; if it grows, the primary is given less CPU.</dd>
          <dt>test-and-set</dt>
          <dd>an atomic operation on shared storage; a VM must win it before going on alone, so two never do.</dd>
          <dt>go live</dt>
          <dd>
            a VM that won test-and-set carries on alone. A backup first replays every entry it acknowledged, then makes real outputs, advertises the service's MAC address and re-issues pending disk I/O; a primary whose backup failed stops logging.
          </dd>
          <dt>FT VMotion</dt>
          <dd>restoring redundancy: the live VM is cloned to a new backup on another host, and logging starts again.</dd>
        </dl>
        <button onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
