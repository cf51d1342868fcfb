// The stage: the whole FT system in one SVG — clients, the switch, the primary and the backup,
// the logging channel, shared storage — with every message animated along its edge at a pace a
// person can follow, the failure detectors' countdowns drawn, and every node clickable to break
// it. React draws the structure each frame; d3 animates the messages (one element per message,
// labelled with its kind, removed when it lands or has fallen).
import * as d3 from 'd3';
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { TraceEvent } from '../../engine/ft/trace';
import type { LabController } from '../../workers/labController';
import type { VmInspect } from '../../workers/protocol';
import { currentLab, useLab } from '../labStore';
import { CHANNEL_BOX, CLIENTS_BOX, LANE_LR, LANE_RL, SLOTS, STORAGE_BOX, SWITCH_BOX, VIEW_H, VIEW_W, along, route, type Box } from './layout';
import { StageMenu, type MenuTarget } from './StageMenu';
import { StageNews } from './StageNews';
import { ENTRY_COLOR, ENTRY_GLYPH, STORAGE, assignSlots, boxLines, bufferTitle, channelInUse, clientName, emptyFold, foldEvents, laneWords, silence, type Flight, type StageFold } from './stageModel';

const MSG_COLOR: Record<Flight['kind'], string> = {
  entry: '#334155',
  ack: '#047857',
  heartbeat: '#db2777',
  request: '#1d4ed8',
  reply: '#0f766e',
  'disk-read': '#0e7490',
  'disk-write': '#9333ea',
  'disk-done': '#0e7490',
  'tas-request': '#b45309',
  'tas-answer': '#b45309',
  mac: '#4338ca',
  snapshot: '#1e293b',
};
const MAX_FLIGHTS = 60;
/** Of one batch, the newest this many ordinary messages and this many drops are drawn. */
const PER_BATCH = 12;
/** Seldom sent, and each one is a step of the story: never left out. */
const ALWAYS_SHOWN = new Set<string>(['tas-request', 'tas-answer', 'mac', 'snapshot']);

/** How often the stage checks its fit to the window when nothing said the page changed size. */
const FIT_EVERY_MS = 500;

/** The stage's own work per frame (render to commit, plus spawning messages), in ms, for the benchmark. */
const COST_KEPT = 1200;
export const stageCost: number[] = [];
function noteCost(ms: number): void {
  stageCost.push(ms);
  if (stageCost.length > COST_KEPT) stageCost.splice(0, stageCost.length - COST_KEPT);
}
Object.assign(globalThis, { __stageCost: stageCost });

/** Wall ms a message takes to cross its edge: slow enough to follow at the default speeds. */
function flightMs(speed: number): number {
  if (speed <= 0.1) return 1100;
  if (speed <= 1) return 700;
  return 400;
}

const ROLE_MARK: Record<string, string> = { primary: '★', backup: '◆', live: '★', halted: '■', dead: '✖' };

/** What a VM is doing, in a few words (the detail panel has the long explanation). */
export function stageState(v: VmInspect): string {
  if (v.role === 'dead') return 'dead';
  if (v.role === 'halted') return 'halted';
  if (v.status === 'halted') return 'guest halted';
  if (v.status === 'faulted') return 'guest fault';
  if (v.paused) return 'paused';
  if (v.stall === 'log-full') return 'stalled: log buffer full';
  if (v.stall === 'log-empty') return 'waiting for the log';
  if (v.stall === 'waiting-tas') return 'waiting for test-and-set';
  if (v.status === 'idle') return 'idle (wfi)';
  return v.role === 'primary' && v.cpu < 0.999 ? `running · CPU ${(v.cpu * 100).toFixed(0)}%` : 'running';
}

function panels(...ids: (string | false | null | undefined)[]): string {
  return ids.filter(Boolean).join(' ');
}

/** A clickable, focusable group that opens the stage menu for `target`. */
function Hot({ target, label, onOpen, children, panel, hl, className }: { target: MenuTarget; label: string; onOpen: (t: MenuTarget, el: Element) => void; children: ReactNode; panel?: string; hl: boolean; className?: string }) {
  const open = (el: Element): void => onOpen(target, el);
  return (
    <g
      className={`hot ${className ?? ''}${hl ? ' hl' : ''}`}
      role="button"
      tabIndex={0}
      aria-label={label}
      aria-haspopup="menu"
      data-panel={panel}
      onClick={(e) => open(e.currentTarget)}
      onKeyDown={(e: KeyboardEvent<SVGGElement>) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          e.stopPropagation();
          open(e.currentTarget);
        }
      }}
    >
      {children}
    </g>
  );
}

