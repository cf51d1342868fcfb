// Flow control from guest to screen. A guest may print or send as fast as it runs; the page shows
// at most so much per frame and drops the rest with a count the learner sees ("… N lines not
// shown"). Used by the VM workers (before posting to the page) and by the page (before xterm).
// Nothing here touches the engine: what a VM does is unchanged, only what reaches the screen.

import type { NodeId } from '../engine/ft/messages';
import type { TraceEvent, TraceType } from '../engine/ft/trace';
import { RecentSet } from '../engine/util/recent';

const MARK = /… (\d+) lines? not shown/g;

/** The line that stands for text left out. */
export function notShown(lines: number, chars: number): string {
  return lines > 0 ? `… ${lines} line${lines === 1 ? '' : 's'} not shown\n` : `… ${chars} characters not shown\n`;
}

function newlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Control bytes a guest may print that a terminal would take as commands (escape sequences, C1). */
// eslint-disable-next-line no-control-regex -- matching control bytes is the point
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;

/**
 * A guest's console bytes as text a terminal only shows: newline, tab and carriage return pass;
 * every other control byte (ESC above all: random bytes make broken escape sequences, which
 * xterm.js reports as parse errors, thousands a second) is shown as `·`.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, '·');
}

/** How many lines `text` holds, a marker counting for the lines it stands for. */
export function linesIn(text: string): number {
  let n = newlines(text);
  if (text.includes('… ')) for (const m of text.matchAll(MARK)) n += Number(m[1]) - 1;
  return n;
}

/** Console text gathered for one window (a post, a frame): at most `maxChars` and `maxLines` kept. */
export class ConsoleChunk {
  text = '';
  lines = 0;
  droppedLines = 0;
  droppedChars = 0;

  constructor(
    readonly maxChars: number,
    readonly maxLines: number,
  ) {}

  get empty(): boolean {
    return this.text === '' && this.droppedChars === 0;
  }

  add(text: string): void {
    if (this.droppedChars === 0 && this.text.length + text.length <= this.maxChars) {
      const n = newlines(text);
      if (this.lines + n <= this.maxLines) {
        this.text += text;
        this.lines += n;
        return;
      }
    }
    // Over budget: keep the whole lines that still fit, then drop everything until the window ends.
    if (this.droppedChars === 0) {
      const room = this.maxChars - this.text.length;
      let cut = 0;
      for (let i = text.indexOf('\n'); i >= 0 && i + 1 <= room && this.lines < this.maxLines; i = text.indexOf('\n', i + 1)) {
        cut = i + 1;
        this.lines++;
      }
      this.text += text.slice(0, cut);
      text = text.slice(cut);
    }
    if (text.length === 0) return;
    this.droppedLines += linesIn(text);
    this.droppedChars += text.length;
  }

  /** The window's text with its marker, and a fresh start. */
  take(): string {
    const out = this.droppedChars > 0 ? `${this.text}${this.text === '' || this.text.endsWith('\n') ? '' : '\n'}${notShown(this.droppedLines, this.droppedChars)}` : this.text;
    this.text = '';
    this.lines = 0;
    this.droppedLines = 0;
    this.droppedChars = 0;
    return out;
  }
}

export interface OutboxLimits {
  /** Console characters (and lines) per batch, per console. */
  readonly consoleChars: number;
  readonly consoleLines: number;
  /** Events per batch. */
  readonly maxBatch: number;
  /** Batches posted and not yet acknowledged by the page. */
  readonly maxInFlight: number;
  /** Events waiting here beyond which the producer must hold (backpressure). */
  readonly holdAt: number;
}

export const WORKER_OUTBOX: OutboxLimits = { consoleChars: 4096, consoleLines: 64, maxBatch: 4000, maxInFlight: 8, holdAt: 40000 };

/**
 * A VM worker's trace on its way to the page. Console output is coalesced per batch and bounded
 * (the rest dropped with a marker); other events queue, a few batches in flight at a time, each
 * acknowledged by the page. When the queue is long the worker holds its realm: the VM runs no
 * faster than the page can follow, and memory on both sides stays bounded.
 */
