// The stage's click menus: a VM (kill, pause/resume, power off, restart a backup, partition), the
// logging channel (cut either way, heal) and a VM's storage link (partition). Each item calls the
// same LabController method as the toolbar's button does.
import { useEffect, useRef } from 'react';
import type { LabController, VmRef } from '../../workers/labController';
import type { VmInspect } from '../../workers/protocol';
import { currentLab, useLab } from '../labStore';

export type MenuTarget = { kind: 'vm'; id: string } | { kind: 'channel' } | { kind: 'storage-link'; id: string };

interface Item {
  readonly label: string;
  readonly run: (lab: LabController) => unknown;
  readonly disabled?: string | false;
}

/** The role a fault names a VM by ('primary' covers a live VM too). */
export function refOf(v: VmInspect | undefined): VmRef | null {
  if (!v) return null;
  if (v.role === 'primary' || v.role === 'live') return 'primary';
  if (v.role === 'backup') return 'backup';
  return null;
}

/** What the fault controls can do now (toolbar and stage agree; a dead end is never offered). */
export function faultAvailability(vms: readonly VmInspect[]): { primary: boolean; backup: boolean; pair: boolean; live: boolean } {
  const primary = vms.some((v) => v.role === 'primary' || v.role === 'live');
  const backup = vms.some((v) => v.role === 'backup');
  return { primary, backup, pair: vms.some((v) => v.role === 'primary') && backup, live: vms.some((v) => v.role === 'live') && !backup };
}

function resumeVm(lab: LabController, v: VmInspect): void {
  const ref = refOf(v);
  if (lab.sim) {
    if (ref) void lab.sim.act({ kind: 'resume', vm: ref });
  } else (lab as LabController & { resumeVm?: (id: string) => void }).resumeVm?.(v.id);
}

function items(target: MenuTarget, vms: readonly VmInspect[]): { title: string; items: Item[] } {
  const can = faultAvailability(vms);
  if (target.kind === 'channel')
    return {
      title: 'Logging channel',
      items: [
        { label: 'Cut both ways', run: (l) => l.cutChannel('both'), disabled: !can.pair && 'needs a primary and a backup' },
        { label: 'Cut primary → backup only', run: (l) => l.cutChannel('to-backup'), disabled: !can.pair && 'needs a primary and a backup' },
        { label: 'Cut backup → primary only', run: (l) => l.cutChannel('to-primary'), disabled: !can.pair && 'needs a primary and a backup' },
        { label: 'Heal every cut and partition', run: (l) => l.heal() },
      ],
    };
  const v = vms.find((x) => x.id === target.id);
  const ref = refOf(v);
  const gone = !v || !ref ? `VM ${target.id} is ${v?.role ?? 'gone'}` : false;
  if (target.kind === 'storage-link')
    return {
      title: `VM ${target.id} ↔ shared storage`,
      items: [
        { label: `Partition VM ${target.id} from shared storage`, run: (l) => ref && l.partitionFromStorage(ref), disabled: gone },
        { label: 'Heal every cut and partition', run: (l) => l.heal() },
      ],
    };
  return {
    title: `VM ${target.id}${v ? ` (${v.role})` : ''}`,
    items: [
      { label: `Kill VM ${target.id}`, run: (l) => ref && l.kill(ref), disabled: gone },
      v?.paused
        ? { label: `Resume VM ${target.id}`, run: (l) => v && resumeVm(l, v), disabled: gone }
        : { label: `Pause VM ${target.id}`, run: (l) => ref && l.pauseVm(ref), disabled: gone },
      { label: 'Power off (a clean shutdown)', run: (l) => l.powerOffPrimary(), disabled: gone || (ref !== 'primary' && 'only the primary can be powered off') },
      { label: 'Restart a backup from it', run: (l) => l.restartBackup(), disabled: v?.role !== 'live' ? 'only a live VM without a backup' : !can.live && 'it has a backup' },
      { label: `Partition VM ${target.id} from shared storage`, run: (l) => ref && l.partitionFromStorage(ref), disabled: gone },
      { label: `Partition VM ${target.id} from the clients`, run: (l) => ref && l.partitionFromClients(ref), disabled: gone },
      {
        label: 'Show its registers, memory and console',
        run: () => document.querySelector(`.vms [data-vm="${target.id}"]`)?.scrollIntoView({ block: 'start', behavior: 'smooth' }),
      },
    ],
  };
}

export function StageMenu({ menu, onClose }: { menu: { target: MenuTarget; at: DOMRect } | null; onClose: () => void }) {
  const vms = useLab((s) => s.vms);
  const ref = useRef<HTMLDivElement>(null);
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    if (!menu) return;
    opener.current = document.activeElement;
    ref.current?.querySelector<HTMLButtonElement>('button:not([disabled])')?.focus();
    const away = (e: PointerEvent): void => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    const t = setTimeout(() => document.addEventListener('pointerdown', away), 0);
    return () => {
      clearTimeout(t);
      document.removeEventListener('pointerdown', away);
    };
  }, [menu, onClose]);
  if (!menu) return null;
  const m = items(menu.target, vms);
  const close = (): void => {
    onClose();
    (opener.current as HTMLElement | SVGElement | null)?.focus?.();
  };
  const left = Math.max(8, Math.min(window.innerWidth - 300, menu.at.left + menu.at.width / 2 - 140));
  const top = Math.max(8, Math.min(window.innerHeight - 330, menu.at.top + Math.min(60, menu.at.height / 2)));
  return (
    <div
      className="stage-menu"
      role="menu"
      aria-label={m.title}
      ref={ref}
      style={{ left, top }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          close();
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const all = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button:not([disabled])') ?? [])];
          const i = all.indexOf(document.activeElement as HTMLButtonElement);
          all[(i + (e.key === 'ArrowDown' ? 1 : all.length - 1)) % all.length]?.focus();
        }
      }}
    >
      <strong className="stage-menu-title">{m.title}</strong>
      {m.items.map((it) => (
        <button
          key={it.label}
          role="menuitem"
          disabled={Boolean(it.disabled)}
          title={it.disabled || undefined}
          onClick={() => {
            const l = currentLab();
            if (l) it.run(l);
            close();
          }}
        >
          {it.label}
          {it.disabled && <small> — {it.disabled}</small>}
        </button>
      ))}
      <button role="menuitem" className="link" onClick={close}>
        Close
      </button>
    </div>
  );
}
