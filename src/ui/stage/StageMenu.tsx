// The stage's click menus: a VM (kill, pause/resume, power off, restart a backup, partition), the
// logging channel (cut either way, heal, its latency), a VM's storage link (partition, latency) and
// the clients' network (partition, latency, loss). Each item calls the same LabController method
// as the toolbar's button does.
import { useEffect, useRef, useState } from 'react';
import type { LabController, LinkSettings, VmRef } from '../../workers/labController';
import type { VmInspect } from '../../workers/protocol';
import { currentLab, faultLab, useLab } from '../labStore';

export type MenuTarget = { kind: 'vm'; id: string } | { kind: 'channel' } | { kind: 'storage-link'; id: string } | { kind: 'clients-link' };
type LinkName = keyof LinkSettings;

/** Slider stops (ms): from the link's default to slow enough to watch the Output Rule wait. */
const LATENCY_STOPS: Record<LinkName, readonly number[]> = {
  channel: [0.045, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20],
  storage: [0.2, 0.5, 1, 2, 5, 10, 20],
  clients: [0.5, 1, 2, 5, 10, 20, 50],
};
const LOSS_STOPS: readonly number[] = [0, 0.05, 0.1, 0.2, 0.3, 0.5];
/** The logging channel's bandwidth (Mbit/s): the paper's 10 Gbit/s down to a trickle that keeps entries queued at the primary. */
const BANDWIDTH_STOPS: readonly number[] = [0.1, 1, 10, 100, 1000, 10_000];

/** The stops with the current value among them (a scenario may set one between stops). */
export function stopsWith(stops: readonly number[], v: number): number[] {
  return stops.includes(v) ? [...stops] : [...stops, v].sort((a, b) => a - b);
}

/** A slider over fixed stops; the change is applied once the learner lets go (one action, not one per pixel). */
function StopSlider({ label, stops, value, format, onCommit }: { label: string; stops: readonly number[]; value: number; format: (v: number) => string; onCommit: (v: number) => void }) {
  const all = stopsWith(stops, value);
  const [draft, setDraft] = useState<number | null>(null);
  const shown = draft ?? value;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The change waiting to be applied: a menu closed before the learner's pause still applies it.
  const pending = useRef<(() => void) | null>(null);
  const commit = (v: number): void => {
    if (timer.current) clearTimeout(timer.current);
    pending.current = () => {
      pending.current = null;
      if (v !== value) onCommit(v);
    };
    timer.current = setTimeout(() => {
      timer.current = null;
      setDraft(null);
      pending.current?.();
    }, 300);
  };
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
      pending.current?.();
    },
    [],
  );
  return (
    <label className="link-slider">
      <span>{label}</span>
      <input
        type="range"
        min={0}
        max={all.length - 1}
        step={1}
        value={all.indexOf(shown) < 0 ? 0 : all.indexOf(shown)}
        aria-valuetext={format(shown)}
        onChange={(e) => {
          const v = all[Number(e.target.value)]!;
          setDraft(v);
          commit(v);
        }}
      />
      <output>{format(shown)}</output>
    </label>
  );
}

const ms = (v: number): string => `${v} ms`;
const mbps = (v: number): string => (v >= 1000 ? `${v / 1000} Gbit/s` : `${v} Mbit/s`);
const pct = (v: number): string => `${Math.round(v * 100)}%`;

/** A link's sliders: latency, and loss on the clients' network (the channel and storage are reliable). */
function LinkSliders({ link }: { link: LinkName }) {
  useLab((s) => s.frame); // follow changes made elsewhere (a replay, the other menu)
  const lab = currentLab();
  if (!lab) return null;
  const now = lab.links[link];
  return (
    <div className="link-sliders" role="group" aria-label={`${LINK_TITLE[link]} settings`}>
      <StopSlider label="Latency" stops={LATENCY_STOPS[link]} value={now.latencyMs} format={ms} onCommit={(v) => currentLab()?.setLink(link, { latencyMs: v })} />
      {link === 'clients' ? (
        <StopSlider label="Loss" stops={LOSS_STOPS} value={now.loss} format={pct} onCommit={(v) => currentLab()?.setLink(link, { loss: v })} />
      ) : (
        <small className="muted">reliable: slower, never lossy</small>
      )}
      {link === 'channel' && <StopSlider label="Bandwidth" stops={BANDWIDTH_STOPS} value={now.bandwidthMbps} format={mbps} onCommit={(v) => currentLab()?.setLink(link, { bandwidthMbps: v })} />}
    </div>
  );
}

const LINK_TITLE: Record<LinkName, string> = { channel: 'Logging channel', storage: 'Storage link', clients: "Clients' network" };