export class TraceOutbox {
  private _queue: TraceEvent[] = [];
  private readonly _console = new Map<string, { vm: NodeId; suppressed: boolean; t: number; chunk: ConsoleChunk }>();
  private _inFlight = 0;
  /** Events waiting for the next post, the thinnable ones thinned (null: none are). */
  private readonly _fold: TraceFold | null;
  private _folded: FoldTally = {};

  constructor(
    readonly limits: OutboxLimits = WORKER_OUTBOX,
    /** Events that may reach the page thinned (see checkerNeutral), each stream to OUTBOX_FOLD_CAP a post. */
    foldable: ((ev: TraceEvent) => boolean) | null = null,
  ) {
    this._fold = foldable ? new TraceFold(OUTBOX_FOLD_CAP, limits.maxBatch, foldable) : null;
  }

  /** Move what the fold holds to the queue (a window ends: a post, or the fold is as big as a batch). */
  private _unfold(): void {
    if (!this._fold || this._fold.size === 0) return;
    const { events, folded } = this._fold.take();
    for (const ev of events) this._queue.push(ev);
    addTally(this._folded, folded);
  }

  /** Events thinned out since the last call, per kind. */
  takeFolded(): FoldTally {
    this._unfold();
    const f = this._folded;
    this._folded = {};
    return f;
  }

  push(events: readonly TraceEvent[]): void {
    for (const ev of events) {
      if (this._fold && ev.type !== 'console') {
        this._fold.addOne(ev);
        if (this._fold.size >= this.limits.maxBatch) this._unfold();
        continue;
      }
      if (ev.type === 'console') {
        const key = `${ev.vm}|${ev.suppressed}`;
        let c = this._console.get(key);
        if (!c) {
          c = { vm: ev.vm, suppressed: ev.suppressed, t: ev.t, chunk: new ConsoleChunk(this.limits.consoleChars, this.limits.consoleLines) };
          this._console.set(key, c);
        }
        if (c.chunk.empty) c.t = ev.t;
        c.chunk.add(ev.text);
      } else this._queue.push(ev);
    }
  }

  /** The producer should stop until acknowledgements come. */
  get full(): boolean {
    return this.queued >= this.limits.holdAt;
  }

  get queued(): number {
    return this._queue.length + (this._fold?.size ?? 0);
  }

  get inFlight(): number {
    return this._inFlight;
  }

  /** The next batch to post, or null (nothing waiting, or too many batches unacknowledged). */
  take(): TraceEvent[] | null {
    if (this._inFlight >= this.limits.maxInFlight) return null;
    this._unfold();
    const consoles = [...this._console.values()].filter((c) => !c.chunk.empty);
    if (this._queue.length === 0 && consoles.length === 0) return null;
    const batch = this._queue.length <= this.limits.maxBatch ? this._queue.splice(0) : this._queue.splice(0, this.limits.maxBatch);
    for (const c of consoles) batch.push({ type: 'console', vm: c.vm, text: c.chunk.take(), suppressed: c.suppressed, t: c.t });
    this._inFlight++;
    return batch;
  }

  ack(): void {
    this._inFlight = Math.max(0, this._inFlight - 1);
  }
}

// ------------------------------------------------------------ the page's view of the trace

/**
 * Events of one high-volume stream the page's views get per window (a view batch, an animation
 * frame): the stage draws the last dozen of a batch, the timeline a sample is enough for. Ordinary
 * runs stay under it (at 1× a frame is 16 virtual ms); a flood is thinned to it.
 */
export const VIEW_FOLD_CAP = 16;
/** The same for a VM worker's posts (up to 60 a second from each VM; the page folds them again). */
const OUTBOX_FOLD_CAP = 8;

/**
 * Kinds a guest can make by the thousand a frame (a frame or a disk request in a loop, a clock
 * read in a loop), and how their events name their node. Any other kind is rare by construction
 * (roles, faults, go-live, test-and-set…) and always reaches the page.
 */
const FOLDABLE: ReadonlySet<TraceType> = new Set<TraceType>([
  'entry/appended',
  'entry/flushed',
  'entry/received',
  'entry/replayed',
  'entry/acked',
  'output/held',
  'output/released',
  'output/suppressed',
  'input/delivered',
  'heartbeat',
  'guest/clock',
  'client/invoke',
  'client/reply',
  'client/timeout',
  'storage/disk',
  'io/completed',
  'io/reissued',
  'vm/stall',
  'vm/throttle',
]);

