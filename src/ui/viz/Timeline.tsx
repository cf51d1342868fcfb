// A space-time diagram of the trace (after Lamport diagrams and ShiViz): one lane per client, VM
// and shared storage; x is virtual time; messages are arrows from send to receipt, events markers.
// React owns the elements; d3 computes the scale, axis and zoom and joins the items each frame.
// Work per frame is bounded: only the visible window of the trace is read (binary search by t)
// and at most MAX_ITEMS arrows are drawn.
import { axisBottom, format, precisionFixed, scaleLinear, select, symbol, tickStep, zoom, zoomIdentity, type D3ZoomEvent, type Selection, type ZoomBehavior, type ZoomTransform } from 'd3';
import { useEffect, useId, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { currentLab, useLab } from '../labStore';
import { useVisibleFrame } from './useVisibleFrame';
import { fmtMs, layoutTimeline, MARKER_PRIORITY, placeLabels, summarizeTimeline, type Detail, type LabelCandidate, type TimelineLayout, type TimelineMarker, type TimelineMessage } from './timelineLayout';
import { headPath, MARKER_KINDS, MARKER_STYLE, MESSAGE_KINDS, MESSAGE_STYLE } from './vizStyle';

type Item = TimelineMessage | TimelineMarker;
const isMessage = (i: Item): i is TimelineMessage => 't0' in i;

const MAX_ITEMS = 2000;
const SPANS = [0.2, 1, 5, 20, 50, 200, 1000, 5000];
const LEFT = 78;
const RIGHT = 14;
const TOP = 18;
const LANE_H = 30;
const AXIS_H = 30;
/** Kinds whose arrows get a text label (where there is room). */
const LABELLED = new Set(['log', 'output', 'request', 'tas', 'snapshot']);

const spanLabel = (ms: number): string => (ms < 1 ? `${ms * 1000} µs` : ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);

interface View {
  follow: boolean;
  span: number;
  /** The domain the zoom transform applies to (set when following stops). */
  base: [number, number];
  transform: ZoomTransform;
  /** The domain drawn last, and at the start of the current gesture. */
  domain: [number, number];
  gestureStart: [number, number] | null;
}

function ItemDetails({ item }: { item: Item }) {
  return (
    <>
      <h3>
        {isMessage(item) ? MESSAGE_STYLE[item.kind].name : MARKER_STYLE[item.kind].name}: {item.label}
      </h3>
      <dl>
        {item.details.map(([k, v]: Detail, i) => (
          <div key={i}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
        {isMessage(item) && !item.paired && item.id.startsWith('net:') && (
          <div>
            <dt>note</dt>
            <dd>still on the wire: drawn at the link's nominal latency</dd>
          </div>
        )}
        {isMessage(item) && !item.paired && !item.id.startsWith('net:') && (
          <div>
            <dt>note</dt>
            <dd>receipt not found in the trace: drawn at a nominal latency</dd>
          </div>
        )}
      </dl>
    </>
  );
}

export function Timeline() {
  const uid = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const wrapRef = useRef<HTMLDivElement>(null);
  const { frame, now } = useVisibleFrame(wrapRef);
  const svgRef = useRef<SVGSVGElement>(null);
  const rangeRef = useRef<HTMLSpanElement>(null);
  const noteRef = useRef<HTMLSpanElement>(null);
  const [width, setWidth] = useState(900);
  const [follow, setFollow] = useState(true);
  const [span, setSpan] = useState(50);
  const [heartbeats, setHeartbeats] = useState(false);
  const [selected, setSelected] = useState<Item | null>(null);
  const [hover, setHover] = useState<{ item: Item; x: number; y: number } | null>(null);
  const view = useRef<View>({ follow: true, span: 50, base: [0, 50], transform: zoomIdentity, domain: [0, 50], gestureStart: null });
  const items = useRef(new Map<string, Item>());
  const opts = useRef({ heartbeats: false, selectedId: null as string | null, width: 900, now: 0 });
  const zoomRef = useRef<ZoomBehavior<SVGSVGElement, unknown> | null>(null);
  const drawRef = useRef<(force?: boolean) => void>(() => {});
  const lastSig = useRef('');
  /** The scale and lanes the items were last placed with (see draw). */
  const geom = useRef({ k: 0, tRef: 0, laneKey: '', selectedId: null as string | null });

  // Width follows the container.
  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(320, Math.floor(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // The drawing, set up once; it reads everything it needs from refs and the store.
  useEffect(() => {
    const svgEl = svgRef.current!;
    const svg = select(svgEl);
    const reduced = window.matchMedia('(prefers-reduced-motion: reduce)');
    /** Returns false when nothing changed since the last draw. */
    const draw = (): boolean => {
      const o = opts.current;
      const v = view.current;
      const a = LEFT;
      const b = o.width - RIGHT;
      const nowT = o.now;
      let t0: number;
      let t1: number;
      if (v.follow) {
        // Reduced motion: the window moves in steps of a fifth of its span instead of every frame.
        const step = v.span / 5;
        t1 = Math.max(v.span, reduced.matches ? Math.ceil(nowT / step) * step : nowT);
        t0 = t1 - v.span;
      } else {
        [t0, t1] = v.transform.rescaleX(scaleLinear().domain(v.base).range([a, b])).domain() as [number, number];
      }
      v.domain = [t0, t1];
      const trace = currentLab()?.trace ?? [];
      const st = useLab.getState();
      const sig = `${trace.length}|${trace.at(-1)?.t}|${t0}|${t1}|${o.width}|${o.heartbeats}|${o.selectedId}|${st.vms.length}|${nowT}`;
      if (sig === lastSig.current) return false;
      lastSig.current = sig;

      const peers = new Map<string, string>();
      for (const vm of st.vms) if (vm.peer) peers.set(vm.id, vm.peer);
      const layout: TimelineLayout = layoutTimeline(trace, {
        t0,
        t1,
        heartbeats: o.heartbeats,
        maxItems: MAX_ITEMS,
        vms: st.vms.map((vm) => vm.id),
        peers,
        service: st.macOwner,
      });
      const map = new Map<string, Item>();
      for (const m of layout.messages) map.set(m.id, m);
      for (const m of layout.markers) map.set(m.id, m);
      items.current = map;

      const x = scaleLinear().domain([t0, t1]).range([a, b]);
      const laneIndex = new Map(layout.lanes.map((l, i) => [l.id, i]));
      const y = (lane: string): number => TOP + (laneIndex.get(lane) ?? 0) * LANE_H + LANE_H / 2;
      const plotBottom = TOP + layout.lanes.length * LANE_H;
      const height = plotBottom + AXIS_H;

      // Items are placed relative to a reference time and their groups shifted: while the scale
      // and lanes stay the same (following live), a frame only places the items that are new.
      const k = (b - a) / (t1 - t0);
      const laneKey = `${layout.lanes.map((l) => l.id).join('|')}|${o.width}`;
      const gm = geom.current;
      const full = Math.abs(k - gm.k) > k * 1e-9 || laneKey !== gm.laneKey || o.selectedId !== gm.selectedId || Math.abs((t0 - gm.tRef) * k) > 1e5;
      if (full) geom.current = { k, tRef: t0, laneKey, selectedId: o.selectedId };
      const tRef = geom.current.tRef;
      const xr = (t: number): number => (t - tRef) * k;
      svg.selectAll('g.viz-shift').attr('transform', `translate(${a + (tRef - t0) * k},0)`);

      if (full) {
        svg.attr('height', height).attr('viewBox', `0 0 ${o.width} ${height}`);
        svg.select(`#${uid}-clip rect`).attr('x', a).attr('y', 0).attr('width', Math.max(0, b - a)).attr('height', plotBottom);
        // Lanes: a band, a line and a label each.
        const lanes = svg
          .select('g.viz-lanes')
          .selectAll<SVGGElement, (typeof layout.lanes)[number]>('g.viz-lane')
          .data(layout.lanes, (d) => d.id)
          .join((enter) => {
            const g = enter.append('g');
            g.append('rect').attr('class', 'viz-band');
            g.append('line');
            g.append('text').attr('class', 'viz-lane-label');
            return g;
          })
          .attr('data-lane', (d) => d.id)
          .attr('class', (d) => `viz-lane lane-${d.kind}`);
        lanes
          .select('rect')
          .attr('x', a)
          .attr('width', Math.max(0, b - a))
          .attr('y', (d) => y(d.id) - LANE_H / 2)
          .attr('height', LANE_H)
          .attr('opacity', (_d, i) => (i % 2 === 0 ? 1 : 0));
        lanes
          .select('line')
          .attr('x1', a)
          .attr('x2', b)
          .attr('y1', (d) => y(d.id))
          .attr('y2', (d) => y(d.id));
        lanes
          .select('text')
          .attr('x', a - 8)
          .attr('y', (d) => y(d.id))
          .attr('dy', '0.35em')
          .attr('text-anchor', 'end')
          .text((d) => d.label);
        svg
          .select('text.viz-axis-unit')
          .attr('x', 2)
          .attr('y', plotBottom + 18)
          .attr('text-anchor', 'start')
          .text('virtual ms');
      }

      // The time axis.
      const nTicks = Math.max(2, Math.floor((b - a) / 120));
      const digits = precisionFixed(Math.abs(tickStep(t0, t1, nTicks)) || 1);
      const f = format(`,.${Math.min(digits, 6)}f`);
      svg
        .select<SVGGElement>('g.viz-axis')
        .attr('transform', `translate(0,${plotBottom})`)
        .call(axisBottom(x).ticks(nTicks).tickFormat((d) => f(Number(d))));

      // Messages: a wide invisible line to hover and click, and the visible arrow. The key holds
      // what can change about a message (its receipt), so a changed one is placed anew.
      const placeMsg = (sel: Selection<SVGGElement, TimelineMessage, SVGGElement, unknown>): void => {
        sel
          .attr('class', (d) => `viz-msg k-${d.kind}${d.paired ? '' : ' unpaired'}${d.dropped ? ' dropped' : ''}${d.id === o.selectedId ? ' selected' : ''}`)
          .attr('data-kind', (d) => d.kind)
          .attr('data-id', (d) => d.id);
        sel
          .selectAll<SVGLineElement, TimelineMessage>('line')
          .attr('x1', (d) => xr(d.t0))
          .attr('y1', (d) => y(d.from))
          .attr('x2', (d) => xr(d.t1))
          .attr('y2', (d) => y(d.to));
        sel
          .select('line.vis')
          .style('stroke', (d) => MESSAGE_STYLE[d.kind].color)
          .style('stroke-width', (d) => MESSAGE_STYLE[d.kind].width)
          .attr('stroke-dasharray', (d) => MESSAGE_STYLE[d.kind].dash)
          .attr('marker-end', (d) => (MESSAGE_STYLE[d.kind].head === 'none' ? null : `url(#${uid}-head-${d.kind})`));
      };
      svg
        .select<SVGGElement>('g.viz-msgs')
        .selectAll<SVGGElement, TimelineMessage>('g.viz-msg')
        .data(layout.messages, (d) => `${d.id}|${d.t1}|${d.to}|${d.dropped ? 'x' : ''}`)
        .join(
          (enter) => {
            const g = enter.append('g');
            g.append('line').attr('class', 'hit');
            g.append('line').attr('class', 'vis');
            g.call(placeMsg);
            return g;
          },
          (update) => (full ? update.call(placeMsg) : update),
        );

      // Labels where they fit: markers' first, then messages', none overlapping (marker symbols are obstacles).
      const short = (t: string): string => (t.length > 14 ? `${t.slice(0, 13)}…` : t);
      const my = (m: TimelineMessage): number => (y(m.from) + y(m.to)) / 2;
      const markY = (m: TimelineMarker): number => (m.lane === null ? TOP - 2 : y(m.lane));
      const cands: LabelCandidate[] = [];
      for (const m of layout.markers) {
        const px = x(m.t);
        if (px < a - 4 || px > b + 4) continue;
        cands.push({ id: `sym:${m.id}`, x: px - 7, y: markY(m) - 7, w: 14, h: 14, priority: -1 });
        // Clear of its own symbol: beside a fault's rule; above a lane marker, or else below it.
        const ly = markY(m);
        cands.push({ id: m.id, x: px + 10, y: m.lane === null ? ly - 7 : ly - 22, w: m.label.length * 7.2, h: 12, priority: MARKER_PRIORITY[m.kind], ...(m.lane === null ? {} : { altY: ly + 9 }) });
      }
      for (const m of layout.messages) {
        if (!LABELLED.has(m.kind)) continue;
        const px = (x(m.t0) + x(m.t1)) / 2 + 4;
        if (px < a || px > b) continue;
        cands.push({ id: m.id, x: px, y: my(m) - 6, w: short(m.label).length * 7 + 2, h: 12, priority: m.kind === 'log' ? 7 : m.kind === 'tas' || m.kind === 'snapshot' ? 5 : 6 });
      }
      const placed = placeLabels(cands.slice(-600), 2, 300);
      const placeLabel = (sel: Selection<SVGTextElement, TimelineMessage, SVGGElement, unknown>): void => {
        sel
          .attr('class', (d) => `viz-msg-label k-${d.kind}`)
          .attr('x', (d) => (xr(d.t0) + xr(d.t1)) / 2 + 4)
          .attr('y', my)
          .attr('dy', '0.35em')
          .text((d) => short(d.label));
      };
      svg
        .select<SVGGElement>('g.viz-msg-labels')
        .selectAll<SVGTextElement, TimelineMessage>('text')
        .data(
          layout.messages.filter((m) => placed.has(m.id)),
          (d) => `${d.id}|${d.t1}|${d.to}`,
        )
        .join(
          (enter) => enter.append('text').call(placeLabel),
          (update) => (full ? update.call(placeLabel) : update),
        );

      // Markers: a symbol on the lane (or a rule across all lanes for a fault) and a label.
      const placeMark = (sel: Selection<SVGGElement, TimelineMarker, SVGGElement, unknown>): void => {
        sel
          .attr('class', (d) => `viz-mark m-${d.kind}${d.id === o.selectedId ? ' selected' : ''}`)
          .attr('data-kind', (d) => d.kind)
          .attr('data-id', (d) => d.id)
          .attr('transform', (d) => `translate(${xr(d.t)},${markY(d)})`);
        sel
          .select('line.rule')
          .attr('y1', 0)
          .attr('y2', (d) => (d.lane === null ? plotBottom - TOP + 2 : 0))
          .style('stroke', (d) => MARKER_STYLE[d.kind].color);
        sel.select('path.hit').attr('d', symbol().size(400)());
        sel
          .select('path.sym')
          .attr('d', (d) => symbol(MARKER_STYLE[d.kind].symbol, d.lane === null ? 90 : 150)())
          .style('fill', (d) => (MARKER_STYLE[d.kind].stroke ? 'none' : MARKER_STYLE[d.kind].color))
          .style('stroke', (d) => (MARKER_STYLE[d.kind].stroke ? MARKER_STYLE[d.kind].color : 'var(--panel)'))
          .style('stroke-width', (d) => (MARKER_STYLE[d.kind].stroke ? 2.5 : 1));
        sel
          .select('text')
          .attr('x', 10)
          .attr('dy', (d) => (d.lane === null ? '0.35em' : 0));
      };
      svg
        .select<SVGGElement>('g.viz-marks')
        .selectAll<SVGGElement, TimelineMarker>('g.viz-mark')
        .data(layout.markers, (d) => d.id)
        .join(
          (enter) => {
            const g = enter.append('g');
            g.append('line').attr('class', 'rule');
            g.append('path').attr('class', 'hit');
            g.append('path').attr('class', 'sym');
            g.append('text');
            g.call(placeMark);
            return g;
          },
          (update) => (full ? update.call(placeMark) : update),
        )
        .select('text')
        .attr('y', (d) => (d.lane === null ? 0 : placed.get(d.id) === 'alt' ? 19 : -11))
        .text((d) => (placed.has(d.id) ? d.label : ''));

      // Now.
      const nx = x(nowT);
      svg
        .select('g.viz-now')
        .attr('display', nx >= a && nx <= b ? null : 'none')
        .attr('transform', `translate(${nx},0)`)
        .call((g) => g.select('line').attr('y1', TOP - 6).attr('y2', plotBottom))
        .call((g) => g.select('text').attr('y', TOP - 8));

      if (rangeRef.current) rangeRef.current.textContent = `${fmtMs(t0)} – ${fmtMs(t1)} (${spanLabel(+(t1 - t0).toPrecision(3))})`;
      if (noteRef.current) noteRef.current.textContent = layout.dropped > 0 ? `showing the latest ${MAX_ITEMS.toLocaleString('en-US')} messages: zoom in for all` : '';
      svgEl.setAttribute('aria-label', summarizeTimeline(layout, t0, t1));
      return true;
    };
    // Frame-driven draws back off when drawing is expensive (a wide window at high speed), so the
    // page keeps at least two thirds of the main thread; zoom and option changes draw at once.
    let nextAt = 0;
    drawRef.current = (force = true) => {
      const start = performance.now();
      if (!force && start < nextAt) return;
      if (force) lastSig.current = '';
      if (!draw()) return;
      const took = performance.now() - start;
      nextAt = took > 4 ? start + 3 * took : 0;
      // The rendering that follows counts too: measured at the next frame.
      requestAnimationFrame(() => {
        const all = performance.now() - start;
        if (all > 40) nextAt = Math.max(nextAt, start + 2 * all);
      });
    };

    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([1e-4, 1e6])
      .on('start', () => {
        view.current.gestureStart = view.current.domain;
      })
      .on('zoom', (e: D3ZoomEvent<SVGSVGElement, unknown>) => {
        const v = view.current;
        if (v.follow) {
          if (!e.sourceEvent) return;
          // A wheel or drag while following: stop following, from the window shown at its start.
          v.follow = false;
          v.base = v.gestureStart ?? v.domain;
          setFollow(false);
        }
        v.transform = e.transform;
        drawRef.current();
      });
    svg.call(z).on('dblclick.zoom', null);
    zoomRef.current = z;
    return () => {
      svg.on('.zoom', null);
    };
  }, [uid]);

  // Redraw on every frame of the store, and at once when an option changes.
  useEffect(() => {
    opts.current = { heartbeats, selectedId: selected?.id ?? null, width, now };
  });
  useEffect(() => drawRef.current(false), [frame, now]);
  useEffect(() => drawRef.current(true), [width, heartbeats, selected]);

  const svgSel = () => select(svgRef.current!);
  /** Stop following: the zoom now applies to the window shown. */
  const manual = (): void => {
    const v = view.current;
    if (!v.follow) return;
    v.follow = false;
    v.base = v.domain;
    setFollow(false);
    svgSel().call(zoomRef.current!.transform, zoomIdentity);
  };
  const setFollowing = (on: boolean): void => {
    const v = view.current;
    if (on) {
      v.follow = true;
      setFollow(true);
      svgSel().call(zoomRef.current!.transform, zoomIdentity);
      v.transform = zoomIdentity;
      drawRef.current();
    } else manual();
  };
  const chooseSpan = (ms: number): void => {
    const v = view.current;
    v.span = ms;
    setSpan(ms);
    if (!v.follow) {
      const c = (v.domain[0] + v.domain[1]) / 2;
      v.base = [c - ms / 2, c + ms / 2];
      svgSel().call(zoomRef.current!.transform, zoomIdentity);
    }
    drawRef.current();
  };
  const zoomBy = (k: number): void => {
    manual();
    svgSel().call(zoomRef.current!.scaleBy, k);
  };
  const pan = (fraction: number): void => {
    manual();
    const plot = width - LEFT - RIGHT;
    svgSel().call(zoomRef.current!.translateBy, (-fraction * plot) / view.current.transform.k, 0);
  };

  /** The keyboard's way in: step through the items shown, in time order. */
  const stepItem = (to: 1 | -1 | 'first' | 'last'): void => {
    const at = (i: Item): number => (isMessage(i) ? i.t0 : i.t);
    const list = [...items.current.values()].sort((p, q) => at(p) - at(q) || (p.id < q.id ? -1 : 1));
    if (list.length === 0) return;
    manual(); // hold the window still while the learner reads
    const i = selected ? list.findIndex((x) => x.id === selected.id) : -1;
    const j = to === 'first' ? 0 : to === 'last' ? list.length - 1 : i < 0 ? (to === 1 ? 0 : list.length - 1) : Math.max(0, Math.min(list.length - 1, i + to));
    setSelected(list[j]!);
  };
  const onChartKey = (e: ReactKeyboardEvent<HTMLDivElement>): void => {
    const to = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : e.key === 'Home' ? 'first' : e.key === 'End' ? 'last' : null;
    if (to !== null) {
      e.preventDefault();
      e.stopPropagation(); // not the page's step shortcut
      stepItem(to);
    } else if (e.key === 'Escape' && selected) {
      e.stopPropagation();
      setSelected(null);
    }
  };

  const itemAt = (target: EventTarget | null): Item | null => {
    const el = (target as Element | null)?.closest?.('[data-id]');
    const id = el?.getAttribute('data-id');
    return id ? (items.current.get(id) ?? null) : null;
  };

  return (
    <div className="viz-timeline">
      <div className="viz-toolbar" role="toolbar" aria-label="Timeline view">
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollowing(e.target.checked)} /> Follow live
        </label>
        <label>
          Window{' '}
          <select aria-label="Timeline window" value={span} onChange={(e) => chooseSpan(Number(e.target.value))}>
            {SPANS.map((s) => (
              <option key={s} value={s}>
                {spanLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <span className="viz-btns">
          <button type="button" onClick={() => pan(-0.25)} aria-label="Earlier">
            ◀
          </button>
          <button type="button" onClick={() => zoomBy(2)} aria-label="Zoom in">
            +
          </button>
          <button type="button" onClick={() => zoomBy(0.5)} aria-label="Zoom out">
            −
          </button>
          <button type="button" onClick={() => pan(0.25)} aria-label="Later">
            ▶
          </button>
        </span>
        <label>
          <input type="checkbox" checked={heartbeats} onChange={(e) => setHeartbeats(e.target.checked)} /> Heartbeats
        </label>
        <span className="viz-range" ref={rangeRef} />
        <span className="viz-note" ref={noteRef} />
      </div>
      <ul className="viz-legend" aria-label="Legend">
        {MESSAGE_KINDS.filter((k) => k !== 'disk').map((k) => {
          const s = MESSAGE_STYLE[k];
          return (
            <li key={k}>
              <svg width="34" height="10" aria-hidden="true">
                <line x1="1" y1="5" x2="26" y2="5" style={{ stroke: s.color, strokeWidth: s.width }} strokeDasharray={s.dash ?? undefined} markerEnd={s.head === 'none' ? undefined : `url(#${uid}-head-${k})`} />
              </svg>
              {s.name}
            </li>
          );
        })}
        {MARKER_KINDS.map((k) => {
          const s = MARKER_STYLE[k];
          return (
            <li key={k}>
              <svg width="14" height="14" aria-hidden="true">
                <path
                  transform="translate(7,7)"
                  d={symbol(s.symbol, 70)() ?? ''}
                  style={{ fill: s.stroke ? 'none' : s.color, stroke: s.stroke ? s.color : 'none', strokeWidth: s.stroke ? 2 : 0 }}
                />
              </svg>
              {s.name}
            </li>
          );
        })}
      </ul>
      <div
        className="viz-chart"
        ref={wrapRef}
        tabIndex={0}
        role="group"
        aria-label="Timeline events: press the left and right arrows to step through them, Home and End for the first and last, Escape to clear"
        onKeyDown={onChartKey}
        onPointerMove={(e) => {
          const it = itemAt(e.target);
          const r = wrapRef.current!.getBoundingClientRect();
          if (it) setHover({ item: it, x: e.clientX - r.left, y: e.clientY - r.top });
          else if (hover) setHover(null);
        }}
        onPointerLeave={() => setHover(null)}
        onClick={(e) => {
          const it = itemAt(e.target);
          if (it) setSelected(it);
        }}
      >
        <svg ref={svgRef} role="img" aria-label="Space-time diagram of the trace" data-testid="timeline-svg" width={width} height={200}>
          <defs>
            <clipPath id={`${uid}-clip`}>
              <rect />
            </clipPath>
            {MESSAGE_KINDS.map((k) => {
              const s = MESSAGE_STYLE[k];
              const open = s.head === 'chevron';
              return (
                <marker key={k} id={`${uid}-head-${k}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">
                  <path d={headPath(s.head)} style={open ? { fill: 'none', stroke: s.color, strokeWidth: 1.6 } : { fill: s.color }} />
                </marker>
              );
            })}
          </defs>
          <g className="viz-lanes" />
          <g className="viz-axis" />
          <text className="viz-axis-unit" />
          <g clipPath={`url(#${uid}-clip)`}>
            <g className="viz-shift">
              <g className="viz-msgs" />
              <g className="viz-msg-labels" aria-hidden="true" />
              <g className="viz-marks" />
            </g>
          </g>
          <g className="viz-now" aria-hidden="true">
            <line />
            <text textAnchor="end" dx="-3">
              now
            </text>
          </g>
        </svg>
        {hover && (
          <div
            className="viz-tooltip"
            role="tooltip"
            style={{
              // Beside the pointer, on the side with room, so it never hides what it describes.
              left: hover.x + 330 > width ? Math.max(0, hover.x - 334) : hover.x + 14,
              top: hover.y,
              transform: `translateY(${hover.y > 120 ? 'calc(-100% - 10px)' : '10px'})`,
            }}
          >
            <ItemDetails item={hover.item} />
          </div>
        )}
      </div>
      <div className="viz-details" aria-live="polite" data-testid="timeline-selected">
        {selected ? <ItemDetails item={selected} /> : <p className="viz-hint">Hover an arrow or a marker for its details; click to keep them here (or focus the chart and use the arrow keys). Wheel zooms, drag pans.</p>}
      </div>
    </div>
  );
}
