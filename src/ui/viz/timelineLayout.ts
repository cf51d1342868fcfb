// The space-time diagram's data: lanes (clients, VMs, shared storage) and, from the trace events of
// a time window, the messages between them (arrows from a send to its receipt) and markers
// (went live, suspicion, divergence, faults, role changes). Pure: events in, drawable data out.
// Sends and receipts are separate trace events on different nodes; they are paired here:
//   log batch    entry/flushed (primary)   → entry/received (backup), by seq range
//   ack          entry/received (backup)   → entry/acked (primary), by acked seq
//   output       output/released (VM)      → client/reply (client) or storage/disk (write)
//   request      client/invoke (client)    → the next input/delivered packet on a VM (approximate)
//   test-and-set tas/requested (VM) → storage/tas (storage) → tas/won or tas/lost (VM)
// A send whose receipt is not (yet) in the trace is drawn to its destination at a nominal latency
// and flagged `paired: false`.
// Where the runtime traces its messages with ids (`net/sent`, then `net/delivered` or
// `net/dropped`), none of that guesswork is needed: each arrow is one message, joined by its id.

import type { TraceEvent } from '../../engine/ft/trace';
import { clientNode, clientNumber, isClientNode } from '../../workers/pure';
import { eventsInWindow } from './traceWindow';

export type MessageKind = 'log' | 'ack' | 'output' | 'request' | 'heartbeat' | 'tas' | 'snapshot' | 'disk';
export type MarkerKind = 'went-live' | 'suspected' | 'divergence' | 'fault' | 'dead' | 'halted' | 'role' | 'tas' | 'stall';

export interface Lane {
  readonly id: string;
  readonly label: string;
  readonly kind: 'client' | 'vm' | 'storage';
}

export type Detail = readonly [label: string, value: string];

export interface TimelineMessage {
  readonly id: string;
  readonly kind: MessageKind;
  readonly from: string;
  readonly to: string;
  readonly t0: number;
  readonly t1: number;
  /** False when the receiving event was not found: t1 is then the send time plus a nominal latency. */
  readonly paired: boolean;
  /** A short label ("#12–15", "reply", "won"). */
  readonly label: string;
  readonly details: readonly Detail[];
  /** Lost on the way (a cut, a dead receiver, loss, the learner): t1 is when it was dropped. */
  readonly dropped?: boolean;
}

export interface TimelineMarker {
  readonly id: string;
  readonly kind: MarkerKind;
  /** The lane it sits on; null for an event of the whole system (a fault injected from the page). */
  readonly lane: string | null;
  readonly t: number;
  readonly label: string;
  readonly details: readonly Detail[];
}

export interface TimelineLayout {
  readonly lanes: readonly Lane[];
  readonly messages: readonly TimelineMessage[];
  readonly markers: readonly TimelineMarker[];
  /** Messages left out to stay under the cap (heartbeats first, then the oldest). */
  readonly dropped: number;
}

export interface TimelineOptions {
  readonly t0: number;
  readonly t1: number;
  /** Draw heartbeats (they are frequent and carry no entries). */
  readonly heartbeats?: boolean;
  /** At most this many messages (and a tenth as many markers, at least 100). */
  readonly maxItems?: number;
  /** VMs to show even if silent in the window (the page's VM list). */
  readonly vms?: readonly string[];
  /** Each VM's logging-channel peer, for sends whose receipt is not in the trace. */
  readonly peers?: ReadonlyMap<string, string>;
  /** The VM holding the service MAC (where an unanswered request went). */
  readonly service?: string | null;
  /** Events this far outside the window are still read, to pair sends and receipts across its edges. */
  readonly padMs?: number;
  /** At most this many trace slots are read (the latest): a wide window at high speed shows its latest part. */
  readonly maxScan?: number;
  /** Clients active this long before the window keep their lane (default 500 ms). */
  readonly clientLookbackMs?: number;
}