/**
 * Events the Web Workers runtime's checkers on the page (TraceMonitor, SafetyMonitor) may see
 * thinned, so a VM worker thins them before they cross to the page: kinds no checker reads (an
 * entry appended, an output held or suppressed, log batches, heartbeats, a stall on the log — a
 * pause and the end of a stall always cross), the acknowledged seq (read as state:
 * the latest of each window is kept), and the ordinary case of the two per-event checks — an
 * output the primary released after its entry was acknowledged, an entry replayed at the icount it
 * was logged at. Anything that could break an invariant (an output released early or by a live VM,
 * an entry passed) always crosses, as does every rare kind. How many entries were replayed crosses
 * as the folded count (FtLab adds it to the monitor's).
 */
export function checkerNeutral(ev: TraceEvent): boolean {
  switch (ev.type) {
    case 'entry/appended':
    case 'entry/flushed':
    case 'entry/received':
    case 'entry/acked':
    case 'output/held':
    case 'output/suppressed':
    case 'heartbeat':
      return true;
    case 'vm/stall':
      // (the liveness check reads a pause, and its end)
      return ev.reason !== 'paused' && ev.reason !== null;
    case 'output/released':
      return ev.role === 'primary' && ev.seq <= ev.ackedSeq;
    case 'entry/replayed':
      return ev.icount === ev.atIcount;
    default:
      return false;
  }
}

/** Ids of thinned-out messages remembered, at most (their outcomes are thinned out too). */
const FOLDED_IDS_MAX = 100_000;

/** Batches of log entries merge instead of thinning: the entries and bytes they count stay exact. */
const MERGED: ReadonlySet<TraceType> = new Set<TraceType>(['entry/flushed', 'entry/received']);

/**
 * A log batch standing for a group: the group's entries in all (a re-sent entry counts again, as
 * it does when each batch crosses), ending at its newest seq, with all its bytes.
 */
function mergedAs(ev: TraceEvent, entries: number, bytes: number): TraceEvent {
  if (ev.type === 'entry/flushed') return { ...ev, fromSeq: ev.toSeq - entries + 1, bytes };
  if (ev.type === 'entry/received') return { ...ev, fromSeq: ev.toSeq - entries + 1 };
  return ev;
}

/** The node an event's stream is per. */
function nodeOf(ev: TraceEvent): unknown {
  return 'vm' in ev ? ev.vm : 'client' in ev ? ev.client : 'from' in ev ? ev.from : '';
}

/** Events one stream (a kind from one node) had in a window: at most `cap` kept, evenly spread. */
interface Stream {
  readonly type: TraceType;
  kept: TraceEvent[];
  /** Arrival order of each kept event (the window's output keeps arrival order). */
  at: number[];
  /** Merged kinds: events each kept one stands for, their entries and bytes in all. */
  weight: number[];
  entries: number[];
  bytes: number[];
  stride: number;
  seen: number;
  last: TraceEvent | null;
  lastAt: number;
  lastKept: boolean;
}

export type FoldTally = Partial<Record<TraceType, number>>;

/**
 * What of the trace reaches the page's views in one window (a frame, a view batch): every event
 * of a rare kind, and of each high-volume stream (kind × node) at most `cap`, evenly spread, the
 * latest always among them (state such as a stall ends right); log-entry batches merge. Messages
 * (net/sent, per link end and wire type) are thinned by id, in pairs: a message's outcome
 * (net/delivered or net/dropped, in this window or a later one) reaches the page exactly when its
 * net/sent did, so the stage never draws half a message; retransmissions always pass. What is
 * left out is counted per kind, never silent. Memory is bounded by the number of streams however
 * many events come in. The checkers, recordings and share links never read this view.
 */
export class TraceFold {
  private _n = 0;
  private _plain: { at: number; ev: TraceEvent }[] = [];
  /** Outcomes (net/delivered, net/dropped) of messages whose net/sent was kept, or never seen here. */
  private _outcomes: { at: number; ev: TraceEvent & { id: string } }[] = [];
  /** Ids of messages whose net/sent was left out: their outcome is left out too (a later window's, too). */
  private readonly _foldedIds = new RecentSet<string>(FOLDED_IDS_MAX);
  /** Streams by kind and node; messages by sender, receiver and wire type. */
  private readonly _streams = new Map<TraceType, Map<unknown, Stream>>();
  private readonly _sentStreams = new Map<string, Map<string, Map<string, Stream>>>();
  private _list: Stream[] = [];
  private _tally: FoldTally = {};