function VmNode({ vm, box, fold, now, timeoutMs, hl, onOpen }: { vm: VmInspect; box: Box; fold: StageFold; now: number; timeoutMs: number; hl: (ids: string) => boolean; onOpen: (t: MenuTarget, el: Element) => void }) {
  const primaryLike = vm.role === 'primary' || vm.role === 'live';
  const diverged = fold.diverged.has(vm.id);
  const panel = panels(`vm-${vm.id}`, primaryLike && 'vm-primary', vm.role === 'backup' && 'vm-backup');
  const x = box.x;
  const y = box.y;
  const w = box.w;
  const cur = vm.disasm.findIndex((l) => l.current);
  const strip = cur >= 0 ? vm.disasm.slice(Math.max(0, cur - 1), cur + 2) : vm.disasm.slice(0, 3);
  const cap = Math.max(1, vm.bufferCapacity);
  const shown = vm.buffer.slice(0, 16);
  const cell = Math.min(14, (w - 24) / Math.min(16, Math.max(cap, shown.length)));
  const watching = (vm.role === 'primary' || vm.role === 'backup') && vm.peer !== null && !vm.paused;
  const sil = silence(fold, vm.id, now, timeoutMs);
  const ring = 15;
  const circ = 2 * Math.PI * ring;
  const consoleLine = (fold.lastConsole.get(vm.id)?.line ?? '').slice(-(vm.role === 'backup' ? 20 : 33));
  const roleText = diverged && vm.role === 'backup' ? 'BACKUP (diverged)' : vm.role.toUpperCase();
  return (
    <g className={`stage-vm role-${vm.role}${diverged ? ' diverged' : ''}${hl(panel) ? ' hl' : ''}`} data-panel={panel} data-vm={vm.id} aria-label={`VM ${vm.id}: ${vm.role}`} role="group">
      <Hot target={{ kind: 'vm', id: vm.id }} label={`VM ${vm.id} (${vm.role}): actions`} onOpen={onOpen} hl={false}>
        <rect className="frame" x={x} y={y} width={w} height={box.h} rx={10} />
      </Hot>
      <g className="vm-title" pointerEvents="none">
        <text x={x + 12} y={y + 26} className="vm-name">
          VM {vm.id}
        </text>
        <rect x={x + 64} y={y + 9} width={diverged && vm.role === 'backup' ? 150 : 92} height={24} rx={5} className={`badge role-${vm.role}`} />
        <text x={x + 72} y={y + 26} className="badge-text">
          {ROLE_MARK[vm.role]} {roleText}
        </text>
        {diverged && vm.role !== 'backup' && (
          <text x={x + 162} y={y + 26} className="diverged-text">
            DIVERGED
          </text>
        )}
      </g>
      {watching && (
        <g className="fd-ring" role="timer" aria-label={`${vm.id}'s failure detector: heard nothing from ${vm.peer} for ${sil.silentMs.toFixed(0)} ms of ${timeoutMs} ms`} data-timer="failure-detector">
          <title>{`Failure detection: ${vm.id} suspects ${vm.peer} after ${timeoutMs} ms of silence`}</title>
          <circle cx={x + w - 24} cy={y + 22} r={ring} className="fd-track" />
          <circle cx={x + w - 24} cy={y + 22} r={ring} className={`fd-left${sil.fraction > 0.66 ? ' late' : ''}`} strokeDasharray={`${circ * (1 - sil.fraction)} ${circ}`} transform={`rotate(-90 ${x + w - 24} ${y + 22})`} />
          <text x={x + w - 24} y={y + 26} className="fd-text" textAnchor="middle">
            {Math.max(0, Math.round(timeoutMs - sil.silentMs))}
          </text>
        </g>
      )}
      <g pointerEvents="none">
        <text x={x + 12} y={y + 62} className="icount" data-testid={`stage-icount-${vm.id}`}>
          {vm.icount.toLocaleString('en-US')}
        </text>
        <text x={x + 12} y={y + 78} className="small muted">
          instructions · {stageState(vm)}
        </text>
        <g className="disasm-strip">
          {strip.map((l, i) => (
            <text key={l.addr} x={x + 12} y={y + 98 + i * 14} className={`mono${l.current ? ' current' : ''}`}>
              {l.current ? '▶ ' : '  '}
              {l.addr.toString(16).padStart(4, '0')} {l.text.slice(0, 26)}
            </text>
          ))}
        </g>
      </g>
      <g data-panel="console" className={hl('console') ? 'hl' : undefined}>
        <rect className="frame screen" x={x + 8} y={y + 140} width={w - 16} height={26} rx={4} />
        <text x={x + 14} y={y + 158} className="mono screen-text">
          {vm.role === 'backup' ? '(suppressed) ' : ''}
          {consoleLine || '—'}
        </text>
      </g>
      <g data-panel="log-buffer" className={hl('log-buffer') ? 'hl' : undefined} aria-label={`log buffer of ${vm.id}: ${vm.buffer.length} of ${vm.bufferCapacity}`} role="img">
        <rect className="frame" x={x + 8} y={y + 174} width={w - 16} height={58} rx={4} />
        <text x={x + 14} y={y + 190} className="small">
          {bufferTitle(vm)}
        </text>
        {vm.role !== 'live' && Array.from({ length: Math.min(16, cap) }, (_, i) => (
          <rect key={`c${i}`} x={x + 14 + i * cell} y={y + 198} width={cell - 2} height={24} className="slot" />
        ))}
        {shown.map((e, i) => (
          <g key={e.seq}>
            <rect x={x + 14 + i * cell} y={y + 198} width={cell - 2} height={24} fill={ENTRY_COLOR[e.kind]} />
            <text x={x + 14 + i * cell + (cell - 2) / 2} y={y + 214} className="glyph" textAnchor="middle">
              {ENTRY_GLYPH[e.kind].glyph}
            </text>
          </g>
        ))}
      </g>
      {primaryLike && (
        <g data-panel="held-outputs" className={hl('held-outputs') ? 'hl' : undefined} aria-label={`outputs held by ${vm.id}: ${vm.held.length}`} role="img">
          <rect className="frame" x={x + 8} y={y + 240} width={w - 16} height={56} rx={4} />
          <text x={x + 14} y={y + 256} className="small">
            held by the Output Rule: {vm.held.length}
            {vm.held.length > 0 ? ` (waits for ack #${vm.held[0]!.seq})` : ''}
          </text>
          {vm.held.slice(0, 6).map((h, i) => {
            const wait = Math.max(0, now - h.heldAt);
            return (
              <g key={h.seq} data-held={h.seq}>
                <rect x={x + 14 + i * 38} y={y + 262} width={34} height={26} rx={3} className={`held-out ${h.kind}`} />
                <text x={x + 31 + i * 38} y={y + 274} className="glyph-dark" textAnchor="middle">
                  {h.kind === 'net' ? 'R' : 'W'}#{h.seq}
                </text>
                <text x={x + 31 + i * 38} y={y + 285} className="tiny" textAnchor="middle">
                  {wait < 10 ? wait.toFixed(1) : wait.toFixed(0)}ms
                </text>
              </g>
            );
          })}
        </g>
      )}
      {vm.role === 'backup' && (
        <text x={x + 14} y={y + 256} className="small muted" pointerEvents="none">
          replayed #{vm.consumedSeq} of #{vm.receivedSeq} received
        </text>
      )}
      {primaryLike && vm.peer !== null && (
        <text x={x + 14} y={y + 316} className="small muted" pointerEvents="none">
          acked #{vm.ackedSeq} · lag {vm.lagMs.toFixed(1)} ms
        </text>
      )}
      {vm.role === 'live' && (
        <text x={x + 14} y={y + 316} className="small warn-text" pointerEvents="none">
          alone: no backup
        </text>
      )}
      {(vm.role === 'dead' || vm.role === 'halted') && (
        <text x={x + 14} y={y + 316} className="small muted" pointerEvents="none">
          {vm.haltReason.slice(0, 40)}
        </text>
      )}
    </g>
  );
}

