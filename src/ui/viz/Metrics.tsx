// Small multiples over the last 2 s of virtual time: execution lag, logging-channel bandwidth,
// output delay and throughput, each a d3 line chart with its current value printed. The series are
// recomputed at most every METRICS_EVERY_MS of wall time, from the window of the trace only.
import { area, axisBottom, axisLeft, line, max, scaleLinear, select } from 'd3';
import { useEffect, useRef, useState } from 'react';
import { currentLab, useLab } from '../labStore';
import { computeMetrics, formatBytesPerSec, type MetricsData, type Point, type Series } from './metricsLayout';

const METRICS_EVERY_MS = 100;
const WINDOW_MS = 2000;
const H = 130;
const M = { top: 8, right: 10, bottom: 22, left: 46 };

interface ChartProps {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly series: Series;
  readonly t0: number;
  readonly t1: number;
  readonly fmt: (v: number) => string;
  /** Tick labels of the y axis. */
  readonly tick: (v: number) => string;
  readonly color: string;
  readonly minMax: number;
  readonly explain: string;
}

function MetricChart({ id, title, unit, series, t0, t1, fmt, tick, color, minMax, explain }: ChartProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const [width, setWidth] = useState(280);
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(200, Math.floor(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => {
    const svg = select(svgRef.current!);
    const pts = series.points.filter((p): p is Point => p !== null);
    const x = scaleLinear()
      .domain([t0 / 1000, Math.max(t1, t0 + 1) / 1000])
      .range([M.left, width - M.right]);
    const y = scaleLinear()
      .domain([0, Math.max(minMax, max(pts, (p) => p.v) ?? 0) * 1.1])
      .nice(4)
      .range([H - M.bottom, M.top]);
    svg
      .select<SVGGElement>('g.x')
      .attr('transform', `translate(0,${H - M.bottom})`)
      .call(
        axisBottom(x)
          .ticks(Math.max(2, Math.floor(width / 90)))
          .tickFormat((d) => `${Number(d).toFixed(1)} s`),
      );
    svg
      .select<SVGGElement>('g.y')
      .attr('transform', `translate(${M.left},0)`)
      .call(
        axisLeft(y)
          .ticks(4)
          .tickSize(-(width - M.left - M.right))
          .tickPadding(6)
          .tickFormat((d) => tick(Number(d))),
      );
    const defined = (p: Point | null): p is Point => p !== null;
    const xs = (p: Point | null): number => x(p!.t / 1000);
    svg
      .select('path.area')
      .attr('d', area<Point | null>().defined(defined).x(xs).y0(y(0)).y1((p) => y(p!.v))(series.points) ?? '')
      .style('fill', color);
    svg
      .select('path.line')
      .attr('d', line<Point | null>().defined(defined).x(xs).y((p) => y(p!.v))(series.points) ?? '')
      .style('stroke', color);
    // Lone points (no neighbour to draw a line to) still show.
    svg
      .select('g.dots')
      .selectAll('circle')
      .data(series.points.filter((p, i, all) => p !== null && !all[i - 1] && !all[i + 1]) as Point[])
      .join('circle')
      .attr('r', 2.5)
      .attr('cx', (p) => x(p.t / 1000))
      .attr('cy', (p) => y(p.v))
      .style('fill', color);
  }, [series, t0, t1, width, tick, color, minMax]);
  const cur = series.current;
  const peak = max(series.points, (p) => p?.v ?? 0) ?? 0;
  return (
    <figure className="viz-metric" data-testid={`metric-${id}`}>
      <figcaption>
        <span className="viz-metric-title">
          {title} <small>({unit})</small>
        </span>
        <output className="viz-metric-value" data-testid={`metric-${id}-value`}>
          {cur === null ? '—' : fmt(cur)}
        </output>
      </figcaption>
      <div ref={wrap} className="viz-metric-chart">
        <svg
          ref={svgRef}
          width={width}
          height={H}
          role="img"
          aria-label={`${title} over the last ${WINDOW_MS / 1000} s of virtual time: now ${cur === null ? 'no data' : fmt(cur)}, peak ${fmt(peak)}. ${explain}`}
        >
          <g className="y viz-metric-axis" />
          <g className="x viz-metric-axis" />
          <path className="area" />
          <path className="line" />
          <g className="dots" />
        </svg>
      </div>
      <p className="viz-metric-explain">{explain}</p>
    </figure>
  );
}

const ms = (v: number): string => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
const msTick = (v: number): string => (v < 1 ? v.toFixed(2) : v.toFixed(1));
const bwTick = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : v.toFixed(0));
const perSec = (v: number): string => `${v.toFixed(v < 10 ? 1 : 0)}/s`;
const countTick = (v: number): string => v.toFixed(0);

export function Metrics() {
  const frame = useLab((s) => s.frame);
  const now = useLab((s) => s.virtualNow);
  const [data, setData] = useState<MetricsData | null>(null);
  const lastAt = useRef(-Infinity);
  const lastNow = useRef(-1);
  useEffect(() => {
    const wall = performance.now();
    if (wall - lastAt.current < METRICS_EVERY_MS || now === lastNow.current) return;
    lastAt.current = wall;
    lastNow.current = now;
    setData(computeMetrics(currentLab()?.trace ?? [], now, { windowMs: WINDOW_MS, buckets: 40 }));
  }, [frame, now]);
  if (!data) return <p className="viz-hint">Waiting for the lab…</p>;
  return (
    <div className="viz-metrics">
      <MetricChart
        id="lag"
        title="Execution lag"
        unit="ms"
        series={data.lag}
        t0={data.t0}
        t1={data.t1}
        fmt={ms}
        tick={msTick}
        color="var(--viz-log)"
        minMax={0.5}
        explain="How far the backup trails the primary, from each ack (max per 50 ms)."
      />
      <MetricChart
        id="bandwidth"
        title="Log bandwidth"
        unit="bytes/s"
        series={data.bandwidth}
        t0={data.t0}
        t1={data.t1}
        fmt={formatBytesPerSec}
        tick={bwTick}
        color="var(--viz-ack)"
        minMax={1000}
        explain="Log batch bytes sent on the logging channel per virtual second (250 ms average)."
      />
      <MetricChart
        id="delay"
        title="Output delay"
        unit="ms"
        series={data.outputDelay}
        t0={data.t0}
        t1={data.t1}
        fmt={ms}
        tick={msTick}
        color="var(--viz-output)"
        minMax={0.2}
        explain="How long outputs wait for the backup's ack (the Output Rule), mean per 50 ms."
      />
      <MetricChart
        id="throughput"
        title="Throughput"
        unit="replies/s"
        series={data.throughput}
        t0={data.t0}
        t1={data.t1}
        fmt={perSec}
        tick={countTick}
        color="var(--viz-request)"
        minMax={10}
        explain="Client replies per virtual second, 250 ms average (duplicates after failover not counted)."
      />
    </div>
  );
}