  constructor(
    readonly cap: number,
    /** Rare kinds kept per window at most (the newest): a safety net, not expected to bind. */
    readonly plainMax = cap * 64,
    /** Which events may be thinned (the rest always pass): by default every high-volume kind. */
    private readonly _foldable: (ev: TraceEvent) => boolean = (ev) => FOLDABLE.has(ev.type),
  ) {}

  add(events: readonly TraceEvent[]): void {
    for (const ev of events) this.addOne(ev);
  }

  private _newStream(type: TraceType): Stream {
    const s: Stream = { type, kept: [], at: [], weight: [], entries: [], bytes: [], stride: 1, seen: 0, last: null, lastAt: 0, lastKept: false };
    this._list.push(s);
    return s;
  }

  private _stream(ev: TraceEvent): Stream {
    let byNode = this._streams.get(ev.type);
    if (!byNode) this._streams.set(ev.type, (byNode = new Map()));
    const node = nodeOf(ev);
    let s = byNode.get(node);
    if (!s) byNode.set(node, (s = this._newStream(ev.type)));
    return s;
  }

  private _sentStream(ev: TraceEvent & { type: 'net/sent' }): Stream {
    let byTo = this._sentStreams.get(ev.from);
    if (!byTo) this._sentStreams.set(ev.from, (byTo = new Map()));
    let byMsg = byTo.get(ev.to);
    if (!byMsg) byTo.set(ev.to, (byMsg = new Map()));
    let s = byMsg.get(ev.msg);
    if (!s) byMsg.set(ev.msg, (s = this._newStream(ev.type)));
    return s;
  }

  addOne(ev: TraceEvent): void {
    const at = this._n++;
    if (ev.type === 'net/delivered' || ev.type === 'net/dropped') {
      // A message is shown whole or not at all: its outcome follows its net/sent.
      if (this._foldedIds.delete(ev.id)) this._count(ev.type, 1);
      else this._outcomes.push({ at, ev });
      // (a safety net, as for rare kinds: outcomes of messages sent before this view began)
      if (this._outcomes.length > this.plainMax * 1.25) for (const o of this._outcomes.splice(0, this._outcomes.length - this.plainMax)) this._count(o.ev.type, 1);
      return;
    }
    if (ev.type === 'net/sent' && ev.retransmit === undefined) {
      this._addSent(ev, at);
      return;
    }
    if (!this._foldable(ev)) {
      this._plain.push({ at, ev });
      if (this._plain.length > this.plainMax * 1.25) {
        for (const p of this._plain.splice(0, this._plain.length - this.plainMax)) this._count(p.ev.type, 1);
      }
      return;
    }
    const s = this._stream(ev);
    s.seen++;
    if (MERGED.has(ev.type)) {
      // (kept: the newest event of each group; its entries and bytes in all beside it, built at take)
      const entries = (ev as { toSeq: number }).toSeq - (ev as { fromSeq: number }).fromSeq + 1;
      const bytes = ev.type === 'entry/flushed' ? ev.bytes : 0;
      const n = s.kept.length;
      if (n > 0 && s.weight[n - 1]! < s.stride) {
        s.kept[n - 1] = ev;
        s.at[n - 1] = at;
        s.weight[n - 1]!++;
        s.entries[n - 1]! += entries;
        s.bytes[n - 1]! += bytes;
      } else {
        s.kept.push(ev);
        s.at.push(at);
        s.weight.push(1);
        s.entries.push(entries);
        s.bytes.push(bytes);
      }
      if (s.kept.length > this.cap) {
        // Halve: each pair becomes one, standing for twice as many.
        const k = s.kept.length;
        let j = 0;
        for (let i = 0; i < k; i += 2, j++) {
          const b = i + 1 < k ? i + 1 : i;
          s.kept[j] = s.kept[b]!;
          s.at[j] = s.at[b]!;
          s.weight[j] = s.weight[i]! + (b === i ? 0 : s.weight[b]!);
          s.entries[j] = s.entries[i]! + (b === i ? 0 : s.entries[b]!);
          s.bytes[j] = s.bytes[i]! + (b === i ? 0 : s.bytes[b]!);
        }
        s.kept.length = s.at.length = s.weight.length = s.entries.length = s.bytes.length = j;
        s.stride *= 2;
      }
      return;
    }
    s.lastKept = (s.seen - 1) % s.stride === 0;
    if (s.lastKept) {
      s.kept.push(ev);
      s.at.push(at);
    }
    s.last = ev;
    s.lastAt = at;
    if (s.kept.length > this.cap) {
      // Halve: every other sample, so those kept stay evenly spread over the window.
      s.kept = s.kept.filter((_, i) => i % 2 === 0);
      s.at = s.at.filter((_, i) => i % 2 === 0);
      s.stride *= 2;
      if (s.lastKept) s.lastKept = s.at.at(-1) === at;
    }
  }