/** Drop a message on the wire by its id (the stage's click); a notice when it already arrived. */
async function dropMessage(id: string): Promise<void> {
  const l = currentLab();
  if (!l) return;
  const ok = await l.dropMessage(id);
  if (!ok) useLab.setState({ notice: { text: `Message ${id} had already arrived: messages cross a link in well under a virtual millisecond. Pause while one is on the wire, or slow its link (click the link: latency), to catch one.`, tone: 'info' } });
}

/**
 * A message drawn on its way whose delivery the trace has told is no longer on the wire: the
 * drawing goes on at human pace, but there is nothing left to drop, so it stops taking clicks.
 */
function markArrived(g: SVGGElement | null, events: readonly TraceEvent[]): void {
  if (!g || g.childElementCount === 0) return;
  let open: Map<string, Element> | null = null;
  for (const ev of events) {
    if (ev.type !== 'net/delivered') continue;
    if (!open) {
      open = new Map();
      for (const el of g.children) if (el.classList.contains('droppable')) open.set(el.getAttribute('data-id') ?? '', el);
      if (open.size === 0) return;
    }
    const el = open.get(ev.id);
    if (!el) continue;
    el.classList.remove('droppable');
    el.setAttribute('data-arrived', 'yes');
    d3.select(el).on('click', null);
  }
}

const PARKED_MAX = 14;