/** The trace events the diagram reads (the rest, e.g. entry/replayed and console, are skipped early). */
const USED = new Set<TraceEvent['type']>([
  'entry/appended',
  'entry/flushed',
  'entry/received',
  'entry/acked',
  'output/released',
  'client/invoke',
  'client/reply',
  'client/timeout',
  'input/delivered',
  'mac/advertised',
  'storage/disk',
  'storage/tas',
  'tas/requested',
  'tas/won',
  'tas/lost',
  'heartbeat',
  'snapshot/sent',
  'vm/went-live',
  'failure/suspected',
  'divergence',
  'vm/fault',
  'fault',
  'vm/role',
  'vm/stall',
  'net/sent',
  'net/delivered',
  'net/dropped',
]);

/** Nominal one-way latencies (ms) for sends whose receipt was not found (the default links). */
export const NOMINAL_MS = { channel: 0.05, storage: 0.2, clients: 0.5 } as const;
/** More client lanes than this are merged into one lane "clients". */
export const MAX_CLIENT_LANES = 6;
const MAX_PAIR_MS = { request: 30, output: 100, tas: 30 } as const;

export const fmtMs = (t: number): string => `${t.toFixed(3)} ms`;
const range = (a: number, b: number): string => (a === b ? `#${a}` : `#${a}–${b}`);

type Ev<K extends TraceEvent['type']> = Extract<TraceEvent, { type: K }>;

