// The logging channel at this instant of virtual time: the primary's log buffer (entries not yet
// sent), the batches in flight moving left to right, acks moving back, and the backup's buffer
// (received, not yet replayed). The channel is fast (~45 µs), so batches are only seen in slow
// motion. d3 places the moving items each frame; React draws the two ends.
import { scaleLinear, select } from 'd3';
import { useEffect, useRef, useState } from 'react';
import type { VmInspect } from '../../workers/protocol';
import { currentLab, labActions, useLab } from '../labStore';
import { useVisibleFrame } from './useVisibleFrame';
import { channelInFlight, type InFlight } from './channelLayout';

const H = 124;
const BOX_W = 96;
const BOX_H = 32;
const LOG_Y = 20;
const ACK_Y = 78;
/** Slow motion: a 0.05 ms crossing takes half a second. */
const SLOW = 0.0001;

function End({ vm, side }: { vm: VmInspect | undefined; side: 'primary' | 'backup' }) {
  if (!vm) {
    return (
      <div className={`viz-end viz-end-${side} viz-end-missing`}>
        <strong>no {side}</strong>
        <p>{side === 'backup' ? 'A live VM runs alone: nothing is logged. “Restart backup” restores redundancy.' : 'No primary.'}</p>
      </div>
    );
  }
  const fill = vm.bufferCapacity > 0 ? vm.buffer.length / vm.bufferCapacity : 0;
  const what = side === 'primary' ? 'log buffer: not yet sent' : 'log buffer: received, not replayed';
  return (
    <div className={`viz-end viz-end-${side} role-${vm.role}`} data-testid={`channel-${side}`}>
      <strong>
        VM {vm.id} · {vm.role}
      </strong>
      <label className="viz-gauge">
        <span>{what}</span>
        <span className="viz-gauge-row">
          <meter min={0} max={1} low={0.5} high={0.85} optimum={0} value={fill} aria-label={`${what} (VM ${vm.id})`} />
          <span className="viz-gauge-count">
            {vm.buffer.length} / {vm.bufferCapacity}
          </span>
        </span>
      </label>
      <details className="viz-entries">
        <summary>{vm.buffer.length === 0 ? 'no entries' : `first ${Math.min(12, vm.buffer.length)} entries`}</summary>
        {vm.buffer.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">seq</th>
                <th scope="col">icount</th>
                <th scope="col">kind</th>
              </tr>
            </thead>
            <tbody>
              {vm.buffer.slice(0, 12).map((e) => (
                <tr key={e.seq}>
                  <td>#{e.seq}</td>
                  <td>{e.icount.toLocaleString('en-US')}</td>
                  <td>{e.kind}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
      {side === 'primary' && vm.heldCount > 0 && <p className="viz-held">{vm.heldCount} output(s) held until acked</p>}
    </div>
  );
}

export function ChannelView() {
  const wrapRef = useRef<HTMLDivElement>(null);
  const { frame, now, vms } = useVisibleFrame(wrapRef);
  const speed = useLab((s) => s.speed);
  const svgRef = useRef<SVGSVGElement>(null);
  const [width, setWidth] = useState(500);
  const [seen, setSeen] = useState(0);
  const seenIds = useRef(new Set<string>());

  const primary = vms.find((v) => v.role === 'primary') ?? vms.find((v) => v.role === 'live');
  const backup = vms.find((v) => v.role === 'backup');
  const left = primary ?? (backup?.peer ? vms.find((v) => v.id === backup.peer) : undefined);
  const right = backup ?? (primary?.peer ? vms.find((v) => v.id === primary.peer) : undefined);
  const leftId = left?.id ?? null;
  const rightId = right?.id ?? null;

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(240, Math.floor(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const svg = select(svgRef.current!);
    const items: InFlight[] = leftId && rightId ? channelInFlight(currentLab()?.trace ?? [], now, { primary: leftId, backup: rightId }) : [];
    const x = scaleLinear()
      .domain([0, 1])
      .range([8, width - 8 - BOX_W]);
    const xc = (d: InFlight): number => (d.dir === 'right' ? x(d.progress) : x(1 - d.progress));
    const boxes = items.filter((d) => d.kind !== 'heartbeat');
    const g = svg
      .select('g.viz-flights')
      .selectAll<SVGGElement, InFlight>('g.viz-flight')
      .data(boxes, (d) => d.id)
      .join((enter) => {
        const e = enter.append('g');
        e.append('rect').attr('width', BOX_W).attr('height', BOX_H).attr('rx', 4);
        e.append('text').attr('class', 'l1').attr('x', 6).attr('y', 13);
        e.append('text').attr('class', 'l2').attr('x', 6).attr('y', 26);
        e.append('title');
        return e;
      })
      .attr('class', (d) => `viz-flight k-${d.kind}${d.estimated ? ' estimated' : ''}`)
      .attr('data-kind', (d) => d.kind)
      .attr('transform', (d) => `translate(${xc(d)},${d.kind === 'log' ? LOG_Y : ACK_Y})`);
    g.select('text.l1').text((d) => (d.kind === 'log' ? `${d.label} →` : `← ${d.label}`));
    g.select('text.l2').text((d) => (d.kind === 'log' ? `${d.firstKind ?? 'entries'}${d.bytes !== null ? ` · ${d.bytes} B` : ''}` : 'acknowledged'));
    g.select('title').text((d) => `${d.kind === 'log' ? 'log batch' : 'ack'} ${d.label}: sent ${d.t0.toFixed(3)} ms, ${d.estimated ? 'expected' : 'arrives'} ${d.t1.toFixed(3)} ms`);
    svg
      .select('g.viz-hbs')
      .selectAll<SVGCircleElement, InFlight>('circle')
      .data(
        items.filter((d) => d.kind === 'heartbeat'),
        (d) => d.id,
      )
      .join('circle')
      .attr('class', 'viz-flight-hb')
      .attr('data-kind', 'heartbeat')
      .attr('r', 5)
      .attr('cx', (d) => xc(d) + BOX_W / 2)
      .attr('cy', (d) => (d.dir === 'right' ? LOG_Y + BOX_H / 2 : ACK_Y + BOX_H / 2));
    svg.select('text.viz-channel-now').text(`t = ${now.toFixed(3)} ms`);
    const batches = boxes.filter((d) => d.kind === 'log').length;
    const acks = boxes.length - batches;
    svgRef.current!.setAttribute(
      'aria-label',
      leftId && rightId ? `Logging channel from VM ${leftId} to VM ${rightId}: ${batches} log batches and ${acks} acks in flight` : 'Logging channel: no primary–backup pair',
    );
    let fresh = 0;
    for (const d of boxes) {
      if (d.kind === 'log' && !seenIds.current.has(d.id)) {
        seenIds.current.add(d.id);
        fresh++;
      }
    }
    if (seenIds.current.size > 2000) seenIds.current = new Set([...seenIds.current].slice(-500));
    if (fresh) setSeen((s) => s + fresh);
  }, [frame, now, width, leftId, rightId]);

  return (
    <div className="viz-channel-view" data-testid="channel-view">
      <div className="viz-channel-grid">
        <End vm={left} side="primary" />
        <div className="viz-channel-mid" ref={wrapRef}>
          <svg ref={svgRef} width={width} height={H} role="img" aria-label="Logging channel">
            <g className="viz-tracks" aria-hidden="true">
              <line x1={4} x2={width - 4} y1={LOG_Y + BOX_H / 2} y2={LOG_Y + BOX_H / 2} />
              <line x1={4} x2={width - 4} y1={ACK_Y + BOX_H / 2} y2={ACK_Y + BOX_H / 2} />
              <text x={width / 2} y={LOG_Y - 5} textAnchor="middle">
                log entries → (primary to backup)
              </text>
              <text x={width / 2} y={ACK_Y - 5} textAnchor="middle">
                ← acks (backup to primary)
              </text>
            </g>
            <g className="viz-hbs" />
            <g className="viz-flights" />
            <text className="viz-channel-now" x={width - 4} y={H - 2} textAnchor="end" />
          </svg>
        </div>
        <End vm={right} side="backup" />
      </div>
      <p className="viz-caption">
        Entries cross in ~0.05 ms; use slow motion to watch them.{' '}
        {speed > 0.001 ? (
          <button type="button" onClick={() => labActions.setSpeed(SLOW)}>
            Slow motion (1/10,000×)
          </button>
        ) : (
          <button type="button" onClick={() => labActions.setSpeed(1)}>
            Back to 1×
          </button>
        )}{' '}
        <span className="viz-seen" data-testid="channel-seen">
          {seen.toLocaleString('en-US')} {seen === 1 ? 'batch' : 'batches'} seen crossing
        </span>
        <span>Dotted outline: arrival time estimated (the receiver has not reported it yet).</span>
      </p>
    </div>
  );
}