/**
 * While the clock is paused, the messages on the wire wait where they are, as buttons: the
 * learner drops one (a reliable link resends it; the clients' network loses it).
 */
function OnTheWire({ fold, now, slotOf }: { fold: StageFold; now: number; slotOf: (id: string) => number | null }) {
  // Stale after a seek back, or lost track of (a bounded trace): not on the wire now.
  const live = [...fold.inFlight.values()].filter((m) => m.t !== undefined && m.t <= now + 1e-6 && now - m.t <= 3000).slice(0, PARKED_MAX);
  const byRoute = new Map<string, Flight[]>();
  for (const m of live) {
    const key = `${m.from}>${m.to}`;
    byRoute.set(key, [...(byRoute.get(key) ?? []), m]);
  }
  const shown: ReactNode[] = [];
  for (const ms of byRoute.values()) {
    const path = route(ms[0]!.from, ms[0]!.to, slotOf);
    if (!path) continue;
    const at = along(path);
    ms.forEach((m, i) => {
      // Spread along the edge, oldest furthest on.
      const [x, y] = at(0.8 - (0.6 * (i + 0.5)) / ms.length);
      const color = m.kind === 'entry' && m.entryKind ? ENTRY_COLOR[m.entryKind] : MSG_COLOR[m.kind];
      const id = m.id!;
      const drop = (): void => void dropMessage(id);
      shown.push(
        <g
          key={id}
          className="msg parked"
          role="button"
          tabIndex={0}
          aria-label={`On the wire: ${m.label}. Drop it`}
          data-msg={m.kind}
          data-msg-id={id}
          transform={`translate(${x},${y})`}
          onClick={drop}
          onKeyDown={(e: KeyboardEvent<SVGGElement>) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              drop();
            }
          }}
        >
          {m.kind === 'heartbeat' ? <circle r={8} fill={color} /> : <rect x={-12} y={-10} width={24} height={20} rx={m.kind === 'entry' ? 2 : 10} fill={color} />}
          {/* The tooltip says what the name says (axe: label-content-name-mismatch). */}
          <title>{`On the wire: ${m.label}. Drop it`}</title>
        </g>,
        // The letter beside the button, not in it: the button's name is its label alone.
        <text key={`${id}-glyph`} className="msg-glyph" textAnchor="middle" x={x} y={y + 4} aria-hidden="true" pointerEvents="none">
          {m.glyph}
        </text>,
      );
    });
  }
  if (shown.length === 0) return null;
  return (
    <g className="on-the-wire" role="group" aria-label={`${shown.length} message${shown.length === 1 ? '' : 's'} on the wire: click one to drop it`}>
      <text x={CHANNEL_BOX.x + CHANNEL_BOX.w / 2} y={LANE_RL + 40} className="tiny wire-hint" textAnchor="middle">
        paused: {shown.length} on the wire · click one to drop it
      </text>
      {shown}
    </g>
  );
}