/** Take the first element of a time-sorted list with t in [from, to] that `ok` accepts and is not claimed. */
function claimFirst<T extends { t: number }>(list: readonly T[] | undefined, claimed: Set<object>, from: number, to: number, ok: (x: T) => boolean = () => true): T | null {
  if (!list) return null;
  for (const x of list) {
    if (x.t < from) continue;
    if (x.t > to) break;
    if (!claimed.has(x) && ok(x)) {
      claimed.add(x);
      return x;
    }
  }
  return null;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

export function layoutTimeline(trace: readonly TraceEvent[], opts: TimelineOptions): TimelineLayout {
  const { t0, t1 } = opts;
  const pad = opts.padMs ?? 5;
  const maxItems = opts.maxItems ?? 2000;
  const evs = eventsInWindow(trace, t0 - pad, t1 + pad, {
    maxScan: opts.maxScan ?? 20_000,
    keep: (ev) => USED.has(ev.type) && (ev.type !== 'heartbeat' || !!opts.heartbeats),
  });

  // ---- lanes
  const clientIds = new Set<number>();
  const vmIds = new Set<string>(opts.vms ?? []);
  for (const [a, b] of opts.peers ?? []) vmIds.add(a).add(b);
  for (const ev of evs) if ('vm' in ev) vmIds.add(ev.vm);
  // Client lanes: clients active in the window or a while before it, so lanes do not flicker.
  const isClientEv = (ev: TraceEvent): boolean =>
    ev.type === 'client/invoke' || ev.type === 'client/reply' || ev.type === 'client/timeout' || (ev.type === 'output/released' && isClientNode(ev.to));
  for (const ev of eventsInWindow(trace, t0 - (opts.clientLookbackMs ?? 500), t1, { keep: isClientEv, maxScan: 20_000 })) {
    if (ev.type === 'output/released') clientIds.add(Number(ev.to.slice(7)));
    else if (ev.type === 'client/invoke' || ev.type === 'client/reply' || ev.type === 'client/timeout') clientIds.add(ev.client);
  }
  const mergeClients = clientIds.size > MAX_CLIENT_LANES;
  const clientLane = (n: number): string => (mergeClients ? 'clients' : clientNode(n));
  const laneOfNode = (id: string): string => (isClientNode(id) ? clientLane(clientNumber(id)) : id);
  const lanes: Lane[] = [];
  if (mergeClients) lanes.push({ id: 'clients', label: `${clientIds.size} clients`, kind: 'client' });
  else for (const n of [...clientIds].sort((a, b) => a - b)) lanes.push({ id: clientNode(n), label: `client ${n}`, kind: 'client' });
  for (const v of [...vmIds].sort()) lanes.push({ id: v, label: `VM ${v}`, kind: 'vm' });
  lanes.push({ id: 'storage', label: 'storage', kind: 'storage' });
  const laneIds = new Set(lanes.map((l) => l.id));

  // ---- index the events by what they pair with
  const flushes: Ev<'entry/flushed'>[] = [];
  const flushesByToSeq = new Map<number, Ev<'entry/flushed'>[]>();
  const received: Ev<'entry/received'>[] = [];
  const receivedByToSeq = new Map<number, Ev<'entry/received'>[]>();
  const acks: Ev<'entry/acked'>[] = [];
  const outputs: Ev<'output/released'>[] = [];
  const repliesByClient = new Map<number, Ev<'client/reply'>[]>();
  const diskByVm = new Map<string, Ev<'storage/disk'>[]>();
  const invokes: Ev<'client/invoke'>[] = [];
  const packets: Ev<'input/delivered'>[] = [];
  const tasReqs: Ev<'tas/requested'>[] = [];
  const tasStorage: Ev<'storage/tas'>[] = [];
  const tasResults = new Map<string, (Ev<'tas/won'> | Ev<'tas/lost'>)[]>();
  const heartbeats: Ev<'heartbeat'>[] = [];
  const snapshots: Ev<'snapshot/sent'>[] = [];
  const appendedKind = new Map<number, string>();
  /** Who took in client packets when: where an undelivered request was headed. */
  const serviceAt: { t: number; vm: string }[] = [];
  const wireSent: Ev<'net/sent'>[] = [];
  const wireFate = new Map<string, Ev<'net/delivered'> | Ev<'net/dropped'>>();
  const markers: TimelineMarker[] = [];
  const inWindow = (t: number): boolean => t >= t0 && t <= t1;
  const marker = (kind: MarkerKind, lane: string | null, ev: TraceEvent, label: string, details: Detail[]): void => {
    if (inWindow(ev.t)) markers.push({ id: `${kind}:${lane ?? '*'}@${ev.t}:${markers.length}`, kind, lane, t: ev.t, label, details: [['event', ev.type], ['time', fmtMs(ev.t)], ...details] });
  };

  for (const ev of evs) {
    switch (ev.type) {
      case 'entry/appended':
        appendedKind.set(ev.seq, ev.kind);
        break;
      case 'entry/flushed':
        flushes.push(ev);
        push(flushesByToSeq, ev.toSeq, ev);
        break;
      case 'entry/received':
        received.push(ev);
        push(receivedByToSeq, ev.toSeq, ev);
        break;
      case 'entry/acked':
        acks.push(ev);
        break;
      case 'output/released':
        outputs.push(ev);
        break;
      case 'client/reply':
        push(repliesByClient, ev.client, ev);
        break;
      case 'storage/disk':
        push(diskByVm, ev.from, ev);
        break;
      case 'client/invoke':
        invokes.push(ev);
        break;
      case 'input/delivered':
        if (ev.kind === 'packet') {
          packets.push(ev);
          serviceAt.push(ev);
        }
        break;
      case 'mac/advertised':
        serviceAt.push(ev);
        break;
      case 'tas/requested':
        tasReqs.push(ev);
        break;
      case 'storage/tas':
        tasStorage.push(ev);
        break;
      case 'tas/won':
      case 'tas/lost':
        push(tasResults, ev.vm, ev);
        break;
      case 'heartbeat':
        heartbeats.push(ev);
        break;
      case 'snapshot/sent':
        snapshots.push(ev);
        break;
      case 'vm/went-live':
        marker('went-live', ev.vm, ev, 'went live', [['VM', ev.vm], ['icount', String(ev.icount)], ['received up to', `#${ev.receivedSeq}`], ['replayed up to', `#${ev.consumedSeq}`]]);
        break;
      case 'failure/suspected':
        marker('suspected', ev.vm, ev, `suspects ${ev.peer}`, [['VM', ev.vm], ['peer', ev.peer], ['silent for', `${ev.silentMs.toFixed(1)} ms`]]);
        break;
      case 'divergence':
        marker('divergence', ev.vm, ev, 'divergence', [['VM', ev.vm], ['icount', String(ev.icount)], ['detail', ev.detail]]);
        break;
      case 'vm/fault':
        marker('divergence', ev.vm, ev, 'guest fault', [['VM', ev.vm], ['reason', ev.reason], ['icount', String(ev.icount)]]);
        break;
      case 'fault':
        marker('fault', null, ev, ev.kind, [['fault', ev.kind], ['detail', ev.detail]]);
        break;
      case 'vm/role': {
        const kind: MarkerKind = ev.role === 'dead' ? 'dead' : ev.role === 'halted' ? 'halted' : 'role';
        const label = ev.reason === 'started' ? `started as ${ev.role}` : ev.role;
        marker(kind, ev.vm, ev, label, [['VM', ev.vm], ['role', ev.role], ['reason', ev.reason]]);
        break;
      }
      case 'net/sent':
        wireSent.push(ev);
        break;
      case 'net/delivered':
      case 'net/dropped':
        wireFate.set(ev.id, ev);
        break;
      case 'vm/stall':
        if (ev.reason === 'log-full') marker('stall', ev.vm, ev, 'log full', [['VM', ev.vm], ['stall', 'log buffer full: the primary waits']]);
        break;
      default:
        break;
    }
  }

  const messages: TimelineMessage[] = [];
  const ids = new Map<string, number>();
  const add = (m: TimelineMessage): void => {
    if (!(m.t1 >= t0 && m.t0 <= t1 && laneIds.has(m.from) && laneIds.has(m.to) && m.from !== m.to)) return;
    // Ids are unique (two outputs of a live VM in one instant both have seq 0).
    const n = ids.get(m.id) ?? 0;
    ids.set(m.id, n + 1);
    messages.push(n === 0 ? m : { ...m, id: `${m.id}#${n}` });
  };

  if (wireSent.length > 0) {
    addWire(wireSent, wireFate, { heartbeats: !!opts.heartbeats, laneOf: laneOfNode, appendedKind, outputs, repliesByClient, add });
    for (const [vm, list] of tasResults) for (const w of list) marker('tas', vm, w, w.type === 'tas/won' ? 'won test-and-set' : 'lost test-and-set', [['VM', vm]]);
    return finish(messages, markers, maxItems);
  }

  // ---- log batches: each receipt belongs to the latest send before it that covers its range
  const flushOf = new Map<Ev<'entry/flushed'>, Ev<'entry/received'>>();
  const recvFlush = new Map<Ev<'entry/received'>, Ev<'entry/flushed'>>();
  for (const r of received) {
    let best: Ev<'entry/flushed'> | null = null;
    for (const f of flushesByToSeq.get(r.toSeq) ?? []) {
      if (f.vm === r.vm || f.fromSeq > r.fromSeq || f.t > r.t || flushOf.has(f)) continue;
      if (!best || f.t > best.t) best = f;
    }
    if (best) {
      flushOf.set(best, r);
      recvFlush.set(r, best);
    }
  }
  for (const f of flushes) {
    const r = flushOf.get(f);
    const to = r?.vm ?? opts.peers?.get(f.vm);
    if (!to) continue;
    const n = f.toSeq - f.fromSeq + 1;
    const first = appendedKind.get(f.fromSeq);
    add({
      id: `log:${f.vm}:${f.fromSeq}-${f.toSeq}@${f.t}`,
      kind: 'log',
      from: f.vm,
      to,
      t0: f.t,
      t1: r ? r.t : f.t + NOMINAL_MS.channel,
      paired: !!r,
      label: range(f.fromSeq, f.toSeq),
      details: [
        ['message', 'log batch'],
        ['entries', `${range(f.fromSeq, f.toSeq)} (${n} ${n === 1 ? 'entry' : 'entries'})`],
        ...(first ? ([['first entry', first]] as Detail[]) : []),
        ['bytes', String(f.bytes)],
        ['horizon (icount)', String(f.horizon)],
        ['sent', `${fmtMs(f.t)} by VM ${f.vm}`],
        ['received', r ? `${fmtMs(r.t)} by VM ${r.vm} (${r.toSeq - r.fromSeq + 1} new, ${r.buffered} buffered)` : 'not (yet) received'],
      ],
    });
  }

  // ---- acks: from the receipt of the entries they acknowledge
  for (const a of acks) {
    let r: Ev<'entry/received'> | null = null;
    for (const x of receivedByToSeq.get(a.ackedSeq) ?? []) if (x.vm !== a.vm && x.t <= a.t && (!r || x.t > r.t)) r = x;
    const from = r?.vm ?? opts.peers?.get(a.vm);
    if (!from) continue;
    add({
      id: `ack:${a.vm}:${a.ackedSeq}@${a.t}`,
      kind: 'ack',
      from,
      to: a.vm,
      t0: r ? r.t : a.t - NOMINAL_MS.channel,
      t1: a.t,
      paired: !!r,
      label: `ack #${a.ackedSeq}`,
      details: [
        ['message', 'ack'],
        ['acknowledges', `entries up to #${a.ackedSeq}`],
        ['backup icount', String(a.backupIcount)],
        ['execution lag', `${a.lagMs.toFixed(3)} ms`],
        ['sent', r ? `${fmtMs(r.t)} by VM ${r.vm}` : 'on receipt (not in the window)'],
        ['received', `${fmtMs(a.t)} by VM ${a.vm}`],
      ],
    });
  }

  // ---- outputs: to a client's reply or to storage's disk write
  const claimed = new Set<object>();
  for (const o of outputs) {
    let recvT: number | null = null;
    let recvWhat = '';
    let replyText: string | null = null;
    if (isClientNode(o.to)) {
      const n = clientNumber(o.to);
      const rep = claimFirst(repliesByClient.get(n), claimed, o.t, o.t + MAX_PAIR_MS.output, (x) => x.from === o.vm);
      if (rep) {
        recvT = rep.t;
        recvWhat = `reply #${rep.reqId} "${rep.text}"${rep.duplicate ? ' (duplicate)' : ''}`;
        replyText = rep.text;
      }
    } else if (o.to === 'storage') {
      const d = claimFirst(diskByVm.get(o.vm), claimed, o.t, o.t + MAX_PAIR_MS.output, (x) => x.op === 'write');
      if (d) {
        recvT = d.t;
        recvWhat = `disk write of block ${d.block}`;
        replyText = `write ${d.block}`;
      }
    }
    const nominal = o.to === 'storage' ? NOMINAL_MS.storage : NOMINAL_MS.clients;
    add({
      id: `out:${o.vm}:${o.seq}@${o.t}`,
      kind: 'output',
      from: o.vm,
      to: laneOfNode(o.to),
      t0: o.t,
      t1: recvT ?? o.t + nominal,
      paired: recvT !== null,
      label: replyText ?? (o.output === 'net' ? 'reply' : 'disk write'),
      details: [
        ['message', `output (${o.output})`],
        ['entry', o.seq > 0 ? `#${o.seq}` : 'none (live: not logged)'],
        ['released as', o.role],
        ['held for', `${o.delayMs.toFixed(3)} ms (Output Rule)`],
        ['acked up to', `#${o.ackedSeq}`],
        ['sent', `${fmtMs(o.t)} by VM ${o.vm} to ${o.to}`],
        ['received', recvT !== null ? `${fmtMs(recvT)}: ${recvWhat}` : 'not (yet) received'],
      ],
    });
  }
  // Disk requests that were not outputs (reads, re-issued writes): drawn from a nominal send time.
  for (const [vm, list] of diskByVm) {
    for (const d of list) {
      if (claimed.has(d)) continue;
      add({
        id: `disk:${vm}:${d.block}@${d.t}`,
        kind: 'disk',
        from: vm,
        to: 'storage',
        t0: d.t - NOMINAL_MS.storage,
        t1: d.t,
        paired: false,
        label: `${d.op} ${d.block}`,
        details: [
          ['message', `disk ${d.op}`],
          ['block', String(d.block)],
          ['served', `${fmtMs(d.t)} for VM ${vm}`],
        ],
      });
    }
  }

  // ---- client requests: to the next packet a VM takes in (approximate: clients race)
  let svc = 0;
  for (const inv of invokes) {
    const p = claimFirst(packets, claimed, inv.t, inv.t + MAX_PAIR_MS.request);
    // Undelivered: towards the VM that took in client packets last (or holds the service MAC now).
    while (svc < serviceAt.length && serviceAt[svc]!.t <= inv.t) svc++;
    const to = p?.vm ?? serviceAt[svc - 1]?.vm ?? opts.service ?? null;
    if (!to) continue;
    add({
      id: `req:${inv.client}:${inv.reqId}@${inv.t}`,
      kind: 'request',
      from: clientLane(inv.client),
      to,
      t0: inv.t,
      t1: p ? p.t : inv.t + NOMINAL_MS.clients,
      paired: !!p,
      label: inv.text,
      details: [
        ['message', 'client request'],
        ['client', String(inv.client)],
        ['request', `#${inv.reqId} "${inv.text}"`],
        ['sent', fmtMs(inv.t)],
        ['delivered', p ? `${fmtMs(p.t)} to VM ${p.vm} at icount ${p.icount} (the VM's next packet: approximate)` : 'not (yet) delivered'],
      ],
    });
  }

  // ---- test-and-set: request to storage, and its answer back
  for (const q of tasReqs) {
    const s = claimFirst(tasStorage, claimed, q.t, q.t + MAX_PAIR_MS.tas);
    const sT = s ? s.t : q.t + NOMINAL_MS.storage;
    add({
      id: `tas:${q.vm}@${q.t}`,
      kind: 'tas',
      from: q.vm,
      to: 'storage',
      t0: q.t,
      t1: sT,
      paired: !!s,
      label: 'test-and-set?',
      details: [
        ['message', 'test-and-set request'],
        ['sent', `${fmtMs(q.t)} by VM ${q.vm}`],
        ['served', s ? `${fmtMs(s.t)}: holder now ${s.holder ?? 'none'}` : 'not (yet) served'],
      ],
    });
    const w = claimFirst(tasResults.get(q.vm), claimed, sT, sT + MAX_PAIR_MS.tas);
    if (w && s) {
      const won = w.type === 'tas/won';
      add({
        id: `tasr:${q.vm}@${w.t}`,
        kind: 'tas',
        from: 'storage',
        to: q.vm,
        t0: s.t,
        t1: w.t,
        paired: true,
        label: won ? 'won' : 'lost',
        details: [
          ['message', 'test-and-set result'],
          ['result', won ? `VM ${q.vm} won: it may go on alone` : `VM ${q.vm} lost (holder ${w.type === 'tas/lost' ? (w.holder ?? '?') : '?'}): it halts`],
          ['sent', fmtMs(s.t)],
          ['received', fmtMs(w.t)],
        ],
      });
    }
  }
  for (const [vm, list] of tasResults) {
    for (const w of list) if (!claimed.has(w)) marker('tas', vm, w, w.type === 'tas/won' ? 'won test-and-set' : 'lost test-and-set', [['VM', vm]]);
  }
  for (const s of tasStorage) {
    if (!claimed.has(s) && s.holder === null) marker('tas', 'storage', s, 'test-and-set cleared', [['holder', 'none']]);
  }

  // ---- heartbeats (both ways on the logging channel) and snapshots (FT VMotion)
  if (opts.heartbeats) {
    for (const h of heartbeats) {
      add({
        id: `hb:${h.vm}@${h.t}`,
        kind: 'heartbeat',
        from: h.vm,
        to: h.to,
        t0: h.t,
        t1: h.t + NOMINAL_MS.channel,
        paired: false,
        label: 'heartbeat',
        details: [
          ['message', 'heartbeat'],
          ['sent', `${fmtMs(h.t)} by VM ${h.vm} to VM ${h.to}`],
          ['note', 'an empty log batch (primary) or an ack without news (backup)'],
        ],
      });
    }
  }
  for (const s of snapshots) {
    add({
      id: `snap:${s.vm}@${s.t}`,
      kind: 'snapshot',
      from: s.vm,
      to: s.to,
      t0: s.t,
      t1: s.t + 4 * NOMINAL_MS.channel,
      paired: false,
      label: 'snapshot',
      details: [
        ['message', 'machine snapshot (FT VMotion)'],
        ['icount', String(s.icount)],
        ['sent', `${fmtMs(s.t)} by VM ${s.vm} to new backup ${s.to}`],
      ],
    });
  }

  return finish(messages, markers, maxItems);

  function finish(messages: TimelineMessage[], markers: TimelineMarker[], maxItems: number): TimelineLayout {
  // ---- cap: heartbeats go first, then the oldest messages
  messages.sort((a, b) => a.t0 - b.t0);
  let kept = messages;
  if (kept.length > maxItems) kept = kept.filter((m) => m.kind !== 'heartbeat');
  if (kept.length > maxItems) kept = kept.slice(kept.length - maxItems);
  markers.sort((a, b) => a.t - b.t);
  // A role change right beside a more telling marker (went live, dead, halted) says nothing more.
  const telling = markers.filter((m) => m.kind !== 'role');
  const shown = markers.filter((m) => m.kind !== 'role' || !telling.some((o) => o.lane === m.lane && Math.abs(o.t - m.t) < 0.5));
  markers.length = 0;
  markers.push(...shown);
  const maxMarkers = Math.max(100, Math.floor(maxItems / 10));
  return {
    lanes,
    messages: kept,
    markers: markers.length > maxMarkers ? markers.slice(markers.length - maxMarkers) : markers,
    dropped: messages.length - kept.length,
  };
  }
}

const WHY: Record<Ev<'net/dropped'>['why'], string> = { cut: 'the link was cut', dead: 'no one alive to receive it', loss: 'lost on the network', learner: 'dropped by you' };

/** One arrow per traced message: from its `net/sent` to its `net/delivered` or `net/dropped`, by id. */
function addWire(
  sent: readonly Ev<'net/sent'>[],
  fate: ReadonlyMap<string, Ev<'net/delivered'> | Ev<'net/dropped'>>,
  o: { heartbeats: boolean; laneOf: (id: string) => string; appendedKind: ReadonlyMap<number, string>; outputs: readonly Ev<'output/released'>[]; repliesByClient: ReadonlyMap<number, readonly Ev<'client/reply'>[]>; add: (m: TimelineMessage) => void },
): void {
  // An output leaves its VM the instant the Output Rule releases it: that release says what it waited for.
  const released = new Map<string, Ev<'output/released'>[]>();
  for (const r of o.outputs) push(released, `${r.vm}>${r.to}@${r.t}`, r);
  const releaseOf = (s: Ev<'net/sent'>): Ev<'output/released'> | undefined => (s.msg === 'frame' || (s.msg === 'disk' && s.label.startsWith('write')) ? released.get(`${s.from}>${s.to}@${s.t}`)?.shift() : undefined);
  for (const s of sent) {
    if (s.msg === 'advertise' || s.to === 'switch') continue; // the switch has no lane
    const hb = (s.msg === 'log' && s.label === 'heartbeat') || (s.msg === 'ack' && s.label.startsWith('heartbeat'));
    if (hb && !o.heartbeats) continue;
    const end = fate.get(s.id);
    const out = releaseOf(s);
    const kind: MessageKind = hb ? 'heartbeat' : out ? 'output' : s.msg === 'log' ? 'log' : s.msg === 'ack' ? 'ack' : s.msg === 'snapshot' ? 'snapshot' : s.msg === 'frame' ? (isClientNode(s.from) ? 'request' : 'output') : s.msg === 'tas' || s.msg === 'tas-result' ? 'tas' : 'disk';
    const nominal = NOMINAL_MS[s.link];
    // A reply frame's text is what its client took in when it arrived.
    const reply = s.msg === 'frame' && end?.type === 'net/delivered' && isClientNode(s.to) ? o.repliesByClient.get(clientNumber(s.to))?.find((r) => r.t === end.t && r.from === s.from) : undefined;
    const range = s.msg === 'log' ? /^#(\d+)/.exec(s.label) : null;
    const first = range ? o.appendedKind.get(Number(range[1])) : undefined;
    o.add({
      id: `net:${s.id}`,
      kind,
      from: o.laneOf(s.from),
      to: o.laneOf(s.to),
      t0: s.t,
      t1: end ? end.t : s.t + nominal,
      paired: !!end,
      ...(end?.type === 'net/dropped' ? { dropped: true } : {}),
      label: reply ? reply.text : s.label,
      details: [
        ['message', `${out ? `output (${out.output})` : s.msg === 'log' ? (hb ? 'heartbeat' : 'log batch') : s.label} (${s.id})`],
        ...(reply ? ([['reply', `#${reply.reqId} "${reply.text}"${reply.duplicate ? ' (duplicate)' : ''}`]] as Detail[]) : []),
        ...(out
          ? ([
              ['entry', out.seq > 0 ? `#${out.seq}` : 'none (live: not logged)'],
              ['released as', out.role],
              ['held for', `${out.delayMs.toFixed(3)} ms (Output Rule)`],
              ['acked up to', `#${out.ackedSeq}`],
            ] as Detail[])
          : []),
        ...(s.msg === 'log' && !hb ? ([['entries', s.label]] as Detail[]) : []),
        ...(first ? ([['first entry', first]] as Detail[]) : []),
        ['link', s.link === 'channel' ? 'logging channel' : s.link === 'storage' ? 'storage link' : "clients' network"],
        ...(s.retransmit ? ([['resends', s.retransmit]] as Detail[]) : []),
        ['sent', `${fmtMs(s.t)} by ${s.from}`],
        ['fate', !end ? 'on the wire (not yet arrived)' : end.type === 'net/delivered' ? `delivered to ${s.to} at ${fmtMs(end.t)}` : `dropped at ${fmtMs(end.t)}: ${WHY[end.why]}`],
      ],
    });
  }
}

export interface LabelCandidate {
  readonly id: string;
  /** The label's box (px): left, top, width, height. */
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  /** Lower goes first (a went-live marker before a log batch's seq range). */
  readonly priority: number;
  /** A second place to try (its top) if the first is taken. */
  readonly altY?: number;
}

/**
 * Greedy label placement: by priority, then latest (rightmost) first, keep each label whose box
 * does not overlap one already kept (with `gap` px to spare), at its first place or else its
 * alternative. At most `max` labels. Returns the kept ids, each with 'main' or 'alt'.
 */
export function placeLabels(cands: readonly LabelCandidate[], gap = 3, max = 150): Map<string, 'main' | 'alt'> {
  const order = [...cands].sort((a, b) => a.priority - b.priority || b.x - a.x);
  const kept: { x: number; y: number; w: number; h: number }[] = [];
  const out = new Map<string, 'main' | 'alt'>();
  const free = (x: number, y: number, w: number, h: number): boolean =>
    !kept.some((k) => x < k.x + k.w + gap && k.x < x + w + gap && y < k.y + k.h + gap && k.y < y + h + gap);
  for (const c of order) {
    if (kept.length >= max) break;
    if (free(c.x, c.y, c.w, c.h)) {
      kept.push(c);
      out.set(c.id, 'main');
    } else if (c.altY !== undefined && free(c.x, c.altY, c.w, c.h)) {
      kept.push({ ...c, y: c.altY });
      out.set(c.id, 'alt');
    }
  }
  return out;
}

/** Marker kinds in label priority order (a label that must not be hidden first). */
export const MARKER_PRIORITY: Record<MarkerKind, number> = {
  'went-live': 0,
  divergence: 0,
  fault: 1,
  dead: 1,
  halted: 1,
  suspected: 2,
  tas: 3,
  stall: 3,
  role: 4,
};

/** A one-line summary of the layout for screen readers. */
export function summarizeTimeline(l: TimelineLayout, t0: number, t1: number): string {
  const count = (k: MessageKind): number => l.messages.filter((m) => m.kind === k).length;
  const parts = [
    `${count('request')} client requests`,
    `${count('log')} log batches`,
    `${count('ack')} acks`,
    `${count('output')} outputs`,
  ];
  const hb = count('heartbeat');
  if (hb) parts.push(`${hb} heartbeats`);
  const tas = count('tas');
  if (tas) parts.push(`${tas} test-and-set messages`);
  const marks = l.markers.map((m) => `${m.label}${m.lane ? ` on ${m.lane}` : ''}`);
  return (
    `Space-time diagram from ${t0.toFixed(2)} to ${t1.toFixed(2)} ms of virtual time. Lanes: ${l.lanes.map((x) => x.label).join(', ')}. ` +
    `${parts.join(', ')}.` +
    (marks.length ? ` Events: ${marks.slice(-8).join('; ')}.` : '')
  );
}