interface Item {
  readonly label: string;
  readonly run: (lab: LabController) => unknown;
  readonly disabled?: string | false;
  /** Heals or shows: no slow motion for it. */
  readonly calm?: boolean;
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

function items(target: MenuTarget, vms: readonly VmInspect[]): { title: string; items: Item[]; link?: LinkName } {
  const can = faultAvailability(vms);
  if (target.kind === 'clients-link')
    return {
      title: "Clients' network",
      link: 'clients',
      items: [
        ...vms
          .filter((v) => refOf(v))
          .map((v): Item => ({ label: `Partition VM ${v.id} from the clients`, run: (l) => void l.act({ kind: 'partition-clients', vm: v.id }) })),
        { label: 'Heal every cut and partition', run: (l) => l.heal(), calm: true },
      ],
    };
  if (target.kind === 'channel')
    return {
      title: 'Logging channel',
      link: 'channel',
      items: [
        { label: 'Cut both ways', run: (l) => l.cutChannel('both'), disabled: !can.pair && 'needs a primary and a backup' },
        { label: 'Cut primary → backup only', run: (l) => l.cutChannel('to-backup'), disabled: !can.pair && 'needs a primary and a backup' },
        { label: 'Cut backup → primary only', run: (l) => l.cutChannel('to-primary'), disabled: !can.pair && 'needs a primary and a backup' },
        { label: 'Heal every cut and partition', run: (l) => l.heal(), calm: true },
      ],
    };
  const v = vms.find((x) => x.id === target.id);
  const ref = refOf(v);
  const gone = !v || !ref ? `VM ${target.id} is ${v?.role ?? 'gone'}` : false;
  // Actions on this VM name it by id: a paused primary whose backup took over, or one of two VMs
  // live at once, is not the one 'primary' names.
  const vm = target.id;
  // A primary whose backup went live without it (paused, cut off) is stale: not the service's primary.
  const stale = v?.role === 'primary' ? (vms.find((x) => x.id !== v.id && x.role === 'live')?.id ?? null) : null;
  if (target.kind === 'storage-link')
    return {
      title: `VM ${target.id} ↔ shared storage`,
      link: 'storage',
      items: [
        { label: `Partition VM ${target.id} from shared storage`, run: (l) => void l.act({ kind: 'partition-storage', vm }), disabled: gone },
        { label: 'Heal every cut and partition', run: (l) => l.heal(), calm: true },
      ],
    };
  return {
    title: `VM ${target.id}${v ? ` (${v.role})` : ''}`,
    items: [
      { label: `Kill VM ${target.id}`, run: (l) => void l.act({ kind: 'kill', vm }), disabled: gone },
      v?.paused
        ? { label: `Resume VM ${target.id}`, run: (l) => void l.act({ kind: 'resume', vm }), disabled: gone }
        : { label: `Pause VM ${target.id}`, run: (l) => void l.act({ kind: 'pause', vm }), disabled: gone },
      {
        label: 'Power off (a clean shutdown)',
        run: (l) => void l.act({ kind: 'power-off-primary', vm }),
        disabled: gone || (ref !== 'primary' && 'only the primary can be powered off') || (stale !== null && `${stale} took over: VM ${target.id} no longer serves`),
      },
      { label: 'Restart a backup from it', run: (l) => l.restartBackup(), disabled: v?.role !== 'live' ? 'only a live VM without a backup' : !can.live && 'it has a backup' },
      { label: `Partition VM ${target.id} from shared storage`, run: (l) => void l.act({ kind: 'partition-storage', vm }), disabled: gone },
      { label: `Partition VM ${target.id} from the clients`, run: (l) => void l.act({ kind: 'partition-clients', vm }), disabled: gone },
      {
        label: 'Show its registers, memory and console',
        calm: true,
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
      role="dialog"
      aria-label={m.title}
      ref={ref}
      style={{ left, top }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          close();
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          if ((e.target as HTMLElement).tagName === 'INPUT') return; // a slider's own arrow keys
          const all = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button:not([disabled])') ?? [])];
          const i = all.indexOf(document.activeElement as HTMLButtonElement);
          all[(i + (e.key === 'ArrowDown' ? 1 : all.length - 1)) % all.length]?.focus();
        }
      }}
    >
      <strong className="stage-menu-title">{m.title}</strong>
      <div role="menu" aria-label={m.title} className="stage-menu-items">
      {m.items.map((it) => (
        <button
          key={it.label}
          role="menuitem"
          disabled={Boolean(it.disabled)}
          title={it.disabled || undefined}
          onClick={() => {
            // (breaking something starts slow motion first; healing and looking do not)
            const l = it.calm ? currentLab() : faultLab(`you: ${it.label.toLowerCase()}`);
            if (l) it.run(l);
            close();
          }}
        >
          {it.label}
          {it.disabled && <small> — {it.disabled}</small>}
        </button>
      ))}
      </div>
      {m.link && <LinkSliders link={m.link} />}
      <button className="link" onClick={close}>
        Close
      </button>
    </div>
  );
}