/** The stage: one SVG of the whole system, plus the checkers and the latest news beneath it. */
export function Stage() {
  const renderStart = performance.now();
  const vms = useLab((s) => s.vms);
  const now = useLab((s) => s.virtualNow);
  const mac = useLab((s) => s.macOwner);
  const frame = useLab((s) => s.frame);
  const tas = useLab((s) => s.tasHolder);
  const highlight = useLab((s) => s.tour?.highlight);
  const channel = useLab((s) => s.channel);
  const workload = useLab((s) => s.workload);
  const diskBlocks = useLab((s) => s.diskBlocks);
  const slowedFor = useLab((s) => s.slowedFor);
  const running = useLab((s) => s.running);
  const inTour = useLab((s) => s.tour !== null);
  const layer = useRef<SVGGElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const fold = useRef<StageFold>(emptyFold());
  const slots = useRef(new Map<string, number>());
  // The lab the slots were placed for, and the store's VM list when it was replaced: until the
  // new lab's first view arrives, the store still holds the old lab's VMs (a failover's dead
  // and live), and placing those would carry the old run's places into the new one.
  const slotsFor = useRef<{ lab: LabController | null; stale: readonly VmInspect[] | null }>({ lab: currentLab(), stale: null });
  const sub = useRef<{ lab: LabController; off: () => void } | null>(null);
  const skipped = useRef(0);
  const [menu, setMenu] = useState<{ target: MenuTarget; at: DOMRect } | null>(null);
  const [height, setHeight] = useState<number | null>(null);

  const labNow = currentLab();
  if (slotsFor.current.lab !== labNow) slotsFor.current = { lab: labNow, stale: vms };
  if (slotsFor.current.stale !== vms) {
    // A fresh lab starts with fresh slots.
    if (slotsFor.current.stale !== null) slots.current = new Map();
    slotsFor.current.stale = null;
    slots.current = assignSlots(slots.current, vms, mac);
  }

  // Follow the lab's trace (a new lab: a new subscription and a fresh fold).
  useEffect(() => {
    const l = currentLab();
    if (!l || sub.current?.lab === l) return;
    sub.current?.off();
    fold.current = emptyFold();
    layer.current?.replaceChildren();
    const off = l.onTrace((events: readonly TraceEvent[]) => {
      const vmsNow = useLab.getState().vms;
      const flights = foldEvents(fold.current, events, { macOwner: l.macOwner, peerOf: (id) => vmsNow.find((v) => v.id === id)?.peer ?? null });
      animate(flights, l.clock.speed);
      markArrived(layer.current, events);
    });
    sub.current = { lab: l, off };
  });
  useEffect(
    () => () => {
      sub.current?.off();
      sub.current = null;
    },
    [],
  );

  function animate(flights: readonly Flight[], speed: number): void {
    const g = layer.current;
    if (!g || flights.length === 0) return;
    const t0 = performance.now();
    spawn(g, flights, speed);
    noteCost(performance.now() - t0);
  }

  function spawn(g: SVGGElement, flights: readonly Flight[], speed: number): void {
    const dur = flightMs(speed);
    // A batch from a fast run: draw its newest few ordinary messages and newest few drops, not
    // hundreds (a guest flooding the network makes drops by the hundred too); every test-and-set,
    // MAC advertisement and snapshot.
    let ordinary = PER_BATCH;
    let drops = PER_BATCH;
    const keep = [...flights].reverse().filter((f) => ALWAYS_SHOWN.has(f.kind) || (f.important ? drops-- > 0 : ordinary-- > 0));
    keep.reverse();
    skipped.current += flights.length - keep.length;
    let stagger = 0;
    for (const f of keep) {
      const path = route(f.from, f.to, (id) => slots.current.get(id) ?? null);
      if (!path) continue;
      const at = along(path);
      // A message already on its way that was dropped since: it falls from where it is.
      const flying = f.drop && f.id ? g.querySelector<SVGGElement>(`g[data-id="${CSS.escape(f.id)}"]:not([data-drop])`) : null;
      if (flying) {
        const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(flying.getAttribute('transform') ?? '');
        const [x, y] = m ? [Number(m[1]), Number(m[2])] : at(0.5);
        d3.select(flying)
          .interrupt()
          .attr('data-drop', 'yes')
          .attr('aria-label', f.label)
          .classed('dropped', true)
          .transition()
          .duration(700)
          .ease(d3.easeQuadIn)
          .attr('transform', `translate(${x + 10},${y + 90}) rotate(50)`)
          .style('opacity', 0)
          .remove();
        continue;
      }
      if (!ALWAYS_SHOWN.has(f.kind) && g.childElementCount >= MAX_FLIGHTS) {
        skipped.current++;
        continue;
      }
      const color = f.kind === 'entry' && f.entryKind ? ENTRY_COLOR[f.entryKind] : MSG_COLOR[f.kind];
      const el = d3
        .select(g)
        .append('g')
        .attr('class', `msg msg-${f.kind}${f.drop ? ' dropped' : ''}`)
        .attr('role', 'img')
        .attr('aria-label', f.label)
        .attr('data-msg', f.kind)
        .attr('data-drop', f.drop ? 'yes' : null)
        .attr('data-id', f.id ?? null)
        .attr('transform', `translate(${at(0)[0]},${at(0)[1]})`)
        .style('opacity', stagger > 0 ? 0 : 1);
      if (f.kind === 'heartbeat') el.append('circle').attr('r', 8).attr('fill', color);
      else el.append('rect').attr('x', -12).attr('y', -10).attr('width', 24).attr('height', 20).attr('rx', f.kind === 'entry' ? 2 : 10).attr('fill', color);
      el.append('text').attr('class', 'msg-glyph').attr('text-anchor', 'middle').attr('y', 4).attr('aria-hidden', 'true').text(f.glyph);
      el.append('title').text(f.label);
      if (f.id && !f.drop) {
        const id = f.id;
        el.classed('droppable', true).on('click', () => void dropMessage(id));
      }
      const end = f.drop ? 0.55 : 1;
      const t = el
        .transition()
        .delay(stagger)
        .duration(dur * end)
        .ease(d3.easeLinear)
        .on('start', function () {
          this.style.opacity = '1';
        })
        .attrTween('transform', () => (u: number) => {
          const p = at(u * end);
          return `translate(${p[0]},${p[1]})`;
        });
      if (f.drop) {
        const p = at(end);
        t.transition()
          .duration(700)
          .ease(d3.easeQuadIn)
          .attr('transform', `translate(${p[0] + 10},${p[1] + 90}) rotate(50)`)
          .style('opacity', 0)
          .remove();
      } else t.remove();
      if (f.kind === 'entry') stagger += dur / 8;
    }
  }

  useLayoutEffect(() => {
    noteCost(performance.now() - renderStart);
  });

  // Fit the stage to the window: the SVG takes what is left below the toolbar (and above a
  // presenter's caption bar). Bars above it come and go, so it is measured again when the page's
  // size changes (a notice shown, a panel opened), at once, and at most every FIT_EVERY_MS
  // otherwise. (Not on every frame: reading the layout forces the browser to compute it, the
  // largest cost of a frame at full speed.)
  const measuredAt = useRef(-Infinity);
  const fit = useCallback((): void => {
    const el = wrap.current;
    if (!el) return;
    measuredAt.current = performance.now();
    const top = el.getBoundingClientRect().top + window.scrollY;
    const caption = document.querySelector('.caption-bar')?.getBoundingClientRect().height ?? 0;
    const h = Math.max(260, Math.round(window.innerHeight - top - 62 - caption));
    setHeight((old) => (old === h ? old : h));
  }, []);
  useLayoutEffect(() => {
    if (height === null || performance.now() - measuredAt.current >= FIT_EVERY_MS) fit();
  }, [frame, height, fit]);
  useEffect(() => {
    window.addEventListener('resize', fit);
    const observer = typeof ResizeObserver === 'function' ? new ResizeObserver(fit) : null;
    observer?.observe(document.body);
    return () => {
      window.removeEventListener('resize', fit);
      observer?.disconnect();
    };
  }, [fit]);

  const hlSet = new Set(highlight ?? []);
  const hl = (ids: string): boolean => ids.split(' ').some((id) => hlSet.has(id));
  const timeoutMs = currentLab()?.config.failureTimeoutMs ?? 60;
  const open = (target: MenuTarget, el: Element): void => setMenu({ target, at: el.getBoundingClientRect() });
  const closeMenu = useCallback(() => setMenu(null), []);
  void frame;
  const f = fold.current;
  const inSlot = (s: number): VmInspect | undefined => vms.find((v) => slots.current.get(v.id) === s);
  const left = inSlot(0);
  const right = inSlot(1);
  const ghosts = vms.filter((v) => !slots.current.has(v.id));
  const inUse = channelInUse(left, right);
  const lanes = laneWords(left, right, vms);
  const lr = left && right ? `${left.id}>${right.id}` : null;
  const rl = left && right ? `${right.id}>${left.id}` : null;
  const touched = currentLab()?.storage.touched;
  const blocks = touched ? [...touched].sort((a, b) => a - b).slice(0, 40) : [];
  const sw = SWITCH_BOX;
  const ch = CHANNEL_BOX;
  return (
    <section className="stage" aria-label="The stage: the whole fault-tolerant system">
      <div className="stage-svg" ref={wrap} style={height ? { height } : undefined}>
        <svg viewBox={`0 0 ${VIEW_W} ${VIEW_H}`} preserveAspectRatio="xMidYMin meet" role="group" aria-label="Clients, switch, primary and backup VMs, logging channel and shared storage">
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className="arrowhead" />
            </marker>
          </defs>
          {/* Wires */}
          <g className="wires" aria-hidden="true">
            <line x1={CLIENTS_BOX.x + CLIENTS_BOX.w} y1={sw.y + sw.h / 2} x2={sw.x} y2={sw.y + sw.h / 2} />
            <line x1={sw.x + sw.w} y1={sw.y + sw.h / 2} x2={SLOTS[0]!.x} y2={sw.y + sw.h / 2} className={mac && slots.current.get(mac) === 0 ? 'active' : ''} />
            <polyline points={`${sw.x + sw.w / 2},${sw.y} ${sw.x + sw.w / 2},14 ${SLOTS[1]!.x + SLOTS[1]!.w / 2},14 ${SLOTS[1]!.x + SLOTS[1]!.w / 2},${SLOTS[1]!.y}`} className={mac && slots.current.get(mac) === 1 ? 'active' : ''} fill="none" />
          </g>
          <Hot target={{ kind: 'clients-link' }} label="The clients' network: open its menu (partition, latency, loss)" onOpen={open} hl={false} className="clients-link">
            <rect x={CLIENTS_BOX.x + CLIENTS_BOX.w} y={sw.y + sw.h / 2 - 12} width={sw.x - CLIENTS_BOX.x - CLIENTS_BOX.w} height={24} className="hit" />
          </Hot>
          {/* Clients */}
          <g data-panel="client" className={hl('client') ? 'hl' : undefined} role="group" aria-label="Clients">
            <rect className="frame" x={CLIENTS_BOX.x} y={CLIENTS_BOX.y} width={CLIENTS_BOX.w} height={CLIENTS_BOX.h} rx={10} />
            <text x={CLIENTS_BOX.x + 10} y={CLIENTS_BOX.y + 22} className="node-title">
              Clients
            </text>
            <text x={CLIENTS_BOX.x + 10} y={CLIENTS_BOX.y + 42} className="small">
              {inTour ? 'scripted (tour)' : 'you (terminal)'}
            </text>
            <text x={CLIENTS_BOX.x + 10} y={CLIENTS_BOX.y + 58} className="small muted">
              + {workload} automatic
            </text>
            {/* (the terminal's or a scripted client's last request and reply: the automatic clients' traffic is drawn on the wire) */}
            <text x={CLIENTS_BOX.x + 10} y={CLIENTS_BOX.y + 86} className="small" data-testid="stage-client-sent">
              {clientName(f.lastRequestClient, inTour)} sent
            </text>
            <text x={CLIENTS_BOX.x + 10} y={CLIENTS_BOX.y + 102} className="mono">
              {boxLines(f.lastRequest ?? '—', 1)[0]}
            </text>
            <text x={CLIENTS_BOX.x + 10} y={CLIENTS_BOX.y + 128} className="small" data-testid="stage-client-got">
              {clientName(f.lastReplyClient, inTour)} got back
            </text>
            {boxLines(f.lastReply ?? '—', 3).map((line, i) => (
              <text key={i} x={CLIENTS_BOX.x + 10} y={CLIENTS_BOX.y + 144 + 16 * i} className="mono">
                {line}
              </text>
            ))}
          </g>
          {/* Switch */}
          <g className="switch" role="img" aria-label={`Switch: the service MAC is at ${mac ?? 'no VM'}`} data-panel="switch">
            <rect className="frame" x={sw.x} y={sw.y} width={sw.w} height={sw.h} rx={8} />
            <text x={sw.x + 10} y={sw.y + 20} className="node-title">
              Switch
            </text>
            <text x={sw.x + 10} y={sw.y + 70} className="small">
              service MAC
            </text>
            <text x={sw.x + 10} y={sw.y + 88} className="mac" data-testid="stage-mac">
              → {mac ? `VM ${mac}` : 'nobody'}
            </text>
          </g>
          {/* Logging channel */}
          <g className={`channel${inUse ? '' : ' idle'}${hl('channel-view channel-stats metrics timeline') ? ' hl' : ''}`} data-panel="channel-view channel-stats metrics timeline" data-testid="stage-channel" data-in-use={inUse ? 'yes' : 'no'}>
            <Hot target={{ kind: 'channel' }} label="Logging channel: open its menu" onOpen={open} hl={false}>
              <rect className="frame channel-bg" x={ch.x} y={ch.y} width={ch.w} height={ch.h} rx={8} />
            </Hot>
            <g pointerEvents="none">
            <text x={ch.x + ch.w / 2} y={ch.y + 15} className="node-title" textAnchor="middle">
              Logging channel
            </text>
            <line x1={ch.x} y1={LANE_LR} x2={ch.x + ch.w} y2={LANE_LR} className={`lane${lr && f.blocked.has(lr) ? ' cut' : ''}`} markerEnd="url(#arrow)" />
            <line x1={ch.x + ch.w} y1={LANE_RL} x2={ch.x} y2={LANE_RL} className={`lane${rl && f.blocked.has(rl) ? ' cut' : ''}`} markerEnd="url(#arrow)" />
            {/* (clear of the messages on the lane below it) */}
            <text x={ch.x + ch.w / 2} y={LANE_LR - 13} className={inUse ? 'small' : 'small muted'} textAnchor="middle" data-testid="stage-lane-lr">
              {lanes[0]}
            </text>
            <text x={ch.x + ch.w / 2} y={LANE_RL + 20} className={inUse ? 'small' : 'small muted'} textAnchor="middle" data-testid="stage-lane-rl">
              {lanes[1]}
            </text>
            {lr && f.blocked.has(lr) && (
              <text x={ch.x + ch.w / 2} y={LANE_LR + 24} className="cut-text" textAnchor="middle">
                ✂ cut
              </text>
            )}
            {rl && f.blocked.has(rl) && (
              <text x={ch.x + ch.w / 2} y={LANE_RL - 12} className="cut-text" textAnchor="middle">
                ✂ cut
              </text>
            )}
            <text x={ch.x + ch.w / 2} y={LANE_LR + 46} className="tiny" textAnchor="middle">
              {channel.entries.toLocaleString('en-US')} entries · {channel.acks.toLocaleString('en-US')} acks
            </text>
            <text x={ch.x + ch.w / 2} y={LANE_LR + 60} className="tiny" textAnchor="middle">
              {channel.heartbeats.toLocaleString('en-US')} heartbeats
            </text>
            </g>
          </g>
          {left && <VmNode vm={left} box={SLOTS[0]!} fold={f} now={now} timeoutMs={timeoutMs} hl={hl} onOpen={open} />}
          {right && <VmNode vm={right} box={SLOTS[1]!} fold={f} now={now} timeoutMs={timeoutMs} hl={hl} onOpen={open} />}
          {ghosts.map((v, i) => (
            <g key={v.id} data-panel={`vm-${v.id}`} className={`ghost${hl(`vm-${v.id}`) ? ' hl' : ''}`} role="img" aria-label={`VM ${v.id}: ${v.role}`}>
              <rect className="frame" x={SLOTS[0]!.x + i * 90} y={SLOTS[0]!.y + SLOTS[0]!.h + 6} width={84} height={22} rx={4} />
              <text x={SLOTS[0]!.x + 8 + i * 90} y={SLOTS[0]!.y + SLOTS[0]!.h + 22} className="small">
                {ROLE_MARK[v.role]} VM {v.id} {v.role}
              </text>
            </g>
          ))}
          {/* Shared storage and its links */}
          {[left, right].map((v, s) =>
            v ? (
              <Hot key={v.id} target={{ kind: 'storage-link', id: v.id }} label={`Link from VM ${v.id} to shared storage: open its menu`} onOpen={open} hl={false} className="storage-link">
                <line x1={SLOTS[s]!.x + SLOTS[s]!.w / 2} y1={SLOTS[s]!.y + SLOTS[s]!.h} x2={SLOTS[s]!.x + SLOTS[s]!.w / 2} y2={STORAGE_BOX.y} className={f.blocked.has(`${v.id}>${STORAGE}`) ? 'cut' : ''} />
                <rect x={SLOTS[s]!.x + SLOTS[s]!.w / 2 - 12} y={SLOTS[s]!.y + SLOTS[s]!.h} width={24} height={STORAGE_BOX.y - SLOTS[s]!.y - SLOTS[s]!.h} className="hit" />
                {f.blocked.has(`${v.id}>${STORAGE}`) && (
                  <text x={SLOTS[s]!.x + SLOTS[s]!.w / 2 + 8} y={STORAGE_BOX.y - 20} className="cut-text" aria-hidden="true">
                    ✂
                  </text>
                )}
              </Hot>
            ) : null,
          )}
          <g className="storage" data-panel="storage" role="group" aria-label={`Shared storage: test-and-set held by ${tas ?? 'nobody'}`}>
            <rect className="frame" x={STORAGE_BOX.x} y={STORAGE_BOX.y} width={STORAGE_BOX.w} height={STORAGE_BOX.h} rx={10} />
            <text x={STORAGE_BOX.x + 12} y={STORAGE_BOX.y + 22} className="node-title">
              Shared storage
            </text>
            <text x={STORAGE_BOX.x + 12} y={STORAGE_BOX.y + 44} className="small">
              disk: {diskBlocks} block{diskBlocks === 1 ? '' : 's'} written
            </text>
            {blocks.map((b, i) => (
              <rect key={b} x={STORAGE_BOX.x + 12 + (i % 20) * 11} y={STORAGE_BOX.y + 54 + Math.floor(i / 20) * 11} width={9} height={9} className="block">
                <title>{`block ${b}`}</title>
              </rect>
            ))}
            <g data-panel="tas" className="tas">
              <text x={STORAGE_BOX.x + 300} y={STORAGE_BOX.y + 30} className="small">
                test-and-set word
              </text>
              <rect x={STORAGE_BOX.x + 300} y={STORAGE_BOX.y + 40} width={150} height={40} rx={6} className={`tas-word${tas ? ' held' : ''}`} />
              <text x={STORAGE_BOX.x + 375} y={STORAGE_BOX.y + 67} className="tas-text" textAnchor="middle" data-testid="stage-tas">
                {tas ? `held by ${tas}` : 'clear'}
              </text>
            </g>
          </g>
          <g className="flights" ref={layer} />
          {/* (not in the tour: the step owns the run, and a drop would change what it narrates) */}
          {!running && !inTour && <OnTheWire fold={f} now={now} slotOf={(id) => slots.current.get(id) ?? null} />}
        </svg>
        <StageMenu menu={menu} onClose={closeMenu} />
        {slowedFor && (
          <div className="slowmo-badge" role="status" data-testid="slow-motion">
            slow motion: {slowedFor.reason}
          </div>
        )}
      </div>
      <StageNews />
    </section>
  );
}