  /** A message put on the wire: sampled as any stream, but never kept as "the latest" (its pair decides). */
  private _addSent(ev: TraceEvent & { type: 'net/sent' }, at: number): void {
    const s = this._sentStream(ev);
    s.seen++;
    if ((s.seen - 1) % s.stride !== 0) {
      this._foldId(ev.id);
      return;
    }
    s.kept.push(ev);
    s.at.push(at);
    if (s.kept.length > this.cap) {
      const kept: TraceEvent[] = [];
      const ats: number[] = [];
      for (let i = 0; i < s.kept.length; i++) {
        if (i % 2 === 0) {
          kept.push(s.kept[i]!);
          ats.push(s.at[i]!);
        } else this._foldId((s.kept[i] as { id: string }).id);
      }
      s.kept = kept;
      s.at = ats;
      s.stride *= 2;
    }
  }

  private _foldId(id: string): void {
    // (bounded: an outcome comes soon after its message; ids of a session long gone go first)
    this._foldedIds.add(id);
  }

  private _count(type: TraceType, n: number): void {
    if (n > 0) this._tally[type] = (this._tally[type] ?? 0) + n;
  }

  /** Events waiting (kept so far) in this window. */
  get size(): number {
    let n = this._plain.length + this._outcomes.length;
    for (const s of this._list) n += s.kept.length + (s.last && !s.lastKept ? 1 : 0);
    return n;
  }

  /** The window's events in arrival order, and what was folded, per kind; then a fresh window. */
  take(): { events: TraceEvent[]; folded: FoldTally } {
    const out: { at: number; ev: TraceEvent }[] = this._plain;
    for (const o of this._outcomes) {
      // (its net/sent may have been thinned out after the outcome came)
      if (this._foldedIds.delete(o.ev.id)) this._count(o.ev.type, 1);
      else out.push(o);
    }
    for (const s of this._list) {
      const merged = MERGED.has(s.type);
      for (let i = 0; i < s.kept.length; i++) {
        const ev = s.kept[i]!;
        out.push({ at: s.at[i]!, ev: merged && s.weight[i]! > 1 ? mergedAs(ev, s.entries[i]!, s.bytes[i]!) : ev });
      }
      let shown = s.kept.length;
      if (s.last && !s.lastKept) {
        out.push({ at: s.lastAt, ev: s.last });
        shown++;
      }
      this._count(s.type, s.seen - shown);
    }
    out.sort((a, b) => a.at - b.at);
    const folded = this._tally;
    this.clear();
    return { events: out.map((p) => p.ev), folded };
  }

  /** A fresh window; `forget` also forgets which messages were left out (a new session). */
  clear(forget = false): void {
    if (forget) this._foldedIds.clear();
    this._n = 0;
    this._plain = [];
    this._outcomes = [];
    this._streams.clear();
    this._sentStreams.clear();
    this._list = [];
    this._tally = {};
  }
}

/** Running totals of what the page's views did not get, per kind. */
export function addTally(into: FoldTally, more: FoldTally): FoldTally {
  for (const [k, n] of Object.entries(more) as [TraceType, number][]) into[k] = (into[k] ?? 0) + n;
  return into;
}
